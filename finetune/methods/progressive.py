"""Progressive unfreezing of the decoder (ULMFiT, Howard and Ruder 2018): training starts
with the top decoder layer (and the final layer norm) and unfreezes one layer further down
at each equal share of the run, so the layers nearest the output, which know least of
code, move first and longest, and the bottom ones, which hold the most general
knowledge, move least. The encoder is frozen and cached.

Every decoder weight is in the optimizer from the start; the gradients of layers not yet
unfrozen are zeroed before each update, so with no weight decay they do not move at all,
and a checkpoint (and so a resumed run) is the same whatever the step. The embeddings,
tied to the output projection, stay frozen."""

from __future__ import annotations

from typing import Any

from devspeech.finetune.methods.base import Method, decoder_layers, freeze_encoder


class Progressive(Method):
    name = "progressive"
    learning_rate = 2e-4
    summary = "decoder layers unfrozen top to bottom as the run goes; the encoder cached"

    def prepare(self, loaded: Any, options: Any) -> Any:
        model = loaded.model
        freeze_encoder(model)
        model.model.decoder.embed_tokens.weight.requires_grad = False
        model.model.decoder.embed_positions.weight.requires_grad = False
        return model

    def frozen_encoder(self, options: Any) -> bool:
        return True

    @staticmethod
    def unfrozen(step: int, max_steps: int, layers: int) -> int:
        """How many decoder layers (from the top) train at `step` (1-based)."""
        return min(layers, 1 + (step - 1) * layers // max(1, max_steps))

    def before_update(self, model: Any, step: int, options: Any) -> None:
        layers = decoder_layers(model)
        still = len(layers) - self.unfrozen(step, options.max_steps, len(layers))
        for layer in layers[:still]:
            for parameter in layer.parameters():
                if parameter.grad is not None:
                    parameter.grad.zero_()
