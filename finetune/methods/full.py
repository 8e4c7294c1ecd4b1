"""Every weight of the model trains (the most forgetting, the most memory)."""

from __future__ import annotations

from typing import Any

from devspeech.finetune.methods.base import Method


class Full(Method):
    name = "full"
    summary = "every weight of encoder and decoder"

    def prepare(self, loaded: Any, options: Any) -> Any:
        return loaded.model
