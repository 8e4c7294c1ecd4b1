"""Bottleneck adapters (Houlsby et al. 2019; one per layer after the feed-forward, as
Pfeiffer et al. 2021): a down-projection to `--rank` units, a ReLU and an up-projection
that starts at zero, on the decoder's layers (`--lora-layers decoder`: the encoder is
frozen and cached) or on every layer. Only the adapters train. The result is an adapter
folder that loads over its recorded base with transformers; the adapters are layers a
plain Whisper has not, so the run cannot be merged and exported (the module
benchmark/models/bottleneck.py says why they are devspeech's own)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from devspeech.errors import InputError
from devspeech.finetune.methods.base import ADAPTER_DIR, Method, base_name


class Bottleneck(Method):
    name = "bottleneck"
    summary = "small adapter layers after each feed-forward, --rank wide (--lora-layers)"
    result_dir: ClassVar[str] = ADAPTER_DIR

    def prepare(self, loaded: Any, options: Any) -> Any:
        import torch

        from devspeech.benchmark.models.bottleneck import BottleneckConfig, add_adapters

        model = loaded.model
        for parameter in model.parameters():
            parameter.requires_grad = False
        torch.manual_seed(options.seed)  # the adapters' random init: the same on every load
        config = BottleneckConfig(base_name(loaded), options.rank, options.lora_layers)
        return add_adapters(model, config)

    def frozen_encoder(self, options: Any) -> bool:
        return bool(options.lora_layers == "decoder")

    def save(self, model: Any, loaded: Any, folder: Path) -> None:
        from devspeech.benchmark.models.adapter import write_base_record
        from devspeech.benchmark.models.bottleneck import save_adapters

        save_adapters(model, folder)
        write_base_record(folder, loaded.spec.text, loaded.location)

    def merge(self, model: Any) -> Any:
        raise InputError(
            "bottleneck adapters are layers a plain Whisper has not, so they cannot be merged "
            "for export; bench and transcribe run the run's adapter/ folder with transformers, "
            "and --method lora trains an adapter that exports"
        )
