"""The decoder alone: every decoder weight trains, the encoder is frozen and its outputs are
cached per clip (a step costs a tenth of LoRA on every layer on a CPU). With
`--train-layers N`, only the top N decoder layers and the final layer norm train; the
embeddings (tied to the output projection) and the layers below stay as they were."""

from __future__ import annotations

from typing import Any

from devspeech.finetune.methods.base import Method, freeze_encoder, top_layers


class Decoder(Method):
    name = "decoder"
    learning_rate = 2e-4  # run F of the held-out experiment
    summary = "every decoder weight (or the top --train-layers); the encoder frozen and cached"
    trains_by_layers = True  # checked against the model's layers once it is loaded

    def prepare(self, loaded: Any, options: Any) -> Any:
        model = loaded.model
        freeze_encoder(model)
        if options.train_layers:
            trained = top_layers(model, options.train_layers)
            for parameter in model.model.decoder.parameters():
                parameter.requires_grad = False
            for module in [*trained, model.model.decoder.layer_norm]:
                for parameter in module.parameters():
                    parameter.requires_grad = True
        return model

    def frozen_encoder(self, options: Any) -> bool:
        return True
