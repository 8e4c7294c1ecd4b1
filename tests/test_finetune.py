"""Fine-tuning on tiny random models: label layout, batches, resume, export, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from speech_data import spoken_dataset

from devspeech.errors import InputError
from devspeech.finetune.examples import Schedule, plan_examples
from devspeech.finetune.labels import IGNORE, LabelTooLong, Vocabulary, build_sequence
from devspeech.finetune.options import FinetuneOptions, TrainControl
from devspeech.finetune.train import finetune, read_metrics
from devspeech.records import Segment

pytestmark = pytest.mark.usefixtures("use_model_cache")

LINES = [
    ("code", "python", "import numpy as np", "import numpy as n p", ("numpy",)),
    ("code", "python", "x = np.array(values)", "x equals n p dot array of values", ("np.array",)),
    ("shell", "bash", "git push origin main", "git push origin main", ("git",)),
    ("prose", "", "Run the tests before you push.", "run the tests before you push", ()),
]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return spoken_dataset(tmp_path_factory.mktemp("finetune"), LINES, seed=1)


@pytest.fixture(scope="module")
def tokenizer(model_cache: Path):  # type: ignore[no-untyped-def]
    import os

    from transformers import WhisperTokenizer

    from devspeech.benchmark.models import parse_spec, transformers_location
    from devspeech.cache import CACHE_ENV

    os.environ[CACHE_ENV] = str(model_cache)
    return WhisperTokenizer.from_pretrained(transformers_location(parse_spec("random:80")))


def _ids(tokenizer, *tokens: str) -> list[int]:  # type: ignore[no-untyped-def]
    return [tokenizer.convert_tokens_to_ids(t) for t in tokens]


def test_labels_mask_the_prefix_and_teach_the_text(tokenizer) -> None:  # type: ignore[no-untyped-def]
    vocabulary = Vocabulary.of(tokenizer, multilingual=True, max_length=448)
    sot, en, transcribe, no_ts, eot = _ids(tokenizer, "<|startoftranscript|>", "<|en|>",
                                           "<|transcribe|>", "<|notimestamps|>", "<|endoftext|>")  # fmt: skip
    text = tokenizer.encode(" np.array(x)", add_special_tokens=False)
    sequence = build_sequence(tokenizer, vocabulary, "np.array(x)")
    assert list(sequence.input_ids) == [sot, en, transcribe, no_ts, *text]
    assert list(sequence.labels) == [IGNORE, IGNORE, no_ts, *text, eot]
    english_only = Vocabulary.of(tokenizer, multilingual=False, max_length=448)
    sequence = build_sequence(tokenizer, english_only, "np.array(x)")
    assert list(sequence.input_ids) == [sot, no_ts, *text]
    assert list(sequence.labels) == [no_ts, *text, eot]


def test_timestamps_sit_on_the_whisper_grid(tokenizer) -> None:  # type: ignore[no-untyped-def]
    vocabulary = Vocabulary.of(tokenizer, multilingual=False, max_length=448)
    segments = (Segment("import os", 0.013, 1.499), Segment("x = 1", 2.0, 31.0))
    sequence = build_sequence(tokenizer, vocabulary, "", segments, timestamps=True)
    t = _ids(tokenizer, "<|0.02|>", "<|1.50|>", "<|2.00|>", "<|30.00|>")
    first = tokenizer.encode(" import os", add_special_tokens=False)
    second = tokenizer.encode(" x = 1", add_special_tokens=False)
    sot, eot = _ids(tokenizer, "<|startoftranscript|>", "<|endoftext|>")
    assert list(sequence.input_ids) == [sot, t[0], *first, t[1], t[2], *second, t[3]]
    assert list(sequence.labels) == [t[0], *first, t[1], t[2], *second, t[3], eot]


def test_prompt_rows_condition_on_previous_text_without_learning_it(tokenizer) -> None:  # type: ignore[no-untyped-def]
    vocabulary = Vocabulary.of(tokenizer, multilingual=True, max_length=448)
    prev, sot, en, transcribe, no_ts, eot = _ids(
        tokenizer, "<|startofprev|>", "<|startoftranscript|>", "<|en|>", "<|transcribe|>",
        "<|notimestamps|>", "<|endoftext|>",
    )  # fmt: skip
    prompt = tokenizer.encode(" use numpy", add_special_tokens=False)
    text = tokenizer.encode(" hi", add_special_tokens=False)
    sequence = build_sequence(tokenizer, vocabulary, "hi", prompt="use numpy")
    assert list(sequence.input_ids) == [prev, *prompt, sot, en, transcribe, no_ts, *text]
    assert list(sequence.labels) == [IGNORE] * (len(prompt) + 3) + [no_ts, *text, eot]


def test_a_sequence_names_the_label_positions_that_spell_its_keywords(tokenizer) -> None:  # type: ignore[no-untyped-def]
    vocabulary = Vocabulary.of(tokenizer, multilingual=True, max_length=448)

    def named(sequence) -> list[str]:  # type: ignore[no-untyped-def]
        return [tokenizer.decode([sequence.labels[p]]) for p in sequence.keyword_positions]

    plain = build_sequence(tokenizer, vocabulary, "x = np.array(values)")
    keyed = build_sequence(tokenizer, vocabulary, "x = np.array(values)", keywords=("np.array",))
    assert plain.keyword_positions == ()
    assert keyed.input_ids == plain.input_ids and keyed.labels == plain.labels
    assert "".join(named(keyed)) == " np.array"
    prompted = build_sequence(tokenizer, vocabulary, "x = np.array(values)", prompt="use numpy",
                              keywords=("np.array", "absent"))  # fmt: skip
    assert "".join(named(prompted)) == " np.array"  # after the prompt; a keyword not said: none
    segments = (Segment("import os", 0.0, 1.0), Segment("os.getcwd()", 1.0, 2.0))
    timed = build_sequence(tokenizer, vocabulary, "", segments, timestamps=True,
                           keywords=("os", "os.getcwd"))  # fmt: skip
    assert "".join(named(timed)) == " os os.getcwd"  # in every segment, never a timestamp


def test_the_weighted_loss_is_whispers_loss_with_keyword_tokens_counted_more() -> None:
    import torch

    from devspeech.finetune.loop import weighted_loss

    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 5, 11, generator=generator)
    labels = torch.tensor([[3, 4, 5, IGNORE, IGNORE], [1, 2, 3, 4, 5]])
    plain = torch.nn.functional.cross_entropy(logits.reshape(-1, 11), labels.reshape(-1))
    assert torch.allclose(weighted_loss(logits, labels, torch.ones(2, 5)), plain)
    weights = torch.ones(2, 5)
    weights[1, 2] = 3.0
    weights[0, 4] = 3.0  # a padded label: still not counted
    each = torch.nn.functional.cross_entropy(logits.reshape(-1, 11), labels.reshape(-1),
                                             reduction="none", ignore_index=IGNORE)  # fmt: skip
    expected = (each.sum() + 2 * each[7]) / 10
    assert torch.allclose(weighted_loss(logits, labels, weights), expected)


def test_a_target_longer_than_the_decoder_is_refused(tokenizer) -> None:  # type: ignore[no-untyped-def]
    vocabulary = Vocabulary.of(tokenizer, multilingual=True, max_length=12)
    with pytest.raises(LabelTooLong, match="the model takes 12"):
        build_sequence(tokenizer, vocabulary, "one two three four five six seven eight nine")
    # a prompt is cut from its start to make room, never the target
    sequence = build_sequence(tokenizer, vocabulary, "hi", prompt="a b c d e f g h i j k l")
    assert (
        len(sequence.input_ids) <= 12 and sequence.labels[-1] == _ids(tokenizer, "<|endoftext|>")[0]
    )


def test_examples_put_timestamps_on_long_form_rows_first(dataset: Path) -> None:
    from devspeech.finetune.examples import read_split

    rows = read_split(str(dataset), "train")
    long_rows = {r.id for r in rows if r.long_form}
    examples = plan_examples(rows, seed=3, timestamp_fraction=0.2, prompt_fraction=0.5,
                             glossary="We use numpy.")  # fmt: skip
    timed = [e for e in examples if e.timestamps]
    assert len(timed) == round(0.2 * len(rows))
    ids = {e.id for e in timed}
    assert ids <= long_rows if len(ids) <= len(long_rows) else long_rows <= ids
    assert all(e.prompt is None for e in timed)
    prompted = [e for e in examples if e.prompt]
    assert prompted and {e.prompt for e in prompted} - {"We use numpy."} <= {
        r.reference for r in rows
    }
    assert examples == plan_examples(rows, 3, 0.2, 0.5, "We use numpy.")  # seeded


def test_the_schedule_covers_every_example_once_an_epoch_and_mixes_general_rows() -> None:
    schedule = Schedule(train=10, general=4, batch_size=4, general_per_batch=1, seed=7)
    picks = [p for n in range(10) for p in schedule.batch(n)]
    train = [i for general, i in picks if not general]
    assert sorted(train[:10]) == list(range(10)) and sorted(train[10:20]) == list(range(10))
    assert train[:10] != train[10:20]  # each epoch in its own order
    assert all(sum(g for g, _ in schedule.batch(n)) == 1 for n in range(10))
    assert schedule.batch(7) == Schedule(10, 4, 4, 1, seed=7).batch(7)


def _options(dataset: Path, **changes) -> FinetuneOptions:  # type: ignore[no-untyped-def]
    settings = dict(model="random:80", data=str(dataset), rank=4, alpha=8, batch_size=2,
                    max_steps=4, warmup_steps=1, eval_every=2, eval_rows=2, learning_rate=1e-3)  # fmt: skip
    return FinetuneOptions(**{**settings, **changes})


class _Killed(Exception):
    pass


def _kill_after(step: int):  # type: ignore[no-untyped-def]
    def hook(done: int) -> None:
        if done == step:
            raise _Killed

    return hook


def straight_and_resumed(options: FinetuneOptions, root: Path, kill_at: int):  # type: ignore[no-untyped-def]
    """A run straight through, and the same run killed after step `kill_at` and resumed,
    both checkpointing every step: their summaries."""
    straight = finetune(options, root / "straight", TrainControl(save_every=1))
    with pytest.raises(_Killed):
        finetune(options, root / "killed",
                 TrainControl(save_every=1, after_step=_kill_after(kill_at)))  # fmt: skip
    resumed = finetune(options, root / "killed", TrainControl(save_every=1, resume=True))
    assert straight.result is not None and resumed.result is not None
    return straight, resumed


def _weights(folder: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    (path,) = folder.glob("*.safetensors")
    return load_file(str(path))


@pytest.mark.parametrize(("method", "layers"), [("lora", "all"), ("decoder", "all"),
                                                ("lora", "decoder")])  # fmt: skip
def test_a_killed_run_resumes_to_the_weights_of_an_uninterrupted_one(
    dataset: Path, tmp_path: Path, method: str, layers: str
) -> None:
    options = _options(dataset, method=method, lora_layers=layers)
    straight = finetune(options, tmp_path / "straight", TrainControl(save_every=1))
    with pytest.raises(_Killed):
        finetune(
            options, tmp_path / "killed", TrainControl(save_every=1, after_step=_kill_after(3))
        )
    with pytest.raises(InputError, match="unfinished run of this recipe; pass --resume"):
        finetune(options, tmp_path / "killed")
    resumed = finetune(options, tmp_path / "killed", TrainControl(save_every=1, resume=True))
    assert resumed.resumed_from == 3 and straight.result is not None and resumed.result is not None
    a, b = _weights(straight.result), _weights(resumed.result)
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    assert [r["step"] for r in read_metrics(tmp_path / "killed")] == [0, 1, 2, 3, 4]
    assert read_metrics(tmp_path / "killed") == read_metrics(tmp_path / "straight")
    frozen_encoder = method == "decoder" or layers == "decoder"
    assert (tmp_path / "straight" / "encoder-cache").is_dir() == frozen_encoder
    if method == "lora":
        trained = {k.split(".layers.")[0] for k in a}
        assert trained == ({"base_model.model.model.decoder"} if frozen_encoder else
                           {"base_model.model.model.decoder", "base_model.model.model.encoder"})  # fmt: skip


def test_gradient_checkpointing_trains_the_same_weights(dataset: Path, tmp_path: Path) -> None:
    options = _options(dataset, max_steps=2, eval_rows=0)
    plain = finetune(options, tmp_path / "plain")
    saved = finetune(options, tmp_path / "gc", TrainControl(gradient_checkpointing=True))
    assert plain.result is not None and saved.result is not None
    a, b = _weights(plain.result), _weights(saved.result)
    assert any(np.abs(v).max() > 0 for k, v in a.items() if "lora_B" in k)  # it learned
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_a_run_trains_scores_and_writes_its_report(dataset: Path, tmp_path: Path) -> None:
    summary = finetune(_options(dataset), tmp_path / "run")
    assert summary.result == tmp_path / "run" / "adapter"
    config = json.loads((summary.result / "adapter_config.json").read_text(encoding="utf-8"))
    assert config["r"] == 4 and sorted(config["target_modules"]) == sorted(
        ["q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2"]
    )
    records = read_metrics(tmp_path / "run")
    assert [r["step"] for r in records if "eval" in r] == [0, 2, 4]
    assert set(summary.base) == {"wer", "code_wer", "keyword_recall", "exact_match", "loop_rate"}
    assert summary.best_step in (2, 4)
    report = (tmp_path / "run" / "report.md").read_text(encoding="utf-8")
    assert "| code_wer |" in report and "| metric (validation) | base | tuned |" in report
    assert (tmp_path / "run" / "training.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads((tmp_path / "run" / "run.json").read_text())["status"] == "complete"


def test_recordings_and_any_audio_dataset_train_and_the_report_checks_general_and_long_form(
    dataset: Path, tmp_path: Path
) -> None:
    import shutil

    import soundfile as sf

    from devspeech.audio import decode_16k
    from devspeech.dataset import read_records

    recordings = tmp_path / "rec"
    recordings.mkdir()
    for row in list(read_records(dataset, "test"))[:3]:
        sf.write(recordings / f"{row.id}.wav", decode_16k(row.audio.bytes), 16_000)
        (recordings / f"{row.id}.txt").write_text(row.text, encoding="utf-8")
    plain = tmp_path / "plain"  # no recipe.json: read by `datasets`, as a Hub id would be
    shutil.copytree(dataset / "data", plain / "data")
    options = _options(dataset, general_data=str(plain), recordings=str(recordings),
                       recordings_weight=2, max_steps=2)  # fmt: skip
    summary = finetune(options, tmp_path / "run")
    assert summary.recordings == 3 and summary.general_rows == len(
        list(read_records(dataset, "train"))
    )
    assert set(summary.checks) == {"base", "tuned"}
    for side in summary.checks.values():
        assert set(side) == {"general", "long_form"}
        assert {"wer", "timestamp_well_formed", "timestamp_mae_s"} <= set(side["long_form"])
    report = (tmp_path / "run" / "report.md").read_text(encoding="utf-8")
    assert "3 recordings x 2" in report
    assert "| metric (general English, held out from training) | base | tuned |" in report
    assert "| metric (long-form timestamps (" in report and "| timestamp_well_formed |" in report
    with pytest.raises(InputError, match="unknown built-in dataset 'builtin:nope'"):
        finetune(_options(dataset, general_data="builtin:nope"), tmp_path / "bad")


def test_export_merges_and_interpolates_between_base_and_tuned(
    dataset: Path, tmp_path: Path
) -> None:
    import torch
    from peft import PeftModel
    from transformers import WhisperForConditionalGeneration

    from devspeech.finetune.export import ExportOptions, export

    summary = finetune(_options(dataset, max_steps=2), tmp_path / "run")
    base_folder = json.loads((summary.result / "adapter_config.json").read_text())[
        "base_model_name_or_path"
    ]
    features = torch.randn(1, 80, 3000, generator=torch.Generator().manual_seed(0))
    decoder_ids = torch.tensor([[50258, 50259, 50359, 50363, 764]])

    def logits(model) -> torch.Tensor:  # type: ignore[no-untyped-def]
        with torch.no_grad():
            return model.eval()(input_features=features, decoder_input_ids=decoder_ids).logits

    base = WhisperForConditionalGeneration.from_pretrained(base_folder)
    adapter = PeftModel.from_pretrained(WhisperForConditionalGeneration.from_pretrained(base_folder),
                                        str(summary.result))  # fmt: skip
    merged = WhisperForConditionalGeneration.from_pretrained(
        export(tmp_path / "run", tmp_path / "m")
    )
    assert torch.allclose(logits(merged), logits(adapter), atol=1e-4)
    assert not torch.allclose(logits(merged), logits(base), atol=1e-4)
    zero = export(tmp_path / "run", tmp_path / "a0", ExportOptions(interpolate=0.0))
    one = export(tmp_path / "run", tmp_path / "a1", ExportOptions(interpolate=1.0))
    base_state = base.state_dict()
    for name, tensor in WhisperForConditionalGeneration.from_pretrained(zero).state_dict().items():
        assert torch.allclose(tensor, base_state[name], atol=1e-6), name
    merged_state = merged.state_dict()
    for name, tensor in WhisperForConditionalGeneration.from_pretrained(one).state_dict().items():
        assert torch.allclose(tensor, merged_state[name], atol=1e-6), name


def test_ct2_and_onnx_exports_load_in_bench_and_fp32_onnx_decodes_as_transformers(
    dataset: Path, tmp_path: Path
) -> None:
    from devspeech.audio import decode_16k
    from devspeech.benchmark.backends import DecodeOptions, load_backend
    from devspeech.benchmark.models import parse_spec
    from devspeech.benchmark.models.ct2 import read_ct2
    from devspeech.dataset import read_records
    from devspeech.finetune.export import ExportOptions, export

    finetune(_options(dataset, max_steps=2), tmp_path / "run")
    clips = [decode_16k(row.audio.bytes) for row in list(read_records(dataset, "test"))[:2]]
    decoding = DecodeOptions(max_new_tokens=24)

    def transcribe(folder: Path, timestamps: bool = False) -> list:  # type: ignore[type-arg]
        return load_backend("auto", parse_spec(str(folder)), decoding).transcribe(
            clips, None, timestamps
        )

    merged = export(tmp_path / "run", tmp_path / "merged")
    onnx32 = export(tmp_path / "run", tmp_path / "o32", ExportOptions("onnx", "float32"))
    assert parse_spec(str(onnx32)).kind == "onnx"
    assert transcribe(onnx32) == transcribe(merged)
    assert transcribe(onnx32, timestamps=True) == transcribe(merged, timestamps=True)
    onnx8 = export(tmp_path / "run", tmp_path / "o8", ExportOptions("onnx"))
    manifest = json.loads((onnx8 / "onnx.json").read_text(encoding="utf-8"))
    assert manifest["quantization"] == "int8" and len(transcribe(onnx8)) == 2
    ct2 = export(tmp_path / "run", tmp_path / "c8", ExportOptions("ct2"))
    assert parse_spec(str(ct2)).kind == "ctranslate2"
    assert {"model.bin", "tokenizer.json", "preprocessor_config.json"} <= {
        p.name for p in ct2.iterdir()
    }
    with (ct2 / "model.bin").open("rb") as handle:  # int8 weights, with their row scales
        assert read_ct2(handle).get("encoder/layer_0/ffn/linear_0/weight").dtype == np.int8
    assert len(transcribe(ct2)) == 2  # faster-whisper loads and decodes it
    decoder8 = export(tmp_path / "run", tmp_path / "d8", ExportOptions("onnx", "int8_decoder"))
    assert (decoder8 / "encoder.onnx").read_bytes() == (onnx32 / "encoder.onnx").read_bytes()
    assert (decoder8 / "decoder.onnx").stat().st_size < (onnx32 / "decoder.onnx").stat().st_size
    with pytest.raises(InputError, match="onnx exports take --quantization int8, int8_decoder"):
        ExportOptions("onnx", "float16")


def test_the_commands_train_export_to_onnx_and_bench_through_onnxruntime(
    dataset: Path, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from devspeech.cli import cli

    runner = CliRunner()
    run, onnx, bench = tmp_path / "run", tmp_path / "onnx", tmp_path / "bench"
    done = runner.invoke(cli, ["finetune", "--model", "random:80", "--data", str(dataset),
                               "-o", str(run), "--general-data", "none", "--max-steps", "1",
                               "--method", "lora", "--rank", "4", "--alpha", "8", "--batch-size", "2",
                               "--eval-rows", "1", "--warmup-steps", "1"])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert f"wrote {run / 'adapter'} (1 steps" in done.output
    done = runner.invoke(cli, ["export", str(run), "-o", str(onnx), "--onnx",
                               "--quantization", "float32"])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert f"wrote {onnx} (" in done.output and " MB); devspeech bench" in done.output
    done = runner.invoke(cli, ["bench", "--model", str(onnx), "--data", str(dataset),
                               "--limit", "2", "--max-new-tokens", "8", "-o", str(bench)])  # fmt: skip
    assert done.exit_code == 0, done.output
    (result,) = json.loads((bench / "results.json").read_text(encoding="utf-8"))
    assert result["backend"] == "onnxruntime" and result["rows"] == 2
    done = runner.invoke(cli, ["export", str(run), "-o", str(tmp_path / "x"), "--ct2", "--onnx"])
    assert done.exit_code != 0 and "give one of --merge, --ct2 and --onnx" in done.output


def test_bad_input_is_refused_with_one_clear_line(dataset: Path, tmp_path: Path) -> None:
    import shutil

    from devspeech.finetune.export import export

    no_train = tmp_path / "no-train"
    shutil.copytree(dataset, no_train)
    for shard in (no_train / "data").glob("train-*"):
        shard.unlink()
    with pytest.raises(
        InputError, match=r"has no train shards under data/ \(it has validation, test"
    ):
        finetune(_options(no_train), tmp_path / "a")
    assert not (tmp_path / "a").exists()  # nothing half-written
    with pytest.raises(InputError, match="--method qlora needs a CUDA GPU"):
        finetune(_options(dataset, method="qlora"), tmp_path / "q")
    with pytest.raises(InputError, match="random:80 has no gate_proj layers"):
        finetune(_options(dataset, target_modules=("gate_proj",)), tmp_path / "t")
    assert not (tmp_path / "q").exists() and not (tmp_path / "t").exists()
    with pytest.raises(InputError, match="--method 'adapter'; choose one of lora, qlora, decoder"):
        _options(dataset, method="adapter")
    with pytest.raises(_Killed):
        finetune(_options(dataset), tmp_path / "k", TrainControl(after_step=_kill_after(1)))
    with pytest.raises(InputError, match="is not finished; resume it with devspeech finetune"):
        export(tmp_path / "k", tmp_path / "out")
    finetune(_options(dataset, max_steps=1), tmp_path / "done")
    config_path = tmp_path / "done" / "adapter" / "adapter_config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["base_model_name_or_path"] = "random:128"  # a base of another mel count
    config_path.write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(InputError, match=r"adapter .*adapter was trained on random:80 \(sha256:"):
        export(tmp_path / "done", tmp_path / "mismatch")
    assert not (tmp_path / "mismatch").exists()
    with pytest.raises(InputError, match=r"another recipe \(differs in rank\)"):
        finetune(_options(dataset, rank=2), tmp_path / "k", TrainControl(resume=True))


@pytest.mark.slow
def test_a_short_real_run_of_bundled_tiny_en_lowers_its_loss(dataset: Path, tmp_path: Path) -> None:
    options = _options(dataset, model="bundled:tiny.en", rank=8, alpha=16, batch_size=4,
                       max_steps=6, eval_every=6, eval_rows=4, learning_rate=5e-4)  # fmt: skip
    summary = finetune(options, tmp_path / "run")
    losses = [r["loss"] for r in read_metrics(tmp_path / "run") if "loss" in r]
    assert len(losses) == 6 and min(losses[3:]) < losses[0]
    from devspeech.benchmark.run import BenchOptions, run_bench

    assert summary.result is not None
    bench = BenchOptions(models=(str(summary.result),), data=str(dataset), limit=2, resamples=10)
    run = run_bench(bench, tmp_path / "bench")
    assert run.predicted == 2 and run.results[0].model == str(summary.result)
