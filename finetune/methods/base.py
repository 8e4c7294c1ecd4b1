"""What every fine-tune method provides; the defaults are those of a method that trains
some of Whisper's own weights and saves the whole model."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from devspeech.errors import InputError

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
    # the CLI's default --lr for the method: what the held-out and methods experiments
    # trained it at (larger for fewer, newer parameters)
    learning_rate: ClassVar[float] = 1e-4
    trains_by_layers: ClassVar[bool] = False  # takes --train-layers

    def check(self, options: FinetuneOptions, device: str) -> None:
        """Refuse, before any data is read, what this machine or these options cannot run."""
        if options.train_layers and not self.trains_by_layers:
            raise InputError(
                f"--train-layers chooses the decoder layers that train, and --method "
                f"{self.name} does not train by layers; use --method decoder"
            )

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

    def before_update(self, model: Any, step: int, options: FinetuneOptions) -> None:
        """Called with the gradients of `step` (1-based) before the optimizer applies them;
        a method whose trained set changes as the run goes (progressive unfreezing) zeroes
        what must not move yet. Seeded by nothing but the step, so resuming is exact."""


class PeftAdapter(Method):
    """A method whose result is a PEFT adapter folder over its recorded base, placed on
    every layer or (`--lora-layers decoder`) the decoder's alone, whose encoder is then
    frozen and cached; it merges into the base's weights for export."""

    result_dir: ClassVar[str] = ADAPTER_DIR

    def frozen_encoder(self, options: FinetuneOptions) -> bool:
        return bool(options.lora_layers == "decoder")

    def save(self, model: Any, loaded: LoadedWhisper, folder: Path) -> None:
        from devspeech.benchmark.models.adapter import write_base_record

        model.save_pretrained(folder)
        write_base_record(folder, loaded.spec.text, loaded.location)

    def merge(self, model: Any) -> Any:
        return model.merge_and_unload()


class OwnAdapter(Method):
    """A method whose result is devspeech's own adapter folder (parts a plain Whisper has
    not) over its recorded base: transformers loads it in bench and transcribe; it
    cannot be merged into Whisper's weights, so export refuses it in one line."""

    result_dir: ClassVar[str] = ADAPTER_DIR
    unmergeable: ClassVar[str]  # what the parts are, for export's refusal

    def write_adapter(self, model: Any, loaded: LoadedWhisper, folder: Path) -> None:
        raise NotImplementedError

    def save(self, model: Any, loaded: LoadedWhisper, folder: Path) -> None:
        from devspeech.benchmark.models.adapter import write_base_record

        self.write_adapter(model, loaded, folder)
        write_base_record(folder, loaded.spec.text, loaded.location)

    def merge(self, model: Any) -> Any:
        raise InputError(
            f"{self.unmergeable}, so they cannot be merged for export; bench and transcribe "
            "run the run's adapter/ folder with transformers, and --method lora trains an "
            "adapter that exports"
        )


def base_name(loaded: LoadedWhisper) -> str:
    """The spec an adapter folder names as its base: a bundled, random or Hub spec as
    written, a folder by its absolute path."""
    spec = loaded.spec
    return spec.text if spec.kind in ("bundled", "random", "hub") else loaded.location


def freeze_encoder(model: Any) -> None:
    for parameter in model.model.encoder.parameters():
        parameter.requires_grad = False


def decoder_layers(model: Any) -> list[Any]:
    """The decoder's layers, bottom to top."""
    return list(model.model.decoder.layers)


def top_layers(model: Any, count: int) -> list[Any]:
    """The top `count` decoder layers; one clear line when the model has fewer."""
    layers = decoder_layers(model)
    if count > len(layers):
        raise InputError(
            f"--train-layers {count}: this model's decoder has {len(layers)} layers; give at most "
            f"{len(layers)} (0 trains them all)"
        )
    return layers[len(layers) - count :]
