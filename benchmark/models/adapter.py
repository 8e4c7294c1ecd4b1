"""Adapters (PEFT; devspeech's bottleneck adapters and soft prompts) and their base.

An adapter holds only the updates of some layers, so it loads over any
base whose layers have those shapes, even one it was never trained on (tiny.en and
a random model of the same width, say), and transcribes nonsense without a word. The
fine-tune stage therefore writes `base.json` beside the adapter, naming the base and a
fingerprint of its weight files; loading checks it and refuses a base that differs.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

from devspeech.benchmark.models.spec import ModelSpec, transformers_location
from devspeech.errors import InputError

BASE_FILE = "base.json"
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".onnx")


@cache
def _file_digest(path: Path, size: int, mtime_ns: int) -> str:
    del size, mtime_ns  # part of the cache key: a rewritten file is hashed again
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def base_fingerprint(location: str) -> str:
    """sha256 over the weight files of a local model folder; for a Hub id, the commit of
    its cached snapshot (or the id alone when nothing is cached)."""
    folder = Path(location)
    if folder.is_dir():
        digest = hashlib.sha256()
        for path in sorted(p for p in folder.iterdir() if p.suffix in WEIGHT_SUFFIXES):
            stat = path.stat()
            digest.update(
                path.name.encode() + _file_digest(path, stat.st_size, stat.st_mtime_ns).encode()
            )
        return "sha256:" + digest.hexdigest()
    from huggingface_hub import try_to_load_from_cache

    cached = try_to_load_from_cache(location, "config.json")
    if isinstance(cached, str):
        return f"hub:{location}@{Path(cached).parent.name}"
    return f"hub:{location}"


def model_revision(spec: ModelSpec) -> str:
    """What exactly a spec names, for results: the pinned weights of a bundled model, the
    seed of a random one, a hash of a folder's weight files (an adapter's with its base's),
    or the cached snapshot commit of a Hub id."""
    if spec.kind == "bundled":
        from devspeech.benchmark.models.bundled import BUNDLED

        return f"sha256:{BUNDLED[spec.location].model_sha256}"
    if spec.kind == "random":
        return f"random:{spec.location}:seed0"
    if spec.kind == "adapter":
        assert spec.base is not None
        return f"{base_fingerprint(spec.location)}+{model_revision(spec.base)}"
    return base_fingerprint(spec.location)


def write_base_record(adapter: Path, base_spec: str, location: str) -> None:
    record = {"base": base_spec, "fingerprint": base_fingerprint(location)}
    (adapter / BASE_FILE).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def check_base(spec: ModelSpec) -> None:
    """Refuse to load the adapter `spec` over a base whose weights are not the ones it was
    trained on; adapters without a record (made elsewhere) are loaded as they are."""
    record_path = Path(spec.location) / BASE_FILE
    if spec.base is None or not record_path.is_file():
        return
    record = json.loads(record_path.read_text(encoding="utf-8"))
    found = base_fingerprint(transformers_location(spec.base))
    if record.get("fingerprint") != found:
        raise InputError(
            f"the adapter {spec.text} was trained on {record.get('base')} "
            f"({record.get('fingerprint', '?')[:19]}), and its base {spec.base.text} is not "
            f"that model ({found[:19]}); point adapter_config.json at the base it was trained on"
        )


def apply_adapter(model: Any, spec: ModelSpec) -> Any:
    """`model` (the base that `spec.base` names) wrapped with the adapter at `spec.location`;
    a base of other shapes, or other weights than the recorded ones, is one clear error."""
    from devspeech.benchmark.models.own_adapters import own_format

    check_base(spec)
    own = own_format(Path(spec.location))
    if own is not None:
        return own.load(model, Path(spec.location))
    from peft import PeftModel

    try:
        return PeftModel.from_pretrained(model, spec.location)
    except (RuntimeError, ValueError, KeyError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        base = spec.base.text if spec.base is not None else "its base"
        raise InputError(
            f"the adapter {spec.text} does not fit {base} (was it trained on another base "
            f"model?): {first[:200]}"
        ) from None
