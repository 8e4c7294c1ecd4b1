"""Transcription backends: transformers (batched generate, PEFT adapters), faster-whisper
(CTranslate2) and ONNX Runtime (folders from `devspeech export --onnx`, onnx_backend.py).

All decode greedily, set language and task explicitly on multilingual models, take an
optional text prompt, and return timestamped segments when asked (long-form rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from devspeech.audio import SAMPLE_RATE
from devspeech.benchmark.models import (
    ModelSpec,
    backend_for,
    ctranslate2_location,
    transformers_location,
)
from devspeech.errors import InputError
from devspeech.records import Segment

BACKENDS = ("auto", "transformers", "faster-whisper", "onnxruntime")
CHUNK_S = 30.0


@dataclass(frozen=True)
class Transcript:
    text: str
    segments: tuple[Segment, ...] | None = None  # only when timestamps were asked for


class Backend(Protocol):
    name: str

    def transcribe(
        self, audios: list[np.ndarray], prompt: str | None, timestamps: bool
    ) -> list[Transcript]: ...


@dataclass(frozen=True)
class DecodeOptions:
    """How every backend decodes: greedy, with these limits."""

    device: str = "cpu"
    compute_type: str = "int8"  # faster-whisper; transformers: float32 unless float16/bfloat16
    max_new_tokens: int | None = None  # None: the model's own limit


def decode_tokens(tokenizer: Any, sequence: Any, timestamps: bool) -> Transcript:
    """The text of a generated token sequence and, when `timestamps`, its segments (from
    the tokenizer's offsets; a segment still open at the end is left out)."""
    if not timestamps:
        return Transcript(tokenizer.decode(sequence, skip_special_tokens=True).strip())
    decoded = tokenizer.decode(sequence, skip_special_tokens=True, output_offsets=True)
    segments = tuple(
        Segment(o["text"].strip(), float(o["timestamp"][0]), float(o["timestamp"][1]))
        for o in decoded["offsets"]
        if o["timestamp"][1] is not None
    )
    return Transcript(decoded["text"].strip(), segments)


class TransformersBackend:
    """WhisperForConditionalGeneration through `generate`, a batch at a time."""

    name = "transformers"

    def __init__(self, spec: ModelSpec, decoding: DecodeOptions = DecodeOptions()) -> None:
        import torch
        from transformers import WhisperForConditionalGeneration, WhisperProcessor
        from transformers.utils import logging

        logging.set_verbosity_error()  # per-call notices would drown the progress bar
        logging.disable_progress_bar()  # and so would 'Loading weights' bars
        location = transformers_location(spec)
        dtype = {"float16": "float16", "bfloat16": "bfloat16"}.get(decoding.compute_type, "float32")
        self.torch_dtype = getattr(torch, dtype)
        self.device = device = decoding.device
        self.max_new_tokens = decoding.max_new_tokens
        try:
            self.processor = WhisperProcessor.from_pretrained(location)
            model = WhisperForConditionalGeneration.from_pretrained(
                location, dtype=self.torch_dtype
            )
        except OSError as error:
            raise InputError(f"cannot load {spec.text}: {error}") from None
        if spec.kind == "peft":
            from devspeech.benchmark.models.adapter import apply_adapter

            model = apply_adapter(model, spec)
        self.model = model.to(device).eval()
        self.multilingual = bool(getattr(self.model.generation_config, "is_multilingual", False))

    def transcribe(
        self, audios: list[np.ndarray], prompt: str | None, timestamps: bool
    ) -> list[Transcript]:
        import torch

        long = any(len(a) > CHUNK_S * SAMPLE_RATE for a in audios)
        if long and len(audios) > 1:  # sequential long-form decoding runs one file at a time
            return [t for a in audios for t in self.transcribe([a], prompt, timestamps)]
        extractor = self.processor.feature_extractor
        features = extractor(
            audios,
            sampling_rate=SAMPLE_RATE,
            return_tensors="pt",
            return_attention_mask=True,
            **({"truncation": False, "padding": "longest"} if long else {}),
        )
        kwargs: dict = {"do_sample": False, "num_beams": 1, "return_timestamps": timestamps or long}
        if self.max_new_tokens is not None:
            kwargs["max_new_tokens"] = self.max_new_tokens
        if self.multilingual:
            kwargs.update(language="en", task="transcribe")
        if prompt:
            kwargs["prompt_ids"] = self.processor.get_prompt_ids(prompt, return_tensors="pt").to(
                self.device
            )
        with torch.inference_mode():
            output = self.model.generate(
                features.input_features.to(self.device, self.torch_dtype),
                attention_mask=features.attention_mask.to(self.device),
                **kwargs,
            )
        sequences = output["sequences"] if isinstance(output, dict) else output
        return [decode_tokens(self.processor.tokenizer, s, timestamps) for s in sequences]


class FasterWhisperBackend:
    """CTranslate2 through faster-whisper, one clip at a time (int8 or float32 on CPU)."""

    name = "faster-whisper"

    def __init__(self, spec: ModelSpec, decoding: DecodeOptions = DecodeOptions()) -> None:
        from faster_whisper import WhisperModel

        self.max_new_tokens = decoding.max_new_tokens
        try:
            self.model = WhisperModel(
                ctranslate2_location(spec),
                device=decoding.device,
                compute_type=decoding.compute_type,
            )
        except (OSError, RuntimeError, ValueError) as error:
            raise InputError(f"cannot load {spec.text}: {error}") from None

    def transcribe(
        self, audios: list[np.ndarray], prompt: str | None, timestamps: bool
    ) -> list[Transcript]:
        out = []
        for audio in audios:
            segments, _ = self.model.transcribe(
                audio,
                language="en",
                task="transcribe",
                beam_size=1,
                best_of=1,
                temperature=0.0,
                initial_prompt=prompt or None,
                without_timestamps=not timestamps,
                condition_on_previous_text=False,
                vad_filter=False,
                max_new_tokens=self.max_new_tokens,
            )
            pieces = list(segments)
            text = "".join(s.text for s in pieces).strip()
            spans = tuple(Segment(s.text.strip(), s.start, s.end) for s in pieces)
            out.append(Transcript(text, spans if timestamps else None))
        return out


def resolve_backend(name: str, spec: ModelSpec) -> str:
    """`auto` is the runtime the spec's files are for: CTranslate2 folders go to
    faster-whisper, ONNX folders to onnxruntime, everything else to transformers."""
    if name not in BACKENDS:
        raise InputError(f"unknown backend {name!r}; available: {', '.join(BACKENDS)}")
    return backend_for(spec) if name == "auto" else name


def load_backend(name: str, spec: ModelSpec, decoding: DecodeOptions = DecodeOptions()) -> Backend:
    name = resolve_backend(name, spec)
    if name == "onnxruntime":
        from devspeech.benchmark.onnx_backend import OnnxBackend

        return OnnxBackend(spec, decoding)
    if name == "transformers":
        return TransformersBackend(spec, decoding)
    if name == "faster-whisper":
        return FasterWhisperBackend(spec, decoding)
    raise InputError(f"unknown backend {name!r}; available: {', '.join(BACKENDS)}")
