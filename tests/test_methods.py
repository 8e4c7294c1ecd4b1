"""Fine-tune methods behind one registry: the built-in methods train the weights they did
before the registry existed, and a method added by one class and one registry line trains,
resumes, exports and benches."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from speech_data import spoken_dataset
from test_finetune import LINES, straight_and_resumed  # LINES: the pinned sums' data

from devspeech.errors import InputError
from devspeech.finetune.methods import METHODS, Method
from devspeech.finetune.options import FinetuneOptions
from devspeech.finetune.train import finetune
from devspeech.run_record import RunRecord, finished

pytestmark = pytest.mark.usefixtures("use_model_cache")


# What each method trained on this data before methods had a registry (commit fc5216d):
# for adapters the summed |lora_B|, for whole models the summed |tuned - base|. Equal to
# 1e-6 relative on this machine; the tolerance only allows another CPU's float kernels.
BEFORE = {
    ("lora", "all"): 17.526902938479907,
    ("lora", "decoder"): 10.550136471210863,
    ("decoder", "all"): 5636.71642405357,
    ("full", "all"): 5826.543285387742,
}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return spoken_dataset(tmp_path_factory.mktemp("methods"), LINES, seed=1)


def _options(dataset: Path, **changes: Any) -> FinetuneOptions:
    settings: dict[str, Any] = dict(model="random:80", data=str(dataset), rank=4, alpha=8,
                                    batch_size=2, max_steps=3, warmup_steps=1, eval_every=3,
                                    eval_rows=0, learning_rate=1e-3)  # fmt: skip
    return FinetuneOptions(**{**settings, **changes})


def _weights(folder: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    (path,) = folder.glob("*.safetensors")
    return load_file(str(path))


def _base_weights() -> dict[str, np.ndarray]:
    from devspeech.benchmark.models import parse_spec, transformers_location

    return _weights(Path(transformers_location(parse_spec("random:80"))))


@pytest.mark.parametrize(("method", "layers"), list(BEFORE))
def test_the_built_in_methods_train_the_weights_they_did_before_the_registry(
    dataset: Path, tmp_path: Path, method: str, layers: str
) -> None:
    summary = finetune(_options(dataset, method=method, lora_layers=layers), tmp_path / "run")
    assert summary.result is not None
    tuned = _weights(summary.result)
    if method == "lora":
        assert summary.result.name == "adapter"
        moved = sum(float(np.abs(v.astype(np.float64)).sum()) for k, v in tuned.items()
                    if "lora_B" in k)  # fmt: skip
    else:
        assert summary.result.name == "model"
        base = _base_weights()
        changed = {k for k in tuned if not np.array_equal(tuned[k], base[k])}
        encoder = {k for k in changed if k.startswith("model.encoder.")}
        assert bool(encoder) == (method == "full")
        moved = sum(float(np.abs(tuned[k].astype(np.float64) - base[k]).sum()) for k in tuned)
    assert moved == pytest.approx(BEFORE[(method, layers)], rel=1e-4)
    record = RunRecord.read(tmp_path / "run")
    assert record is not None and record.complete and record.result == summary.result.name


class NormsOnly(Method):
    """A toy method: the decoder's layer norms alone train; the encoder is frozen."""

    name = "norms"
    summary = "the decoder's layer norms"

    def prepare(self, loaded: Any, options: Any) -> Any:
        for name, parameter in loaded.model.named_parameters():
            parameter.requires_grad = name.startswith("model.decoder.") and "layer_norm" in name
        return loaded.model

    def frozen_encoder(self, options: Any) -> bool:
        return True


class Dishonest(NormsOnly):
    """Says its encoder is frozen, yet trains it."""

    def prepare(self, loaded: Any, options: Any) -> Any:
        return loaded.model


