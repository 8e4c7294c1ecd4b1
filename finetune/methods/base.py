"""What every fine-tune method provides; the defaults are those of a method that trains
some of Whisper's own weights and saves the whole model."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from devspeech.benchmark.models.whisper import LoadedWhisper
    from devspeech.finetune.options import FinetuneOptions

ADAPTER_DIR = "adapter"
MODEL_DIR = "model"


class Method:
    """One way of fine-tuning Whisper. Subclasses set `name` and `summary` and override
    `prepare` (which parameters train); the rest has defaults for a full-model result."""

    name: ClassVar[str]
    summary: ClassVar[str]  # one line for the CLI's help and the report
    result_dir: ClassVar[str] = MODEL_DIR  # the folder of the finished run's result

    def check(self, options: FinetuneOptions, device: str) -> None:
        """Refuse, before any data is read, what this machine or these options cannot run."""

    def quantization(self, device: str) -> Any:
        """A transformers quantization config for the base as it is loaded, or None."""
        return None

    def prepare(self, loaded: LoadedWhisper, options: FinetuneOptions) -> Any:
        """The model to train, with `requires_grad` set on exactly what trains."""
        raise NotImplementedError

    def frozen_encoder(self, options: FinetuneOptions) -> bool:
        """True when no encoder weight trains: its outputs are then cached per clip."""
        return False

    def save(self, model: Any, loaded: LoadedWhisper, folder: Path) -> None:
        """Write the trained result into the empty `folder` (a loadable model spec)."""
        model.save_pretrained(folder)
        loaded.processor.save_pretrained(folder)

    def merge(self, model: Any) -> Any:
        """A plain WhisperForConditionalGeneration of the loaded result (for export)."""
        return model


def freeze_encoder(model: Any) -> None:
    for parameter in model.model.encoder.parameters():
        parameter.requires_grad = False
