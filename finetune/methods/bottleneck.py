"""Bottleneck adapters (Houlsby et al. 2019; one per layer after the feed-forward, as
Pfeiffer et al. 2021): a down-projection to `--rank` units, a ReLU and an up-projection
that starts at zero, on the decoder's layers (`--lora-layers decoder`: the encoder is
frozen and cached) or on every layer. Only the adapters train. The result is an adapter
folder that loads over its recorded base with transformers; the adapters are layers a
plain Whisper has not, so the run cannot be merged and exported (the module
benchmark/models/bottleneck.py says why they are devspeech's own)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from devspeech.finetune.methods.base import OwnAdapter, base_name


class Bottleneck(OwnAdapter):
    name = "bottleneck"
    learning_rate = 1e-3
    summary = "small adapter layers after each feed-forward, --rank wide (--lora-layers)"
    unmergeable = "bottleneck adapters are layers a plain Whisper has not"

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

    def write_adapter(self, model: Any, loaded: Any, folder: Path) -> None:
        from devspeech.benchmark.models.bottleneck import save_adapters

        save_adapters(model, folder)
