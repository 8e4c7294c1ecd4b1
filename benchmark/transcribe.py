"""Transcribing files as an application does: one library call with a vocabulary.

`Transcriber` loads a model once (any spec bench takes) and turns audio into text,
optionally favouring a vocabulary's terms: with `two_pass`, each clip is decoded, its
best-matching terms become the prompt, and it is decoded again (bench's `vocabulary`
condition); with `biasing="trie"`, every term is favoured by shallow fusion while
decoding (transformers and ONNX Runtime). Each result carries its timings.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from devspeech.audio import SAMPLE_RATE, decode_16k
from devspeech.benchmark.backends import DecodeOptions, load_backend
from devspeech.benchmark.biasing import DEFAULT_BONUS
from devspeech.benchmark.decoding import Decoding
from devspeech.benchmark.models import check_available, parse_spec
from devspeech.benchmark.vocab_rank import PROMPT_TERMS, second_pass_kept, vocabulary_prompt
from devspeech.errors import InputError
from devspeech.vocabulary import Vocabulary, read_vocabulary


@dataclass(frozen=True)
class TranscribeOptions:
    model: str = "bundled:tiny.en"
    vocabulary: Path | None = None
    two_pass: bool = False  # prompt a second pass with the terms the first pass sounds like
    biasing: str = "none"  # none | trie
    bias_bonus: float = DEFAULT_BONUS
    rerank: bool = False  # with beam search: keep the hypothesis a developer meant (rerank.py)
    decoding: str = "greedy"
    backend: str = "auto"
    device: str = "cpu"
    compute_type: str = "int8"
    prompt_terms: int = PROMPT_TERMS

    def __post_init__(self) -> None:
        if (self.two_pass or self.biasing != "none") and self.vocabulary is None:
            raise InputError("--two-pass and --biasing use a vocabulary; give --vocabulary FILE")


@dataclass(frozen=True)
class Transcription:
    """One file's text, the prompt its last pass had, and how long it took."""

    path: str
    text: str
    audio_s: float
    elapsed_s: float
    first_pass: str | None = None
    prompt: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {"path": self.path, "text": self.text, "audio_s": round(self.audio_s, 3),
                "elapsed_s": round(self.elapsed_s, 4), "first_pass": self.first_pass,
                "prompt": self.prompt}  # fmt: skip


class Transcriber:
    """A model loaded once, with its vocabulary, for any number of clips."""

    def __init__(self, options: TranscribeOptions) -> None:
        spec = parse_spec(options.model)
        check_available(spec)
        self.options = options
        self.vocabulary: Vocabulary | None = (
            read_vocabulary(options.vocabulary) if options.vocabulary else None
        )
        decoding = DecodeOptions(
            options.device, options.compute_type, None,
            Decoding.parse(options.decoding, options.biasing, options.rerank),
            self.vocabulary.texts if self.vocabulary else (), options.bias_bonus,
        )  # fmt: skip
        self.backend = load_backend(options.backend, spec, decoding)

    def transcribe(self, audio: np.ndarray, path: str = "") -> Transcription:
        """Text of one clip (16 kHz float32 mono)."""
        started = time.perf_counter()
        long = len(audio) > 30 * SAMPLE_RATE
        (heard,) = self.backend.transcribe([audio], None, long)
        first, prompt = None, None
        if self.options.two_pass and self.vocabulary is not None:
            first = heard.text
            prompt = vocabulary_prompt(first, self.vocabulary, self.options.prompt_terms) or None
            (second,) = self.backend.transcribe([audio], prompt, long)
            heard = second if second_pass_kept(first, second.text) else heard
        elapsed = time.perf_counter() - started
        return Transcription(path, heard.text, len(audio) / SAMPLE_RATE, elapsed, first, prompt)

    def transcribe_file(self, path: Path) -> Transcription:
        return self.transcribe(read_audio(path), str(path))


def read_audio(path: Path) -> np.ndarray:
    """A WAV, FLAC or OGG file as 16 kHz mono float32; anything else is one clear line."""
    try:
        return decode_16k(path.read_bytes())
    except FileNotFoundError:
        raise InputError(f"no audio file at {path}") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a folder; give audio files (WAV, FLAC, OGG)") from None
    except InputError as error:
        raise InputError(f"{path}: {error}; give a WAV, FLAC or OGG file") from None
