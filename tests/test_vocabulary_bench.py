"""Decoding with a vocabulary in bench: ranking terms from a first pass, the two-pass
condition, trie biasing, terms in play at a set size, and precision over them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from speech_data import spoken_dataset

from devspeech.benchmark.predict import distractor_pool, with_distractors
from devspeech.benchmark.run import BenchOptions, run_bench
from devspeech.benchmark.vocab_rank import rank_terms
from devspeech.cli import cli
from devspeech.errors import InputError
from devspeech.vocabulary import Term, Vocabulary, write_vocabulary

pytestmark = pytest.mark.usefixtures("use_model_cache")

TRUE = (
    Term("kubectl", ("kube control", "kube cuddle", "kube c t l")),
    Term("np.array", ("n p dot array", "numpy dot array")),
    Term("useState", ("use state",)),
    Term("total_bytes", ("total bytes", "total underscore bytes")),
)
LINES = [
    ("code", "python", "x = np.array(values)", "x equals n p dot array of values", ("np.array",)),
    ("shell", "bash", "kubectl get pods", "kube control get pods", ("kubectl",)),
]


@pytest.mark.parametrize(
    ("heard", "meant"),
    [
        ("RunCUBE Control Git Pods.", "kubectl"),  # tiny.en on Piper saying "kube control"
        ("Call NP.array on the values.", "np.array"),
        ("Use the U-State Hook in the component.", "useState"),
        ("Return to total bytes of the file.", "total_bytes"),
    ],
)
def test_a_misheard_name_is_ranked_above_500_unrelated_terms(heard: str, meant: str) -> None:
    vocabulary = with_distractors(Vocabulary(TRUE), 500, seed=0)
    assert len(vocabulary) == 504
    ranked = rank_terms(heard, vocabulary, limit=24)
    assert ranked[0].text == meant
    assert rank_terms("", vocabulary) == []


def test_the_distractor_pool_is_other_projects_names_drawn_by_seed() -> None:
    pool = distractor_pool()
    assert len(pool) == 2508 and all(t.kind != "word" for t in pool.terms)  # as README says
    one = with_distractors(Vocabulary(TRUE), 100, seed=1)
    assert one.texts[:4] == tuple(t.text for t in TRUE) and len(one) == 104
    assert one == with_distractors(Vocabulary(TRUE), 100, seed=1)
    assert one.texts != with_distractors(Vocabulary(TRUE), 100, seed=2).texts
    with pytest.raises(InputError, match=r"--distractors 99999: the shipped pool has \d+ names"):
        with_distractors(Vocabulary(TRUE), 99_999, seed=0)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return spoken_dataset(tmp_path_factory.mktemp("vocab-bench"), LINES, count=6)


def test_bench_runs_the_vocabulary_condition_and_trie_biasing_and_records_terms_in_play(
    dataset: Path, tmp_path: Path
) -> None:
    vocab = tmp_path / "vocab.txt"
    write_vocabulary(vocab, TRUE)
    options = BenchOptions(models=("random:80",), data=str(dataset), split="train",
                           conditions=("none", "vocabulary"), vocabulary=vocab,
                           distractors=40, biasing="trie", max_new_tokens=6, limit=4,
                           resamples=20)  # fmt: skip
    run = run_bench(options, tmp_path / "bench")
    lines = [json.loads(x) for x in (tmp_path / "bench" / "predictions.jsonl").open()]
    assert run.predicted == 8 and {x["decoding"] for x in lines} == {"greedy+trie"}
    (digest,) = {x["vocabulary"] for x in lines}
    recorded = (tmp_path / "bench" / "vocabularies" / f"{digest}.txt").read_text("utf-8")
    assert len([r for r in recorded.splitlines() if not r.startswith("#")]) == 44
    in_play = {r.split("\t")[0] for r in recorded.splitlines() if not r.startswith("#")}
    for line in lines:
        if line["condition"] == "none":
            assert line["prompt"] is None
        else:
            terms = line["prompt"].split(", ") if line["prompt"] else []
            assert 0 < len(terms) <= 24 and set(terms) <= in_play
            assert line["wall_share_s"] > 0 and line["elapsed_s"] is None
    assert {r.condition for r in run.results} == {"none", "vocabulary"}


def test_precision_counts_every_term_in_play_written_unsaid(tmp_path: Path) -> None:
    from devspeech.benchmark.metrics import Vocabulary as Needles
    from devspeech.benchmark.score import score_predictions
    from devspeech.records import Prediction, RowLabels

    def line(prediction: str, vocabulary: str) -> Prediction:
        return Prediction(id="a", model="m", backend="transformers", condition="none",
                          decoding="greedy+trie", reference="x = np.array(v)",
                          prediction=prediction, audio_s=1.0, elapsed_s=None, dataset="d",
                          data="d", split="test", vocabulary=vocabulary,
                          labels=RowLabels(kind="code", language="python",
                                           keywords=("np.array",)))  # fmt: skip

    said = "x = np.array(v) kubectl"  # a term of the vocabulary nobody said
    plain = score_predictions([line(said, "")], resamples=10)[0]
    counted = score_predictions([line(said, "abc")], resamples=10,
                                vocabularies={"abc": Needles.of(["kubectl"])})[0]  # fmt: skip
    assert plain.metrics["keyword_precision"].value == 1.0
    assert counted.metrics["keyword_precision"].value == 0.5


def test_bad_vocabulary_input_is_one_line_and_a_non_zero_exit(
    dataset: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    base = ["bench", "--model", "random:80", "--data", str(dataset), "--split", "train",
            "-o", str(tmp_path / "b"), "--limit", "1"]  # fmt: skip
    cases = [
        (["--conditions", "vocabulary"], "the vocabulary condition and --biasing need the "
                                         "names in play: give --vocabulary FILE"),
        (["--biasing", "trie", "--vocabulary", str(tmp_path / "none.txt")],
         f"no vocabulary file at {tmp_path / 'none.txt'}; write one with devspeech corpus"),
        (["--model", "bundled:tiny.en", "--backend", "faster-whisper", "--biasing", "trie",
          "--distractors", "5"], "--biasing trie needs a logits hook, and CTranslate2's Whisper"),
    ]  # fmt: skip
    (tmp_path / "empty.txt").write_text("# nothing\n", encoding="utf-8")
    cases.append((["--biasing", "trie", "--vocabulary", str(tmp_path / "empty.txt")],
                  "holds no terms; one term a line"))  # fmt: skip
    for extra, message in cases:
        done = runner.invoke(cli, [*base, *extra])
        assert done.exit_code != 0
        assert message in done.output and "Traceback" not in done.output
        assert len(done.output.strip().splitlines()) == 1, done.output


def test_transcribe_prints_text_or_json_with_timings_and_the_second_pass_prompt(
    dataset: Path, tmp_path: Path
) -> None:
    import soundfile as sf

    from devspeech.audio import decode_16k
    from devspeech.dataset import read_records

    row = next(iter(read_records(dataset, "train")))
    clip = tmp_path / "clip.wav"
    sf.write(clip, decode_16k(row.audio.bytes), 16_000)
    vocab = tmp_path / "vocab.txt"
    write_vocabulary(vocab, TRUE)
    runner = CliRunner()
    done = runner.invoke(cli, ["transcribe", str(clip), "--model", "bundled:tiny.en"])
    assert done.exit_code == 0, done.output
    plain = done.output.strip()
    assert plain
    done = runner.invoke(cli, ["transcribe", str(clip), str(clip), "--model", "bundled:tiny.en",
                               "--vocabulary", str(vocab), "--two-pass", "--json"])  # fmt: skip
    assert done.exit_code == 0, done.output
    first, second = (json.loads(x) for x in done.output.strip().splitlines())
    assert first == {**second, "elapsed_s": first["elapsed_s"]}  # the same clip twice
    assert first["first_pass"] == plain and first["path"] == str(clip)
    assert set(first["prompt"].split(", ")) <= {t.text for t in TRUE}
    assert first["audio_s"] == pytest.approx(row.duration_s, abs=0.01) and first["elapsed_s"] > 0
    (tmp_path / "not-audio.wav").write_text("hello", encoding="utf-8")
    for args, message in (
        ([str(tmp_path / "missing.wav")], f"no audio file at {tmp_path / 'missing.wav'}"),
        ([str(tmp_path / "not-audio.wav")], "audio does not decode"),
        ([str(tmp_path)], "is a folder; give audio files (WAV, FLAC, OGG)"),
        ([str(clip), "--two-pass"], "--two-pass and --biasing use a vocabulary; give --vocabulary"),
    ):
        done = runner.invoke(cli, ["transcribe", *args, "--model", "random:80"])
        assert done.exit_code != 0 and message in done.output, done.output
        assert len(done.output.strip().splitlines()) == 1


def test_recall_is_split_into_names_seen_and_unseen_in_training(
    dataset: Path, tmp_path: Path
) -> None:
    from devspeech.benchmark.metrics import score_pair

    row = score_pair("x = np.array(v); kubectl get pods", "x = np.array(v); cube get pods",
                     keywords=("np.array", "kubectl"), seen={"np.array"})  # fmt: skip
    assert (row.counts["kw_tp_seen"], row.counts["kw_ref_seen"]) == (1, 1)
    assert (row.counts["kw_tp_unseen"], row.counts["kw_ref_unseen"]) == (0, 1)
    unknown = score_pair("kubectl", "kubectl", keywords=("kubectl",))
    assert unknown.counts["kw_ref_seen"] == unknown.counts["kw_ref_unseen"] == 0
    options = BenchOptions(models=("random:80",), data=str(dataset), split="train", limit=3,
                           max_new_tokens=4, resamples=10)  # fmt: skip
    plain = run_bench(options, tmp_path / "plain")
    assert plain.results[0].metrics["keyword_recall_seen"].value is None
    told = run_bench(BenchOptions(**{**options.__dict__, "train_data": str(dataset)}),
                     tmp_path / "told")  # fmt: skip
    lines = [json.loads(x) for x in (tmp_path / "told" / "predictions.jsonl").open()]
    assert all(x["seen_keywords"] == x["labels"]["keywords"] for x in lines)  # all trained on
    metrics = told.results[0].metrics
    assert metrics["keyword_recall_seen"].value == metrics["keyword_recall"].value
    assert metrics["keyword_recall_unseen"].value is None


def test_a_fine_tune_runs_result_knows_its_training_names(dataset: Path, tmp_path: Path) -> None:
    from devspeech.finetune.options import FinetuneOptions
    from devspeech.finetune.train import finetune

    options = FinetuneOptions(model="random:80", data=str(dataset), method="decoder",
                              batch_size=2, max_steps=1, warmup_steps=1, eval_rows=0)  # fmt: skip
    summary = finetune(options, tmp_path / "run")
    assert summary.result is not None
    bench = BenchOptions(models=("random:80", str(summary.result)), data=str(dataset),
                         split="test", max_new_tokens=4, resamples=10)  # fmt: skip
    run_bench(bench, tmp_path / "bench")
    lines = [json.loads(x) for x in (tmp_path / "bench" / "predictions.jsonl").open()]
    tuned = [x for x in lines if x["model"] == str(summary.result)]
    assert tuned and all(x["seen_keywords"] is not None for x in tuned)
    assert all(x["seen_keywords"] is None for x in lines if x["model"] == "random:80")


def test_trie_biasing_gives_the_same_tokens_in_onnxruntime_as_in_transformers(
    dataset: Path, tmp_path: Path
) -> None:
    from devspeech.audio import decode_16k
    from devspeech.benchmark.backends import DecodeOptions, load_backend
    from devspeech.benchmark.decoding import Decoding
    from devspeech.benchmark.models import parse_spec
    from devspeech.dataset import read_records
    from devspeech.finetune.export import ExportOptions, export
    from devspeech.finetune.options import FinetuneOptions
    from devspeech.finetune.train import finetune

    options = FinetuneOptions(model="random:80", data=str(dataset), method="decoder",
                              batch_size=2, max_steps=1, warmup_steps=1, eval_rows=0)  # fmt: skip
    finetune(options, tmp_path / "run")
    merged = export(tmp_path / "run", tmp_path / "merged")
    onnx = export(tmp_path / "run", tmp_path / "onnx", ExportOptions("onnx", "float32"))
    clips = [decode_16k(r.audio.bytes) for r in list(read_records(dataset, "train"))[:2]]
    # the random model writes these tokens unbiased; a strong bonus makes it write the terms
    terms = ("np.array", "kubectl", "useState")

    def text(folder: Path, biasing: str) -> list[str]:
        decoding = DecodeOptions(max_new_tokens=12, decoding=Decoding(biasing=biasing),
                                 vocabulary=terms, bias_bonus=50.0)  # fmt: skip
        backend = load_backend("auto", parse_spec(str(folder)), decoding)
        return [t.text for t in backend.transcribe(clips, None, False)]

    biased = text(merged, "trie")
    assert biased == text(onnx, "trie")
    assert biased != text(merged, "none")
    assert all(any(term in t for term in terms) for t in biased)  # the bonus wins at 50


def test_a_second_pass_that_loops_where_the_first_did_not_gives_way_to_the_first() -> None:
    from devspeech.benchmark.vocab_rank import compression_ratio, second_pass_kept

    first = "A console renderable that renders a traceback."
    looped = "__aiter__, " * 40
    assert compression_ratio(looped) > 2.4 >= compression_ratio(first)
    assert not second_pass_kept(first, looped)
    assert second_pass_kept(first, "A Console renderable that renders a traceback.")
    assert second_pass_kept(looped, "A console renderable.")  # a clean pass replaces a loop
