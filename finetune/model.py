"""The model to train, by method: LoRA adapters, QLoRA on a 4-bit base, the decoder alone,
or every weight. Any spec the benchmark loads works (bundled, random, Hub id, folder)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from devspeech.benchmark.models import ModelSpec, check_available, parse_spec, transformers_location
from devspeech.errors import InputError
from devspeech.finetune.options import FinetuneOptions


@dataclass
class TrainModel:
    """The model being trained, its processor, and where its base weights came from."""

    model: Any
    processor: Any
    spec: ModelSpec
    base_location: str  # path or Hub id transformers loads the base from
    multilingual: bool

    def trainable(self) -> dict[str, Any]:
        """The parameters that change, by name (what a checkpoint stores)."""
        return {n: p for n, p in self.model.named_parameters() if p.requires_grad}

    def encoder_frozen(self) -> bool:
        """True when no encoder weight trains: its outputs can then be cached per clip."""
        return not any(p.requires_grad for p in self.encoder().parameters())

    def encoder(self) -> Any:
        base = self.model.get_base_model() if hasattr(self.model, "get_base_model") else self.model
        return base.model.encoder


def base_spec(text: str) -> ModelSpec:
    """The spec to train from: anything the benchmark loads with transformers."""
    spec = parse_spec(text)
    if spec.kind == "ctranslate2":
        raise InputError(f"{text} is a CTranslate2 folder; fine-tune from transformers weights")
    if spec.kind == "peft":
        raise InputError(f"{text} is an adapter; fine-tune from its base model ({spec.base})")
    check_available(spec)
    return spec


def load_model(options: FinetuneOptions, device: str = "cpu") -> TrainModel:
    """Load the base and make the parameters of `options.method` trainable."""
    import torch
    from transformers import WhisperForConditionalGeneration, WhisperProcessor
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()  # 'Loading weights' bars would drown ours
    spec = base_spec(options.model)
    location = transformers_location(spec)
    quantization = None
    if options.method == "qlora":
        quantization = _four_bit(device)
    try:
        processor = WhisperProcessor.from_pretrained(location)
        model = WhisperForConditionalGeneration.from_pretrained(
            location, dtype=torch.float32, quantization_config=quantization
        )
    except OSError as error:
        raise InputError(f"cannot load {spec.text}: {error}") from None
    multilingual = bool(getattr(model.generation_config, "is_multilingual", False))
    if options.method in ("lora", "qlora"):
        from peft import LoraConfig, get_peft_model

        if quantization is not None:
            from peft import prepare_model_for_kbit_training

            model = prepare_model_for_kbit_training(model)
        names = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
        missing = [m for m in options.target_modules if m not in names]
        if missing:
            raise InputError(f"--target-modules: {spec.text} has no {', '.join(missing)} layers")
        targets: list[str] | str = list(options.target_modules)
        if options.lora_layers == "decoder":  # a regex PEFT matches against full module names
            names_ = "|".join(map(re.escape, options.target_modules))
            targets = rf"(?:.*\.)?decoder\.layers\.\d+\.(?:\w+\.)?(?:{names_})"
        config = LoraConfig(
            r=options.rank,
            lora_alpha=options.alpha,
            lora_dropout=options.dropout,
            target_modules=targets,
            bias="none",
        )
        torch.manual_seed(options.seed)  # the adapter's random init: the same on every load
        model = get_peft_model(model, config)
    elif options.method == "decoder":
        for parameter in model.model.encoder.parameters():
            parameter.requires_grad = False
    if quantization is None:
        model = model.to(device)
    return TrainModel(model, processor, spec, location, multilingual)


def check_method(method: str, device: str) -> None:
    """Refuse, before any data is read, a method this machine cannot run."""
    if method != "qlora":
        return
    import torch

    if not device.startswith("cuda") or not torch.cuda.is_available():
        raise InputError("--method qlora needs a CUDA GPU (--device cuda); use lora on a CPU")
    try:
        import bitsandbytes  # noqa: F401
    except ImportError:
        raise InputError("--method qlora needs bitsandbytes: pip install bitsandbytes") from None


def _four_bit(device: str) -> Any:
    """4-bit NF4 quantization of the base (QLoRA); only on a CUDA GPU with bitsandbytes."""
    import torch

    check_method("qlora", device)
    from transformers import BitsAndBytesConfig

    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=dtype,
    )
