"""The model to train: the base any spec the benchmark loads names (bundled, random, Hub id,
folder), shaped by the run's method (finetune/methods/)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from devspeech.benchmark.models import ModelSpec, check_available, parse_spec
from devspeech.benchmark.models.whisper import LoadedWhisper, load_whisper
from devspeech.errors import InputError
from devspeech.finetune.methods import Method, get_method
from devspeech.finetune.options import FinetuneOptions


@dataclass
class TrainModel:
    """The model being trained, the method that shaped it, and the base it came from."""

    model: Any
    method: Method
    loaded: LoadedWhisper
    frozen: bool  # no encoder weight trains: its outputs are cached per clip

    @property
    def processor(self) -> Any:
        return self.loaded.processor

    @property
    def spec(self) -> ModelSpec:
        return self.loaded.spec

    def trainable(self) -> dict[str, Any]:
        """The parameters that change, by name (what a checkpoint stores)."""
        return {n: p for n, p in self.model.named_parameters() if p.requires_grad}

    def encoder(self) -> Any:
        base = self.model.get_base_model() if hasattr(self.model, "get_base_model") else self.model
        return base.model.encoder


def base_spec(text: str) -> ModelSpec:
    """The spec to train from: anything the benchmark loads with transformers."""
    spec = parse_spec(text)
    if spec.kind == "ctranslate2":
        raise InputError(f"{text} is a CTranslate2 folder; fine-tune from transformers weights")
    if spec.kind == "adapter":
        raise InputError(f"{text} is an adapter; fine-tune from its base model ({spec.base})")
    check_available(spec)
    return spec


def load_model(options: FinetuneOptions, device: str = "cpu") -> TrainModel:
    """Load the base and let the run's method choose what trains."""
    method = get_method(options.method)
    method.check(options, device)
    quantization = method.quantization(device)
    loaded = load_whisper(base_spec(options.model), "float32", quantization)
    model = method.prepare(loaded, options)
    if quantization is None:
        model = model.to(device)
    tm = TrainModel(model, method, loaded, method.frozen_encoder(options))
    if tm.frozen and any(p.requires_grad for p in tm.encoder().parameters()):
        raise InputError(
            f"the method {method.name} says its encoder is frozen, yet it trains encoder "
            "weights; fix the method's prepare() or frozen_encoder()"
        )
    return tm


def check_method(options: FinetuneOptions, device: str) -> None:
    """Refuse, before any data is read, a method this machine cannot run."""
    get_method(options.method).check(options, device)
