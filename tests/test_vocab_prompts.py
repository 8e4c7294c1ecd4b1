"""Training that teaches copying: vocabulary prompts drawn per step, and runs that use them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from speech_data import spoken_dataset
from test_finetune import straight_and_resumed

from devspeech.errors import InputError
from devspeech.finetune.options import FinetuneOptions
from devspeech.finetune.train import finetune, read_metrics
from devspeech.finetune.vocab_prompts import NAME_WORDS, VocabularyPrompts

pytestmark = pytest.mark.usefixtures("use_model_cache")

POOL = ("np.array", "useState", "kubectl", "git", "total_bytes", "os.path.join", "--dry-run")
LINES = [
    ("code", "python", "x = np.array(values)", "x equals n p dot array of values", ("np.array",)),
    ("shell", "bash", "kubectl get pods", "kube control get pods", ("kubectl",)),
    ("code", "python", "return total_bytes", "return total bytes", ("total_bytes",)),
]


def _words(text: str) -> int:
    return len(text.split())


def test_the_prompt_is_a_pure_function_of_seed_row_and_step() -> None:
    prompts = VocabularyPrompts(POOL, seed=3)
    first = [prompts.prompt(("np.array", "x"), "row", step, _words) for step in range(20)]
    assert first == [prompts.prompt(("np.array", "x"), "row", s, _words) for s in range(20)]
    assert len(set(first)) > 15  # renewed at every step
    assert first != [VocabularyPrompts(POOL, seed=4).prompt(("np.array", "x"), "row", s, _words)
                     for s in range(20)]  # fmt: skip


def test_prompts_keep_most_true_names_among_distractors_from_the_pool_and_made_up() -> None:
    prompts = VocabularyPrompts(POOL, seed=0, max_distractors=12)
    own = ("np.array", "x_value")
    kept = pool_hits = made_up = 0
    lists = [prompts.terms(own, f"row{n}", step) for n in range(20) for step in range(10)]
    for terms in lists:
        assert len(terms) == len(set(terms))
        kept += sum(t in own for t in terms)
        pool_hits += sum(t in POOL for t in terms)
        made_up += sum(t not in POOL and t not in own for t in terms)
        assert sum(t not in own for t in terms) <= 12
    assert 0.75 < kept / (2 * len(lists)) < 0.85  # each true name kept with p = 0.8
    assert pool_hits > 300 and made_up > 300  # both kinds of distractor, in quantity
    styles = {t for terms in lists for t in terms if t not in POOL and t not in own}
    assert any("_" in t and t.islower() for t in styles)  # snake_case
    assert any(t.startswith("--") for t in styles)  # flags
    assert any("." in t for t in styles)  # dotted paths
    assert any(t[0].islower() and any(c.isupper() for c in t) for t in styles)  # camelCase
    assert all(any(w in t.lower() for w in NAME_WORDS) for t in styles)


def test_a_long_list_is_cut_to_the_token_limit_dropping_distractors_first() -> None:
    prompts = VocabularyPrompts(POOL, seed=1, max_distractors=60, max_tokens=12)
    for step in range(30):
        text = prompts.prompt(("np.array", "useState"), "row", step, _words)
        assert _words(text) <= 12
    everything = VocabularyPrompts(POOL, seed=1, keep=1.0, max_distractors=60, max_tokens=2)
    texts = [everything.prompt(("np.array", "useState"), "r", s, _words) for s in range(10)]
    assert all(sorted(t.split(", ")) == ["np.array", "useState"] for t in texts)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return spoken_dataset(tmp_path_factory.mktemp("vocab-prompts"), LINES, count=24, seed=2)


def test_a_run_with_vocabulary_prompts_trains_on_them_and_resumes_to_the_same_weights(
    dataset: Path, tmp_path: Path
) -> None:
    from devspeech.finetune.collate import collate
    from devspeech.finetune.examples import read_split
    from devspeech.finetune.model import load_model
    from devspeech.finetune.train import FinetuneSummary, _Data, _examples

    options = FinetuneOptions(model="random:80", data=str(dataset), method="decoder",
                              batch_size=4, max_steps=3, warmup_steps=1, eval_every=3,
                              eval_rows=0, learning_rate=1e-3, timestamp_fraction=0.0,
                              vocabulary_prompt_fraction=1.0)  # fmt: skip
    tm = load_model(options)
    data = _Data(read_split(str(dataset), "train"), [], [], [], [])
    train, general = _examples(options, data, tm, FinetuneSummary(tmp_path, "decoder"))
    assert all(e.vocabulary_prompt and e.prompt is None for e in train.examples)
    tokenizer = tm.processor.tokenizer
    prev = tokenizer.convert_tokens_to_ids("<|startofprev|>")
    batches = [collate([(False, i) for i in range(4)], train, general, tm, "cpu", None, n)
               for n in (0, 1, 0)]  # fmt: skip
    assert np.array_equal(batches[0]["decoder_input_ids"], batches[2]["decoder_input_ids"])
    assert not np.array_equal(batches[0]["decoder_input_ids"], batches[1]["decoder_input_ids"])
    first = batches[0]["decoder_input_ids"][0].tolist()
    assert first[0] == prev  # a prompted row ...
    labels = batches[0]["labels"][0].tolist()
    start = first.index(tokenizer.convert_tokens_to_ids("<|startoftranscript|>"))
    assert all(t == -100 for t in labels[:start])  # ... whose list is never a target
    example = train.examples[0]
    pool = tuple(sorted({k for row in data.train for k in row.labels.keywords}))
    expected = VocabularyPrompts(pool, seed=0).prompt(
        example.keywords, example.id, 0,
        lambda text: len(tokenizer.encode(" " + text, add_special_tokens=False)),
    )  # fmt: skip
    assert tokenizer.decode(first[1:start]) == " " + expected  # the drawn term list
    straight, resumed = straight_and_resumed(options, tmp_path, kill_at=2)
    from safetensors.numpy import load_file

    a = load_file(str(straight.result / "model.safetensors"))
    b = load_file(str(resumed.result / "model.safetensors"))
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert read_metrics(tmp_path / "killed") == read_metrics(tmp_path / "straight")
    plain = finetune(FinetuneOptions(**{**options.to_dict(), "target_modules": tuple(
        options.target_modules), "vocabulary_prompt_fraction": 0.0}), tmp_path / "plain")  # fmt: skip
    assert plain.result is not None
    c = load_file(str(plain.result / "model.safetensors"))
    assert any(not np.array_equal(a[k], c[k]) for k in a)  # the prompts changed what it learned


def test_keyword_loss_weight_counts_the_tokens_of_names_more(dataset: Path, tmp_path: Path) -> None:
    from safetensors.numpy import load_file

    from devspeech.finetune.collate import WEIGHTS, collate
    from devspeech.finetune.examples import read_split
    from devspeech.finetune.model import load_model
    from devspeech.finetune.train import FinetuneSummary, _Data, _examples

    options = FinetuneOptions(model="random:80", data=str(dataset), method="decoder",
                              batch_size=4, max_steps=2, warmup_steps=1, eval_every=2,
                              eval_rows=0, learning_rate=1e-3, timestamp_fraction=0.0,
                              prompt_fraction=0.0, keyword_loss_weight=3.0)  # fmt: skip
    tm = load_model(options)
    data = _Data(read_split(str(dataset), "train"), [], [], [], [])
    train, general = _examples(options, data, tm, FinetuneSummary(tmp_path, "decoder"))
    batch = collate([(False, i) for i in range(4)], train, general, tm, "cpu", None, 0, 3.0)
    tokenizer = tm.processor.tokenizer
    for row in range(4):
        heavy = (batch[WEIGHTS][row] == 3.0).nonzero().flatten().tolist()
        written = tokenizer.decode(batch["labels"][row, heavy].tolist())
        for name in ("np.array", "kubectl", "total_bytes"):  # rows may be several lines packed
            written = written.replace(name, "")
        assert written.strip() == ""  # the heavy tokens spell names and nothing else
        assert set(batch[WEIGHTS][row].tolist()) == {1.0, 3.0}
    weighted = finetune(options, tmp_path / "weighted")
    plain = finetune(FinetuneOptions(**{**options.to_dict(), "target_modules": tuple(
        options.target_modules), "keyword_loss_weight": 1.0}), tmp_path / "plain")  # fmt: skip
    assert weighted.result is not None and plain.result is not None
    a = load_file(str(weighted.result / "model.safetensors"))
    b = load_file(str(plain.result / "model.safetensors"))
    assert any(not np.array_equal(a[k], b[k]) for k in a)
    with pytest.raises(
        InputError, match=r"--keyword-loss-weight .* is under 1; .*2 to 5 favours them"
    ):
        FinetuneOptions(model="random:80", data=str(dataset), keyword_loss_weight=0.5)
