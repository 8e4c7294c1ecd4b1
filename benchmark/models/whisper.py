"""Loading a Whisper model with transformers: the one place the benchmark's transformers
backend, the fine-tune stage and export load weights from a spec."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from devspeech.benchmark.models.spec import ModelSpec, transformers_location
from devspeech.errors import InputError


@dataclass
class LoadedWhisper:
    """A WhisperForConditionalGeneration (adapter applied for an adapter spec), its processor,
    and where its base weights came from."""

    model: Any
    processor: Any
    spec: ModelSpec
    location: str  # the path or Hub id transformers loaded the base from

    @property
    def multilingual(self) -> bool:
        return bool(getattr(self.model.generation_config, "is_multilingual", False))


def quiet_transformers() -> None:
    """Per-call notices and 'Loading weights' bars would drown devspeech's own progress."""
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()


def load_whisper(
    spec: ModelSpec, dtype: str = "float32", quantization: Any = None, adapter: bool = True
) -> LoadedWhisper:
    """The model a spec names in `dtype`; an adapter spec loads its base with the adapter over it
    (unless `adapter` is False: the base alone). A model that is not there is one clear line."""
    import torch
    from transformers import WhisperForConditionalGeneration, WhisperProcessor

    quiet_transformers()
    location = transformers_location(spec)
    try:
        processor = WhisperProcessor.from_pretrained(location)
        model = WhisperForConditionalGeneration.from_pretrained(
            location, dtype=getattr(torch, dtype), quantization_config=quantization
        )
    except OSError as error:
        raise InputError(f"cannot load {spec.text}: {error}") from None
    if spec.kind == "adapter" and adapter:
        from devspeech.benchmark.models.adapter import apply_adapter

        model = apply_adapter(model, spec)
    return LoadedWhisper(model, processor, spec, location)
