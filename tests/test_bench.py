"""`devspeech bench` end to end on a small generated dataset with the bundled tiny.en."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from speech_data import spoken_dataset

from devspeech.benchmark.data import Clip, load_audio_dir, load_eval_set
from devspeech.benchmark.models import parse_spec
from devspeech.benchmark.results import read_results
from devspeech.benchmark.run import BenchOptions, run_bench
from devspeech.benchmark.score import score_file
from devspeech.cli import cli
from devspeech.errors import InputError

LINES = [
    ("code", "python", "import numpy as np", "import numpy as n p", ("numpy",)),
    ("code", "python", "for item in items:", "for item in items colon", ("items",)),
    ("shell", "bash", "git push origin main", "git push origin main", ("git",)),
    ("prose", "", "Run the tests before you push.", "run the tests before you push", ()),
]


pytestmark = pytest.mark.usefixtures("use_model_cache")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return spoken_dataset(tmp_path_factory.mktemp("bench"), LINES)


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_bench_predicts_scores_and_resumes(dataset: Path, tmp_path: Path):
    out = tmp_path / "bench"
    options = BenchOptions(
        models=("bundled:tiny.en",),
        data=str(dataset),
        conditions=("none", "oracle"),
        limit=3,
        resamples=200,
    )
    run = run_bench(options, out)
    lines = _lines(out / "predictions.jsonl")
    assert run.predicted == 6 and len(lines) == 6
    assert {(x["model"], x["condition"]) for x in lines} == {
        ("bundled:tiny.en", "none"),
        ("bundled:tiny.en", "oracle"),
    }
    assert all(x["prediction"] and x["wall_share_s"] > 0 and x["audio_s"] > 0 for x in lines)
    # a clip's own time is measured only where it was decoded alone (oracle: a prompt per row)
    assert all((x["elapsed_s"] is None) == (x["condition"] == "none") for x in lines)
    none = [x for x in lines if x["condition"] == "none"]
    assert len({x["wall_share_s"] for x in none}) == 1  # one batch of three, its time shared
    results = read_results(out / "results.json")
    assert results == run.results
    assert [(r.condition, r.rows, r.decoding) for r in results] == [
        ("none", 3, "greedy"),
        ("oracle", 3, "greedy"),
    ]
    wer = results[0].metrics["wer"]
    assert wer.low <= wer.value <= wer.high
    audio_s = sum(x["audio_s"] for x in lines if x["condition"] == "none")
    assert results[0].audio_s == pytest.approx(audio_s, abs=1e-3)
    # rtfx is audio over wall time rounded to 2 decimals; audio_s and elapsed_s are stored
    # rounded to 3, which moves their ratio by up to (0.0005 + ratio * 0.0005) / elapsed (more
    # on a fast machine, where the wall time is short): the tolerance allows every rounding
    audio, elapsed = results[0].audio_s, results[0].elapsed_s
    stored = (0.0005 + (audio + 0.0005) / (elapsed - 0.0005) * 0.0005) / (elapsed - 0.0005)
    assert results[0].rtfx == pytest.approx(audio / elapsed, abs=0.005 + stored + 1e-9)
    assert set(results[0].breakdowns) == {"kind", "engine", "noise"}
    assert results[0].breakdowns["engine"]["espeak"].rows == 3
    assert results[0].versions["transformers"] and results[0].machine.cpus
    # the second result is compared with the first on the same rows (a paired bootstrap)
    assert results[0].compared is None
    compared = results[1].compared
    assert (
        compared.baseline == "bundled:tiny.en [none, transformers, greedy]" and compared.rows == 3
    )
    difference = results[1].metrics["wer"].value - results[0].metrics["wer"].value
    assert compared.differences["wer"].value == pytest.approx(difference)
    assert 0.0 <= compared.differences["wer"].p_value <= 1.0

    # a killed run leaves a partial last line; the rerun drops it and predicts only the rest
    text = (out / "predictions.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (out / "predictions.jsonl").write_text("".join(text[:4]) + text[4][:30], encoding="utf-8")
    again = run_bench(options, out)
    assert (again.predicted, again.skipped) == (2, 4)
    # re-scoring the file reproduces the numbers without a model
    rescored = score_file(out / "predictions.jsonl", resamples=200)
    assert [r.metrics for r in rescored] == [r.metrics for r in again.results]


def test_bench_refuses_predictions_of_another_dataset(dataset: Path, tmp_path: Path):
    out = tmp_path / "bench"
    run_bench(
        BenchOptions(models=("bundled:tiny.en",), data=str(dataset), limit=1, resamples=10), out
    )
    other = tmp_path / "other"
    shutil.copytree(dataset, other)
    recipe = json.loads((other / "recipe.json").read_text(encoding="utf-8"))
    (other / "recipe.json").write_text(json.dumps({**recipe, "seed": 99}), encoding="utf-8")
    with pytest.raises(InputError, match="holds predictions for another dataset"):
        run_bench(BenchOptions(models=("bundled:tiny.en",), data=str(other), limit=1), out)
    result = CliRunner().invoke(
        cli, ["bench", "score", str(out / "predictions.jsonl"), "--data", str(other)]
    )
    assert result.exit_code == 1 and "not for dir:" in result.output


def test_unknown_specs_name_every_kind_and_the_cache(model_cache: Path):
    with pytest.raises(InputError) as error:
        parse_spec("not-a-model")
    message = str(error.value)
    assert "bundled:NAME (tiny.en, base)" in message and "random:80 or random:128" in message
    assert "a Hub id (owner/name)" in message and "cached:" in message
    assert parse_spec("openai/whisper-large-v3-turbo").kind == "hub"
    assert parse_spec("bundled:base").kind == "bundled"


def test_random_128_mel_model_runs_the_large_v3_path(
    dataset: Path, tmp_path: Path, model_cache: Path
):
    options = BenchOptions(
        models=("random:128",), data=str(dataset), limit=2, max_new_tokens=4, resamples=10
    )
    run = run_bench(options, tmp_path / "bench")
    assert run.predicted == 2
    folder = model_cache / "models" / "random-128"
    assert json.loads((folder / "config.json").read_text())["num_mel_bins"] == 128
    assert json.loads((folder / "preprocessor_config.json").read_text())["feature_size"] == 128


def test_faster_whisper_backend_and_own_recordings(tmp_path: Path):
    import soundfile as sf

    from devspeech.generator.engines.espeak import EspeakEngine

    engine = EspeakEngine()
    import random

    rng = random.Random(2)
    speech = engine.synthesize(
        "run the tests before you push", engine.draw_speaker(engine.voices()[0], rng), rng
    )
    folder = tmp_path / "rec"
    folder.mkdir()
    sf.write(folder / "take1.wav", speech.audio, 16_000)
    (folder / "take1.txt").write_text("Run the tests before you push.", encoding="utf-8")
    (folder / "broken.flac").write_bytes(b"not audio at all")
    (folder / "broken.txt").write_text("nothing", encoding="utf-8")
    loaded = load_audio_dir(folder)
    assert [c.id for c in loaded.clips() if isinstance(c, Clip)] == ["take1"]
    assert loaded.failures == {"corrupt audio": 1}
    with pytest.raises(
        InputError, match=r"row broken: audio does not decode \(Format not recognised\.\)$"
    ):
        list(load_audio_dir(folder, strict=True).clips())
    options = BenchOptions(
        models=("bundled:tiny.en",), audio_dir=folder, backend="faster-whisper", resamples=10
    )
    run = run_bench(options, tmp_path / "bench")
    assert run.results[0].failures == {"corrupt audio": 1}
    assert run.results[0].failed == ("broken",)  # named, not only counted
    assert run.results[0].backend == "faster-whisper"
    prediction = _lines(tmp_path / "bench" / "predictions.jsonl")[0]["prediction"]
    assert "test" in prediction.lower()
    assert np.isfinite(run.results[0].metrics["wer"].value)


def test_a_peft_adapter_loads_over_the_base_its_config_names(tmp_path: Path):
    from peft import LoraConfig, get_peft_model
    from transformers import WhisperForConditionalGeneration

    from devspeech.benchmark.backends import DecodeOptions, TransformersBackend
    from devspeech.benchmark.models.tiny import build_tiny_whisper

    base = build_tiny_whisper(tmp_path / "base", seed=3)
    model = get_peft_model(
        WhisperForConditionalGeneration.from_pretrained(base),
        LoraConfig(r=2, target_modules=["q_proj", "v_proj"]),
    )
    model.save_pretrained(tmp_path / "adapter")
    spec = parse_spec(str(tmp_path / "adapter"))
    assert (spec.kind, spec.base.kind, spec.base.location) == ("adapter", "transformers", str(base))
    backend = TransformersBackend(spec, DecodeOptions(max_new_tokens=3))
    from peft import PeftModel

    assert isinstance(backend.model, PeftModel)
    assert any("lora_A" in name for name, _ in backend.model.named_parameters())
    (transcript,) = backend.transcribe([np.zeros(16_000, dtype=np.float32)], None, False)
    assert isinstance(transcript.text, str) and transcript.segments is None


def test_a_dataset_without_text_is_refused(dataset: Path, tmp_path: Path):
    import pyarrow.parquet as pq

    copy = tmp_path / "ds"
    shutil.copytree(dataset, copy)
    for shard in (copy / "data").glob("test-*.parquet"):
        pq.write_table(pq.read_table(shard).drop_columns(["text"]), shard)
    with pytest.raises(InputError, match="not a devspeech shard \\(no text column\\)"):
        run_bench(BenchOptions(models=("bundled:tiny.en",), data=str(copy)), tmp_path / "b")


def test_long_form_rows_are_decoded_with_timestamps_and_scored(dataset: Path, tmp_path: Path):
    options = BenchOptions(
        models=("bundled:tiny.en",), data=str(dataset), split="train", resamples=10
    )
    run = run_bench(options, tmp_path / "bench")
    lines = _lines(tmp_path / "bench" / "predictions.jsonl")
    long_rows = [x for x in lines if len(x["labels"]["segments"]) > 1]
    assert long_rows and all(x["segments"] is not None for x in long_rows)
    assert all(x["segments"] is None for x in lines if len(x["labels"]["segments"]) == 1)
    for line in long_rows:
        assert all(0.0 <= s["start"] <= s["end"] <= 30.0 for s in line["segments"])
    metrics = run.results[0].metrics
    assert metrics["timestamp_well_formed"].value is not None
    counts = sum(1 for x in long_rows if x["segments"])
    assert counts == len(long_rows)


def test_hub_loading_path_reads_the_same_rows_through_datasets(
    dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """`--data owner/name` goes through datasets.load_dataset; a local repo folder takes the
    same path offline, Audio cast to undecoded bytes (no torchcodec)."""
    import datasets

    from devspeech.benchmark.data import load_dataset_dir, load_hub_dataset

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")
    through_hub = load_hub_dataset(str(dataset), "test")
    direct = load_dataset_dir(dataset, "test")
    assert through_hub.size == direct.size == 4
    assert list(through_hub.items()) == list(direct.items())
    assert through_hub.fingerprint.startswith(f"hub:{dataset}:")


def test_glossary_files_become_one_prompt(tmp_path: Path):
    from devspeech.benchmark.predict import read_glossary

    assert read_glossary(None).startswith("We are dictating Python and shell code: ")
    terms = tmp_path / "terms.txt"
    terms.write_text("# my team's words\nuseState\n\nkubectl  # the CLI\n", encoding="utf-8")
    assert read_glossary(terms) == "useState, kubectl"
    terms.write_text("# nothing but a comment\n", encoding="utf-8")
    with pytest.raises(InputError, match="holds no terms"):
        read_glossary(terms)


def test_an_audiofolder_of_recordings_gets_every_label(tmp_path: Path):
    import soundfile as sf

    from devspeech.corpus.keywords import extract_keywords

    folder = tmp_path / "voice"
    (folder / "takes").mkdir(parents=True)
    tone = (0.1 * np.sin(np.arange(16_000) / 10)).astype(np.float32)
    for name in ("a", "b", "c", "d"):
        sf.write(folder / "takes" / f"{name}.wav", tone, 16_000)
    sf.write(folder / "stray.wav", tone, 16_000)  # on no metadata line: skipped and named
    rows = [
        {"file_name": "takes/a.wav", "transcription": "kubectl get pods -n prod"},
        {"file_name": "takes/b.wav", "text": "x = np.array(values)"},
        {"file_name": "takes/c.wav", "sentence": "Run the tests with pytest before you push."},
        {"file_name": "takes/d.wav", "text": "useState(0)", "kind": "code",
         "language": "javascript", "keywords": ["useState"]},
    ]  # fmt: skip
    (folder / "metadata.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    source = load_audio_dir(folder)
    items = {i.id: i for i in source.items()}
    labels = {k: (i.labels.kind, i.labels.language, i.labels.keywords) for k, i in items.items()}
    assert labels == {
        "takes/a": ("shell", "bash", extract_keywords("kubectl get pods -n prod", "shell")),
        "takes/b": ("code", "python", extract_keywords("x = np.array(values)", "code")),
        "takes/c": ("prose", "", extract_keywords(rows[2]["sentence"], "prose")),
        "takes/d": ("code", "javascript", ("useState",)),
    }
    assert all(labels[k][2] for k in labels)  # every row has keywords to recall
    assert source.failures == {"no transcript": 1} and source.failed == ["stray.wav"]
    # the same folder as metadata.csv, keywords separated by semicolons
    (folder / "metadata.jsonl").unlink()
    (folder / "metadata.csv").write_text(
        "file_name,transcription,kind,keywords\n"
        "takes/a.wav,kubectl get pods -n prod,,\n"
        "takes/d.wav,useState(0),code,useState;React\n"
    )
    items = {i.id: i for i in load_audio_dir(folder).items()}
    assert items["takes/a"].labels.kind == "shell"
    assert items["takes/d"].labels.keywords == ("useState", "React")
    (folder / "metadata.csv").write_text("file_name,transcription\ntakes/zz.wav,hello\n")
    with pytest.raises(InputError, match=r"metadata.csv:2: takes/zz.wav does not exist"):
        load_audio_dir(folder)


def test_an_unfinished_dataset_is_refused_unless_allowed(dataset: Path, tmp_path: Path):
    from devspeech.finetune.examples import read_split

    partial = tmp_path / "partial"
    shutil.copytree(dataset, partial)
    (partial / "README.md").unlink()  # the card is written last: no card, not finished
    with pytest.raises(InputError, match=r"partial is an unfinished dataset \(no card yet\)"):
        load_eval_set(str(partial), None, "test")
    with pytest.raises(InputError, match="--allow-partial"):
        read_split(str(partial), "train")
    allowed = load_eval_set(str(partial), None, "test", allow_partial=True)
    assert len(list(allowed.items())) == len(
        list(load_eval_set(str(dataset), None, "test").items())
    )
    result = CliRunner().invoke(
        cli, ["bench", "--model", "random:80", "--data", str(partial), "-o", str(tmp_path / "b")]
    )
    assert result.exit_code == 1 and "unfinished dataset" in result.output


def test_a_hub_model_that_cannot_be_had_fails_at_once(monkeypatch: pytest.MonkeyPatch, tmp_path):
    import socket

    from devspeech.benchmark.models import check_available

    spec = parse_spec("openai/whisper-nonexistent")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # nothing cached
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(InputError, match="not in the Hugging Face cache and HF_HUB_OFFLINE is set"):
        check_available(spec)
    monkeypatch.delenv("HF_HUB_OFFLINE")
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{port}")
    with pytest.raises(InputError, match=r"the Hub cannot be reached \(ConnectError"):
        check_available(spec)
    check_available(parse_spec("bundled:tiny.en"))  # local specs need nothing
