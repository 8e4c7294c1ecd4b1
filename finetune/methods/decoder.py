"""The decoder alone: every decoder weight trains, the encoder is frozen and its outputs are
cached per clip (a step costs a tenth of LoRA on every layer on a CPU)."""

from __future__ import annotations

from typing import Any

from devspeech.finetune.methods.base import Method, freeze_encoder


class Decoder(Method):
    name = "decoder"
    summary = "every decoder weight; the encoder frozen and its outputs cached"

    def prepare(self, loaded: Any, options: Any) -> Any:
        freeze_encoder(loaded.model)
        return loaded.model

    def frozen_encoder(self, options: Any) -> bool:
        return True
