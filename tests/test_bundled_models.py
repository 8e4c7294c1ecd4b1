"""CTranslate2 -> transformers conversion: exact on random models, token-exact on bundled tiny.en."""

from __future__ import annotations

import io
import random
import struct
from pathlib import Path

import numpy as np
import pytest

from devspeech.benchmark.models.bundled import BUNDLED, ct2_folder, transformers_folder
from devspeech.benchmark.models.convert import whisper_state_dict
from devspeech.benchmark.models.ct2 import read_ct2
from devspeech.benchmark.models.tiny import build_tiny_whisper
from devspeech.errors import InputError

pytestmark = pytest.mark.usefixtures("use_model_cache")


def _ct2_convert(source: Path, out: Path, quantization: str | None = None) -> Path:
    from ctranslate2.converters import TransformersConverter

    TransformersConverter(str(source)).convert(str(out), quantization=quantization)
    return out


@pytest.mark.parametrize("mels", [80, 128])
def test_random_whisper_survives_a_ctranslate2_round_trip_exactly(tmp_path: Path, mels: int):
    from safetensors.numpy import load_file

    hf = build_tiny_whisper(tmp_path / "hf", num_mel_bins=mels, seed=mels)
    ct2 = _ct2_convert(hf, tmp_path / "ct2")
    with (ct2 / "model.bin").open("rb") as handle:
        state, sizes = whisper_state_dict(read_ct2(handle))
    original = load_file(str(hf / "model.safetensors"))
    original.pop("proj_out.weight", None)  # tied to the token embeddings
    assert sorted(state) == sorted(original)
    for name, value in original.items():
        assert np.array_equal(state[name], value), name
    assert sizes["num_mel_bins"] == mels and sizes["encoder_layers"] == 2


def test_int8_weights_are_dequantized_by_their_row_scales(tmp_path: Path):
    from safetensors.numpy import load_file

    hf = build_tiny_whisper(tmp_path / "hf", seed=1)
    ct2 = _ct2_convert(hf, tmp_path / "ct2", quantization="int8")
    with (ct2 / "model.bin").open("rb") as handle:
        model = read_ct2(handle)
    assert model.get("encoder/layer_0/ffn/linear_0/weight").dtype == np.int8
    state, _ = whisper_state_dict(model)
    weight = load_file(str(hf / "model.safetensors"))["model.encoder.layers.0.fc1.weight"]
    step = np.abs(weight).max(axis=1, keepdims=True) / 127  # one int8 step per row
    assert np.all(np.abs(state["model.encoder.layers.0.fc1.weight"] - weight) <= step / 2 + 1e-7)


def test_truncated_or_foreign_files_are_named():
    with pytest.raises(InputError, match=r"bad\.bin is not a readable CTranslate2 model"):
        read_ct2(io.BytesIO(struct.pack("<I", 6) + b"\x05\x00abc"), "bad.bin")
    with pytest.raises(InputError, match="binary version 99 is not supported"):
        read_ct2(io.BytesIO(struct.pack("<I", 99)), "new.bin")


# <|startoftranscript|> [<|en|> <|transcribe|>] <|notimestamps|>
PROMPTS = {"tiny.en": [50257, 50362], "base": [50258, 50259, 50359, 50363]}


@pytest.mark.parametrize("name", ["tiny.en", pytest.param("base", marks=pytest.mark.slow)])
def test_bundled_greedy_tokens_equal_faster_whisper(model_cache: Path, name: str):
    import torch
    from faster_whisper import WhisperModel
    from transformers import WhisperFeatureExtractor, WhisperForConditionalGeneration

    from devspeech.generator.engines.espeak import EspeakEngine

    folder = transformers_folder(name)
    assert folder == model_cache / "models" / f"bundled-{name}"
    engine = EspeakEngine()
    rng = random.Random(1)
    speech = engine.synthesize(
        "the quick brown fox jumps over the lazy dog and then runs away",
        engine.draw_speaker(engine.voices()[0], rng),
        rng,
    )
    features = WhisperFeatureExtractor.from_pretrained(folder)(
        speech.audio, sampling_rate=16_000, return_tensors="np"
    ).input_features
    prompt = PROMPTS[name]

    reference = WhisperModel(str(ct2_folder(name)), device="cpu", compute_type="float32")
    import ctranslate2

    expected = reference.model.generate(
        ctranslate2.StorageView.from_array(features), [prompt], beam_size=1, max_length=100
    )[0].sequences_ids[0]
    model = WhisperForConditionalGeneration.from_pretrained(folder).eval()
    with torch.no_grad():
        tokens = model.generate(
            torch.from_numpy(features), decoder_input_ids=torch.tensor([prompt]),
            do_sample=False, num_beams=1, max_new_tokens=100,
        )[0].tolist()  # fmt: skip
    assert tokens == expected
    assert len(tokens) > 8  # a real sentence, not an immediate end of text


def test_bad_bundled_names_and_tampered_files_are_refused(model_cache: Path, monkeypatch):
    with pytest.raises(
        InputError, match=r"unknown bundled model 'large'; available: bundled:tiny\.en"
    ):
        ct2_folder("large")
    from devspeech.benchmark.models import bundled

    model = BUNDLED["tiny.en"]
    wrong = bundled.PackagedFile(model.config.distribution, model.config.path, "0" * 64)
    with pytest.raises(InputError, match="does not match its pinned sha256"):
        bundled.locate(wrong)
    missing = bundled.PackagedFile("no-such-devspeech-package", "x/y.bin", "0" * 64)
    with pytest.raises(InputError, match="no-such-devspeech-package is not installed"):
        bundled.locate(missing)


def test_cache_folders_appear_only_when_their_build_completes(model_cache: Path):
    from devspeech.cache import cached_folder

    calls: list[str] = []

    def broken(folder: Path) -> None:
        (folder / "half.bin").write_bytes(b"x")
        raise RuntimeError("killed")

    def build(folder: Path) -> None:
        calls.append(folder.name)
        (folder / "done.bin").write_bytes(b"ok")

    with pytest.raises(RuntimeError, match="killed"):
        cached_folder("demo", "done.bin", broken)
    assert not (model_cache / "models" / "demo").exists()
    final = cached_folder("demo", "done.bin", build)
    assert sorted(p.name for p in final.iterdir()) == ["done.bin"]  # the half build is gone
    assert cached_folder("demo", "done.bin", build) == final and calls == [".demo.partial"]
