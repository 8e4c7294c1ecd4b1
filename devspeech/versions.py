"""Versions of the installed packages that shaped an output, for cards and results."""

from __future__ import annotations

import importlib.metadata
import platform
from collections.abc import Iterable


def installed_versions(names: Iterable[str]) -> dict[str, str]:
    """Python's version, then each named distribution that is installed."""
    found = {"python": platform.python_version()}
    for name in names:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found
