"""Prompt tuning (Lester et al. 2021): `--rank` learned vectors open the decoder's
previous-text prompt of every row, in training and in decoding, and nothing else trains;
the encoder is frozen and cached. The vectors start as the embeddings of random words.
The result is a folder of the vectors that loads over its recorded base with
transformers (benchmark/models/soft_prompt.py says how they reach the decoder); no
exported runtime can run them, so the run cannot be merged and exported. `deep-prompt`
puts such vectors at the input of every decoder layer too (deep prompt tuning)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from devspeech.finetune.methods.base import OwnAdapter, base_name


class PromptTuning(OwnAdapter):
    name = "prompt"
    learning_rate = 1e-2  # Lester et al. trained soft prompts at 0.3 (with Adafactor)
    summary = "--rank learned vectors that open the decoder's prompt; the rest frozen"
    unmergeable = "a soft prompt is vectors standing where tokens would, which no runtime takes"
    deep: ClassVar[bool] = False

    def prepare(self, loaded: Any, options: Any) -> Any:
        import torch

        from devspeech.benchmark.models.soft_prompt import add_soft_prompt, marker_id

        model = loaded.model
        for parameter in model.parameters():
            parameter.requires_grad = False
        tokenizer = loaded.processor.tokenizer
        words = tokenizer.convert_tokens_to_ids("<|endoftext|>")  # the ids below are words
        torch.manual_seed(options.seed)  # the vectors' draw: the same on every load
        return add_soft_prompt(model, options.rank, marker_id(tokenizer), words, self.deep)

    def frozen_encoder(self, options: Any) -> bool:
        return True

    def write_adapter(self, model: Any, loaded: Any, folder: Path) -> None:
        from devspeech.benchmark.models.soft_prompt import save_soft_prompt

        save_soft_prompt(model, base_name(loaded), folder)


class DeepPromptTuning(PromptTuning):
    """The prompt's places get learned vectors at every decoder layer's input too."""

    name = "deep-prompt"
    summary = "a soft prompt at every decoder layer's input (deep prompt tuning)"
    deep = True
