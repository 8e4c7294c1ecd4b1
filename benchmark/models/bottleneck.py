"""Bottleneck adapters (Houlsby et al. 2019, placed as Pfeiffer et al. 2021 place them):
after a layer's feed-forward, a small down-projection, a ReLU and an up-projection whose
output is added back, `h + up(relu(down(h)))`. The up-projection starts at zero, so a
fresh adapter leaves the model exactly as it was.

PEFT has no such adapters for Whisper, and AdapterHub's `adapters` would be a second
model-patching library beside PEFT for one method; the module is a few lines. An adapter
folder holds the adapters' weights alone (`bottleneck.safetensors`), their shape
(`bottleneck.json`, naming the base) and the base's fingerprint (`base.json`), and loads
over that base. The adapters add layers a plain Whisper has not, so they cannot be
merged into its weights: transformers runs them; CTranslate2 and ONNX cannot.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from devspeech.errors import InputError
from devspeech.files import write_json_atomic
from devspeech.jsonl import read_fields

CONFIG_FILE = "bottleneck.json"
WEIGHTS_FILE = "bottleneck.safetensors"
MARK = ".adapter."  # in the name of every adapter parameter


@dataclass(frozen=True)
class BottleneckConfig:
    base: str  # the model spec the adapters were trained on
    size: int  # the bottleneck's width
    layers: str  # "decoder", or "all" (the encoder's layers too)

    def write(self, folder: Path) -> None:
        write_json_atomic(folder / CONFIG_FILE, asdict(self))

    @classmethod
    def read(cls, folder: Path) -> BottleneckConfig:
        hint = "give the adapter/ folder `finetune --method bottleneck` wrote"
        return read_fields(folder / CONFIG_FILE, cls, "a bottleneck adapter config", hint)


@cache
def _modules() -> tuple[type, type]:
    import torch

    class Bottleneck(torch.nn.Module):
        def __init__(self, width: int, size: int) -> None:
            super().__init__()
            self.down = torch.nn.Linear(width, size)
            self.up = torch.nn.Linear(size, width)
            torch.nn.init.zeros_(self.up.weight)
            torch.nn.init.zeros_(self.up.bias)

        def forward(self, hidden: Any) -> Any:
            return hidden + self.up(torch.relu(self.down(hidden)))

    class Adapted(torch.nn.Module):
        """A linear layer followed by its adapter; `weight` is the layer's, for code that
        reads the projection it replaced."""

        def __init__(self, inner: Any, adapter: Any) -> None:
            super().__init__()
            self.inner = inner
            self.adapter = adapter

        @property
        def weight(self) -> Any:
            return self.inner.weight

        def forward(self, hidden: Any) -> Any:
            return self.adapter(self.inner(hidden))

    return Bottleneck, Adapted


def _layers(model: Any, layers: str) -> list[Any]:
    found = list(model.model.decoder.layers)
    if layers == "all":
        found = list(model.model.encoder.layers) + found
    return found


def add_adapters(model: Any, config: BottleneckConfig) -> Any:
    """`model` with a fresh adapter after each chosen layer's feed-forward (in place)."""
    bottleneck, adapted = _modules()
    for layer in _layers(model, config.layers):
        fc2 = layer.fc2
        adapter = bottleneck(fc2.out_features, config.size).to(fc2.weight.dtype)
        layer.fc2 = adapted(fc2, adapter.to(fc2.weight.device))
    model.bottleneck_config = config  # what save_adapters writes beside the weights
    return model


def adapter_weights(model: Any) -> dict[str, Any]:
    return {n: p.detach() for n, p in model.named_parameters() if MARK in n}


def save_adapters(model: Any, folder: Path) -> None:
    """Write the adapters of a model made by add_adapters into `folder`."""
    from safetensors.torch import save_file

    model.bottleneck_config.write(folder)
    weights = {n: t.contiguous().cpu() for n, t in adapter_weights(model).items()}
    save_file(weights, str(folder / WEIGHTS_FILE))


def load_adapters(model: Any, folder: Path) -> Any:
    """The base `model` with the adapters saved in `folder` over it; adapters of other
    shapes than the base's layers are one clear error."""
    from safetensors.torch import load_file

    config = BottleneckConfig.read(folder)
    add_adapters(model, config)
    saved = load_file(str(folder / WEIGHTS_FILE))
    wanted = adapter_weights(model)
    if saved.keys() != wanted.keys() or any(saved[n].shape != wanted[n].shape for n in wanted):
        raise InputError(
            f"the bottleneck adapters in {folder} do not fit this base (its layers differ from "
            f"those of {config.base}, which they were trained on); load them over that model"
        )
    model.load_state_dict(saved, strict=False)
    return model.eval()
