"""Named datasets that devspeech builds on first use, resolved by name at run time.

`builtin:general-en` is ordinary English (standard-library prose with no technical
term, spoken by the generator) that fine-tuning mixes in against forgetting when no
general data is given. It is built by a workflow that uses the corpus and the
generator; like the CLI's lazy loader, this table names that workflow by module path,
so the stages that ask for the set (fine-tuning) do not import the stages that make it.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from devspeech.errors import InputError

BUILTIN: dict[str, tuple[str, str]] = {
    "builtin:general-en": ("devspeech.workflows.general_set", "general_set"),
}


def resolve_data(location: str) -> str:
    """A dataset location: a builtin name becomes the folder of the set (built if need be)."""
    if not location.startswith("builtin:"):
        return location
    if location not in BUILTIN:
        raise InputError(f"unknown built-in dataset {location!r}; known: {', '.join(BUILTIN)}")
    module, attribute = BUILTIN[location]
    folder: Path = getattr(importlib.import_module(module), attribute)()
    return str(folder)
