"""The engine registry, voice selection from `--voices`, and the held-out speaker pool."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from devspeech.errors import InputError
from devspeech.generator.engines.base import Engine, Voice

# engine name -> (module, class); imported only when the engine is used
ENGINES: dict[str, tuple[str, str]] = {
    "espeak": ("devspeech.generator.engines.espeak", "EspeakEngine"),
    "piper": ("devspeech.generator.engines.piper", "PiperEngine"),
    "kokoro": ("devspeech.generator.engines.kokoro", "KokoroEngine"),
    "coqui": ("devspeech.generator.engines.coqui", "CoquiEngine"),
}


@cache
def get_engine(name: str) -> Engine:
    """The engine instance for `name` (one per process)."""
    import importlib

    if name not in ENGINES:
        raise InputError(f"unknown engine {name!r}; available: {', '.join(ENGINES)}")
    module, attribute = ENGINES[name]
    return getattr(importlib.import_module(module), attribute)()


def parse_engines(spec: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(n.strip() for n in spec.split(",") if n.strip()))
    if not names:
        raise InputError("--engines is empty; available: " + ", ".join(ENGINES))
    unknown = [n for n in names if n not in ENGINES]
    if unknown:
        raise InputError(f"unknown engine(s) {', '.join(unknown)}; available: {', '.join(ENGINES)}")
    return names


def read_voice_patterns(spec: str | None) -> tuple[str, ...]:
    """Patterns from a comma list, or from a file (one per line, # comments) given as @PATH."""
    if not spec:
        return ()
    if spec.startswith("@"):
        path = Path(spec[1:])
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise InputError(f"voices file {path} cannot be read: {error.strerror}") from None
        items = [line.split("#", 1)[0].strip() for line in lines]
    else:
        items = [item.strip() for item in spec.split(",")]
    return tuple(item for item in items if item)


def select_voices(available: Sequence[Voice], patterns: Sequence[str]) -> list[Voice]:
    """Voices matching any pattern (`engine:name` or `name`, shell wildcards allowed)."""
    if not patterns:
        return list(available)
    chosen: dict[str, Voice] = {}
    for pattern in patterns:
        matched = [
            v
            for v in available
            if fnmatch.fnmatchcase(v.key, pattern) or fnmatch.fnmatchcase(v.name, pattern)
        ]
        if not matched:
            raise InputError(f"no voice matches {pattern!r}; {_listing(available)}")
        chosen.update((v.key, v) for v in matched)
    return [v for v in available if v.key in chosen]


def _listing(available: Sequence[Voice]) -> str:
    names = [v.key for v in available]
    shown = ", ".join(names[:12])
    more = (
        f" and {len(names) - 12} more (devspeech generate --list-voices)" if len(names) > 12 else ""
    )
    return f"available: {shown}{more}"


@dataclass(frozen=True)
class VoicePools:
    """Who speaks which split: train-side voices, and the held-out ones `test_heldout` uses."""

    seen: tuple[Voice, ...]
    heldout: tuple[Voice, ...]


def split_pools(
    voices: Sequence[Voice],
    heldout_engine: str | None,
    heldout_patterns: Sequence[str],
    heldout_count: int,
) -> VoicePools:
    """Hold out every voice of `heldout_engine` plus chosen (or the last N per engine) voices."""
    if heldout_engine and not any(v.engine == heldout_engine for v in voices):
        raise InputError(f"--heldout-engine {heldout_engine} is not among the engines in use")
    held = {v.key for v in voices if v.engine == heldout_engine}
    if heldout_patterns:
        held.update(v.key for v in select_voices(voices, heldout_patterns))
    else:
        for engine in dict.fromkeys(v.engine for v in voices):
            own = [v for v in voices if v.engine == engine and v.key not in held]
            if len(own) > heldout_count:
                # every k-th voice, so accents and variants spread over both pools
                step = len(own) / heldout_count if heldout_count else 0
                held.update(own[int(i * step + step / 2)].key for i in range(heldout_count))
    seen = tuple(v for v in voices if v.key not in held)
    heldout = tuple(v for v in voices if v.key in held)
    if not seen:
        raise InputError("every voice is held out; train needs at least one voice")
    return VoicePools(seen=seen, heldout=heldout)