def test_a_method_added_by_one_class_and_one_registry_line_trains_resumes_exports_and_benches(
    dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from devspeech.benchmark.run import BenchOptions, run_bench
    from devspeech.finetune.export import export

    monkeypatch.setitem(METHODS, "norms", (__name__, "NormsOnly"))
    options = _options(dataset, method="norms", max_steps=2)
    straight, resumed = straight_and_resumed(options, tmp_path, kill_at=1)
    assert resumed.resumed_from == 1 and straight.result is not None
    assert resumed.result is not None and straight.result.name == "model"
    a, b = _weights(straight.result), _weights(resumed.result)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    base = _base_weights()
    changed = sorted(k for k in a if not np.array_equal(a[k], base[k]))
    assert changed and all(k.startswith("model.decoder.") and "layer_norm" in k for k in changed)
    assert (tmp_path / "straight" / "encoder-cache").is_dir()  # frozen: outputs cached
    merged = export(tmp_path / "straight", tmp_path / "merged")
    assert (merged / "model.safetensors").is_file()
    bench = BenchOptions(models=(str(merged),), data=str(dataset), limit=2, resamples=10,
                         max_new_tokens=8)  # fmt: skip
    assert run_bench(bench, tmp_path / "bench").predicted == 2


def test_a_method_that_breaks_its_own_contract_is_refused_before_training(
    dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(METHODS, "dishonest", (__name__, "Dishonest"))
    with pytest.raises(InputError, match=r"says its encoder is frozen, yet it trains encoder "
                                         r"weights; fix the method's prepare\(\)"):  # fmt: skip
        finetune(_options(dataset, method="dishonest"), tmp_path / "run")
    assert not (tmp_path / "run").exists()
    with pytest.raises(InputError, match=r"--method 'nope'; choose one of lora, qlora, decoder, "
                                         r"full, dora, ia3, progressive, bottleneck, prompt, "
                                         r"deep-prompt, dishonest"):  # fmt: skip
        _options(dataset, method="nope")


def test_export_finds_the_result_the_run_record_names(dataset: Path, tmp_path: Path) -> None:
    from devspeech.finetune.export import export

    finetune(_options(dataset, method="decoder", max_steps=1), tmp_path / "run")
    record_path = tmp_path / "run" / "run.json"
    record = json.loads(record_path.read_text(encoding="utf-8"))
    assert record["result"] == "model" and record["status"] == "complete"
    (tmp_path / "run" / "model").rename(tmp_path / "run" / "weights")
    with pytest.raises(InputError, match=r"is finished but its result model/ is missing"):
        export(tmp_path / "run", tmp_path / "out")
    record_path.write_text(json.dumps({**record, "result": "weights"}), encoding="utf-8")
    _, result = finished(tmp_path / "run")
    assert result == tmp_path / "run" / "weights"
    assert (export(tmp_path / "run", tmp_path / "out") / "model.safetensors").is_file()
    with pytest.raises(InputError, match=r"is not a fine-tune run \(no run.json\)"):
        finished(tmp_path)


NEW = [("dora", {"lora_layers": "decoder"}), ("ia3", {}), ("ia3", {"lora_layers": "decoder"}),
       ("decoder", {"train_layers": 1}), ("progressive", {})]  # fmt: skip


@pytest.mark.parametrize(("method", "changes"), NEW, ids=lambda v: str(v))
def test_each_method_trains_resumes_exports_and_benches(
    dataset: Path, tmp_path: Path, method: str, changes: dict[str, Any]
) -> None:
    from devspeech.benchmark.run import BenchOptions, run_bench
    from devspeech.finetune.export import export

    options = _options(dataset, method=method, max_steps=2, eval_every=2, **changes)
    straight, resumed = straight_and_resumed(options, tmp_path, kill_at=1)
    assert straight.result is not None and resumed.result is not None
    a, b = _weights(straight.result), _weights(resumed.result)
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    cached = (tmp_path / "straight" / "encoder-cache").is_dir()
    assert cached == (method in ("decoder", "progressive") or "lora_layers" in changes)
    merged = export(tmp_path / "straight", tmp_path / "merged")
    bench = BenchOptions(models=(str(straight.result), str(merged)), data=str(dataset), limit=2,
                         resamples=10, max_new_tokens=8)  # fmt: skip
    run = run_bench(bench, tmp_path / "bench")
    assert run.predicted == 4
    by_model = {r.model: r for r in run.results}
    assert by_model[str(straight.result)].metrics["wer"].value == pytest.approx(
        by_model[str(merged)].metrics["wer"].value
    )  # the merged export writes what the run's result writes


def _changed(result: Path) -> list[str]:
    tuned, base = _weights(result), _base_weights()
    return sorted(k for k in tuned if not np.array_equal(tuned[k], base[k]))


def test_train_layers_and_progressive_unfreezing_move_only_the_layers_they_should(
    dataset: Path, tmp_path: Path
) -> None:
    from devspeech.finetune.methods.progressive import Progressive

    top = finetune(_options(dataset, method="decoder", train_layers=1), tmp_path / "top")
    assert top.result is not None
    changed = _changed(top.result)
    assert changed and all(
        k.startswith(("model.decoder.layers.1.", "model.decoder.layer_norm")) for k in changed
    )  # fmt: skip  (random:80 has 2 decoder layers)
    first = finetune(_options(dataset, method="progressive", max_steps=1), tmp_path / "first")
    assert first.result is not None
    changed = _changed(first.result)
    assert changed and not any(k.startswith("model.decoder.layers.0.") for k in changed)
    assert [Progressive.unfrozen(s, 8, 4) for s in range(1, 9)] == [1, 1, 2, 2, 3, 3, 4, 4]
    with pytest.raises(InputError, match=r"--train-layers 3: this model's decoder has 2 layers; "
                                         r"give at most 2"):  # fmt: skip
        finetune(_options(dataset, method="decoder", train_layers=3), tmp_path / "three")
    with pytest.raises(InputError, match=r"--train-layers chooses the decoder layers that "
                                         r"train, and --method lora does not train by layers; "
                                         r"use --method decoder"):  # fmt: skip
        finetune(_options(dataset, method="lora", train_layers=1), tmp_path / "lora")


def test_warm_up_is_a_share_of_the_run_with_a_minimum(dataset: Path) -> None:
    def warmup(steps: int, given: int | None = None) -> int:
        return _options(dataset, max_steps=steps, warmup_steps=given).warmup

    assert [warmup(s) for s in (3, 40, 100, 600)] == [1, 10, 10, 60]
    assert warmup(40, given=0) == 0 and warmup(40, given=25) == 25


def test_method_auto_trains_a_cached_encoder_method_on_a_cpu_and_says_why(
    dataset: Path, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from devspeech.cli import cli

    done = CliRunner().invoke(cli, ["finetune", "--model", "random:80", "--data", str(dataset),
                                    "-o", str(tmp_path / "run"), "--max-steps", "1",
                                    "--eval-rows", "0", "--general-data", "none"])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "method: decoder at lr 0.0002 (auto: on a CPU, a cached-encoder method" in done.output
    record = RunRecord.read(tmp_path / "run")
    assert record is not None and record.options["method"] == "decoder"
    assert record.options["learning_rate"] == 2e-4  # the method's own default
    assert record.options["warmup_steps"] is None


@pytest.mark.parametrize("layers", ["decoder", "all"])
def test_bottleneck_adapters_start_as_base_train_alone_resume_bench_and_refuse_export(
    dataset: Path, tmp_path: Path, layers: str
) -> None:
    import torch

    from devspeech.benchmark.models import parse_spec
    from devspeech.benchmark.models.bottleneck import BottleneckConfig, add_adapters
    from devspeech.benchmark.models.whisper import load_whisper

    base = load_whisper(parse_spec("random:80")).model.eval()
    fresh = add_adapters(load_whisper(parse_spec("random:80")).model.eval(),
                         BottleneckConfig("random:80", 4, layers))  # fmt: skip
    features, tokens = torch.randn(1, 80, 3000), torch.tensor([[50257, 50362, 400]])
    with torch.no_grad():
        assert torch.equal(base(features, decoder_input_ids=tokens).logits,
                           fresh(features, decoder_input_ids=tokens).logits)  # fmt: skip

    options = _options(dataset, method="bottleneck", lora_layers=layers, max_steps=2,
                       eval_every=2)  # fmt: skip
    straight, resumed = straight_and_resumed(options, tmp_path, kill_at=1)
    assert straight.result is not None and resumed.result is not None
    assert straight.result.name == "adapter"
    a, b = _weights(straight.result), _weights(resumed.result)
    encoder = {k for k in a if k.startswith("model.encoder.")}
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    assert all(".fc2.adapter." in k for k in a) and bool(encoder) == (layers == "all")
    assert len(a) == 4 * (2 + 2 * (layers == "all"))  # down/up weight and bias, 2 layers each
    assert (tmp_path / "straight" / "encoder-cache").is_dir() == (layers == "decoder")
    assert any(np.abs(a[k]).sum() > 0 for k in a if ".up." in k)  # the adapters moved

    _benches_and_refuses_export(dataset, tmp_path, straight.result,
                                r"bottleneck adapters are layers a plain Whisper has not")  # fmt: skip


def _benches_and_refuses_export(dataset: Path, tmp_path: Path, result: Path, what: str) -> None:
    """A run of one of devspeech's own adapters: its folder benches; export refuses it."""
    from devspeech.benchmark.models import parse_spec
    from devspeech.benchmark.run import BenchOptions, run_bench
    from devspeech.finetune.export import export

    assert parse_spec(str(result)).kind == "adapter"
    bench = BenchOptions(models=(str(result),), data=str(dataset), limit=2, resamples=10,
                         max_new_tokens=8)  # fmt: skip
    assert run_bench(bench, tmp_path / "bench").predicted == 2
    with pytest.raises(InputError, match=what + r", so they cannot be merged for export; bench "
                                         r"and transcribe run the run's adapter/ folder with "
                                         r"transformers, and --method lora trains an adapter "
                                         r"that exports$"):  # fmt: skip
        export(tmp_path / "straight", tmp_path / "merged")
    assert not (tmp_path / "merged").exists()


@pytest.mark.parametrize("method", ["prompt", "deep-prompt"])
def test_a_soft_prompt_opens_every_sequence_trains_alone_resumes_benches_and_refuses_export(
    dataset: Path, tmp_path: Path, method: str
) -> None:
    import torch

    from devspeech.benchmark.backends import prompt_ids
    from devspeech.benchmark.models import parse_spec
    from devspeech.benchmark.models.soft_prompt import learned_prompt
    from devspeech.benchmark.models.whisper import load_whisper
    from devspeech.finetune.labels import IGNORE, Vocabulary, build_sequence

    options = _options(dataset, method=method, rank=3, max_steps=2, eval_every=2)
    depth = 2 if method == "deep-prompt" else 1  # random:80 has 2 decoder layers
    straight, resumed = straight_and_resumed(options, tmp_path, kill_at=1)
    assert straight.result is not None and resumed.result is not None
    assert straight.result.name == "adapter" and straight.trained_parameters == depth * 3 * 64
    a, b = _weights(straight.result), _weights(resumed.result)
    key = "model.decoder.embed_tokens.vectors"
    assert list(a) == [key] and a[key].shape == (depth, 3, 64)
    assert np.array_equal(a[key], b[key])
    assert (tmp_path / "straight" / "encoder-cache").is_dir()

    loaded = load_whisper(parse_spec(str(straight.result)))
    tokenizer = loaded.processor.tokenizer
    marker, start = (
        tokenizer.convert_tokens_to_ids(t) for t in ("<|startoflm|>", "<|startofprev|>")
    )
    assert learned_prompt(loaded.model) == [marker] * 3
    assert learned_prompt(load_whisper(parse_spec("random:80")).model) == []
    assert prompt_ids(tokenizer, None, [marker] * 3) == [start, marker, marker, marker]
    assert prompt_ids(tokenizer, "np.array", [marker] * 3)[:4] == [start, marker, marker, marker]
    # training reads the same opening, masked out of the loss
    vocabulary = Vocabulary.of(tokenizer, False, 448, learned_prompt(loaded.model))
    sequence = build_sequence(tokenizer, vocabulary, "x = 1")
    assert list(sequence.input_ids[:4]) == [start, marker, marker, marker]
    assert list(sequence.labels[:4]) == [IGNORE] * 4
    # the k-th marker reads the k-th vector; every other token reads base's embedding; deep,
    # decoder layer 1 reads its own vectors there in place of what layer 0 made
    decoder = loaded.model.model.decoder
    ids = torch.tensor([[start, marker, marker, marker, 400]])
    vectors = torch.from_numpy(a[key])
    seen: list[Any] = []
    decoder.layers[1].register_forward_pre_hook(lambda _, args: seen.append(args[0]))
    with torch.no_grad():
        out = decoder.embed_tokens(ids)[0]
        assert torch.equal(out[1:4], vectors[0])
        assert torch.equal(out[4], decoder.embed_tokens.weight[400])
        decoder(input_ids=ids, encoder_hidden_states=torch.zeros(1, 1500, 64), use_cache=False)
    assert torch.equal(seen[0][0, 1:4], vectors[-1]) == (depth == 2)

    _benches_and_refuses_export(dataset, tmp_path, straight.result,
                                r"a soft prompt is vectors standing where tokens would, which "
                                r"no runtime takes")  # fmt: skip
