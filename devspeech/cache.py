"""The user cache: where converted models and other built folders live, built atomically."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

CACHE_ENV = "DEVSPEECH_CACHE"


def cache_root() -> Path:
    """DEVSPEECH_CACHE, else $XDG_CACHE_HOME/devspeech, else ~/.cache/devspeech."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "devspeech"


def cached_folder(
    name: str, complete: str, build: Callable[[Path], None], group: str = "models"
) -> Path:
    """cache/GROUP/NAME (models, datasets), built by `build` into a partial folder renamed
    when complete.

    `complete` is the file whose presence means a finished build; a build interrupted
    before the rename leaves only the partial folder, which the next call starts over.
    """
    final = cache_root() / group / name
    if (final / complete).is_file():
        return final
    partial = final.with_name(f".{final.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    build(partial)
    if final.exists():
        shutil.rmtree(final)
    partial.replace(final)
    return final
