"""IA3 (PEFT; Liu et al. 2022): learned vectors that rescale the attention keys and values
and the feed-forward activations, a few thousand numbers per model, initialised to one
(so the run starts from base exactly). `--lora-layers decoder` puts them on the decoder's
layers alone, and the encoder is then frozen and cached. The result is an adapter folder
that loads over its recorded base, and merges into the weights for export."""

from __future__ import annotations

from typing import Any

from devspeech.finetune.methods.base import PeftAdapter
from devspeech.finetune.methods.lora import peft_targets

TARGETS = ("k_proj", "v_proj", "fc2")
FEED_FORWARD = ("fc2",)  # rescaled at its input, the activation; the others at the output


class Ia3(PeftAdapter):
    name = "ia3"
    learning_rate = 3e-3
    summary = "rescaling vectors on keys, values and feed-forward (--lora-layers all or decoder)"

    def prepare(self, loaded: Any, options: Any) -> Any:
        from peft import IA3Config, get_peft_model

        config = IA3Config(
            target_modules=peft_targets(TARGETS, options.lora_layers),
            feedforward_modules=peft_targets(FEED_FORWARD, options.lora_layers),
        )
        return get_peft_model(loaded.model, config)
