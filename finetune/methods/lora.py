"""LoRA (PEFT) on the attention and feed-forward projections, of every layer or of the
decoder's alone (the encoder is then frozen and cached); QLoRA puts it over a 4-bit base
on a CUDA GPU; DoRA (Liu et al. 2024) splits each update into a magnitude and a LoRA
direction. The result is an adapter folder that loads over its recorded base."""

from __future__ import annotations

import re
from typing import Any

from devspeech.errors import InputError
from devspeech.finetune.methods.base import PeftAdapter


def peft_targets(modules: tuple[str, ...], layers: str) -> list[str] | str:
    """PEFT's target_modules: the names, or (decoder layers only) a regex PEFT matches
    against full module names."""
    if layers != "decoder":
        return list(modules)
    names = "|".join(map(re.escape, modules))
    return rf"(?:.*\.)?decoder\.layers\.\d+\.(?:\w+\.)?(?:{names})"


class Lora(PeftAdapter):
    name = "lora"
    summary = "low-rank updates of the projections (--lora-layers all or decoder)"
    learning_rate = 5e-4
    use_dora = False

    def prepare(self, loaded: Any, options: Any) -> Any:
        import torch
        from peft import LoraConfig, get_peft_model

        model = loaded.model
        names = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
        missing = [m for m in options.target_modules if m not in names]
        if missing:
            raise InputError(
                f"--target-modules: {loaded.spec.text} has no {', '.join(missing)} layers"
            )
        config = LoraConfig(
            r=options.rank,
            lora_alpha=options.alpha,
            lora_dropout=options.dropout,
            target_modules=peft_targets(options.target_modules, options.lora_layers),
            bias="none",
            use_dora=self.use_dora,
        )
        torch.manual_seed(options.seed)  # the adapter's random init: the same on every load
        return get_peft_model(model, config)


class QLora(Lora):
    name = "qlora"
    summary = "LoRA over the base quantized to 4-bit NF4 (a CUDA GPU with bitsandbytes)"

    def check(self, options: Any, device: str) -> None:
        import torch

        super().check(options, device)
        if not device.startswith("cuda") or not torch.cuda.is_available():
            raise InputError("--method qlora needs a CUDA GPU (--device cuda); use lora on a CPU")
        try:
            import bitsandbytes  # noqa: F401
        except ImportError:
            raise InputError(
                "--method qlora needs bitsandbytes: pip install bitsandbytes"
            ) from None

    def quantization(self, device: str) -> Any:
        import torch
        from transformers import BitsAndBytesConfig

        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=dtype,
        )

    def prepare(self, loaded: Any, options: Any) -> Any:
        from peft import prepare_model_for_kbit_training

        loaded.model = prepare_model_for_kbit_training(loaded.model)
        return super().prepare(loaded, options)


class Dora(Lora):
    name = "dora"
    summary = "LoRA's direction with a trained magnitude per output (DoRA; --lora-layers)"
    use_dora = True
