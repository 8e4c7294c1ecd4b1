"""The fine-tune methods, one module each behind this registry (as the generator's engines).

A method decides which parameters train, whether the encoder is frozen (and its outputs
therefore cached), what the result folder holds, how it is saved and loaded, and how it
is merged into a plain Whisper model for export. Adding one is a new module with a
`Method` subclass and one line here.
"""

from __future__ import annotations

from functools import cache

from devspeech.errors import InputError
from devspeech.finetune.methods.base import ADAPTER_DIR, MODEL_DIR, Method

# method name -> (module, class); imported only when the method is used
METHODS: dict[str, tuple[str, str]] = {
    "lora": ("devspeech.finetune.methods.lora", "Lora"),
    "qlora": ("devspeech.finetune.methods.lora", "QLora"),
    "decoder": ("devspeech.finetune.methods.decoder", "Decoder"),
    "full": ("devspeech.finetune.methods.full", "Full"),
    "dora": ("devspeech.finetune.methods.lora", "Dora"),
    "ia3": ("devspeech.finetune.methods.ia3", "Ia3"),
    "progressive": ("devspeech.finetune.methods.progressive", "Progressive"),
    "bottleneck": ("devspeech.finetune.methods.bottleneck", "Bottleneck"),
    "prompt": ("devspeech.finetune.methods.prompt", "PromptTuning"),
    "deep-prompt": ("devspeech.finetune.methods.prompt", "DeepPromptTuning"),
}

AUTO = "auto"
METHOD_HELP = (
    "How to train: " + ", ".join(METHODS) + "; auto picks one for the device (decoder on a "
    "CPU, lora on a GPU) and says why."
)


def choose_method(device: str) -> tuple[str, str]:
    """The method `--method auto` trains on `device`, and why."""
    if device.startswith("cuda"):
        return "lora", (
            "on a GPU, LoRA on every layer: the encoder adapts too, at a small adapter's cost"
        )
    return "decoder", (
        "on a CPU, a cached-encoder method (about 10x faster a step than LoRA on every layer "
        "here, perf/RESULTS.md); the held-out experiment's best recipe (run F), and the one "
        "that writes the most trained names in the methods experiment; --method lora "
        "trains every layer"
    )


def variant_options(variant: str) -> dict[str, object]:
    """FinetuneOptions fields of a method variant as the perf script and the methods
    experiment name them: the method, then `-decoder` (an adapter on the decoder alone) or
    `-topN` (`--train-layers N`): `lora-decoder`, `decoder-top2`, `ia3`."""
    method = max((m for m in METHODS if variant == m or variant.startswith(m + "-")), key=len,
                 default=variant.partition("-")[0])  # fmt: skip
    rest = variant[len(method) + 1 :]
    if rest.startswith("top"):
        return {"method": method, "train_layers": int(rest[3:])}
    return {"method": method, "lora_layers": rest or "all"}


def learning_rates_help() -> str:
    """Each method's default --lr, for the CLI's help (`lora 0.0005, decoder 0.0002, ...`);
    a method module imports nothing heavy until it trains."""
    return ", ".join(f"{name} {get_method(name).learning_rate:g}" for name in METHODS)


def method_names() -> tuple[str, ...]:
    return tuple(METHODS)


def check_method_name(name: str) -> None:
    if name not in METHODS:
        raise InputError(f"--method {name!r}; choose one of {', '.join(METHODS)}")


@cache
def _load(module: str, attribute: str) -> Method:
    import importlib

    return getattr(importlib.import_module(module), attribute)()


def get_method(name: str) -> Method:
    """The method registered as `name` (one instance per process)."""
    check_method_name(name)
    return _load(*METHODS[name])


__all__ = ["ADAPTER_DIR", "METHODS", "MODEL_DIR", "Method", "get_method", "method_names"]
