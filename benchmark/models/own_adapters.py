"""devspeech's own adapter formats (parts a plain Whisper has not), one entry each: the
config file that marks such a folder, how the base it names is read, and how it loads
over that base. The model specs and the loader both look here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devspeech.benchmark.models import bottleneck, soft_prompt


@dataclass(frozen=True)
class AdapterFormat:
    config_file: str
    base_of: Callable[[Path], str]  # the spec of the base the folder was trained on
    load: Callable[[Any, Path], Any]  # (base model, folder) -> the model with it applied


FORMATS = (
    AdapterFormat(bottleneck.CONFIG_FILE, lambda f: bottleneck.BottleneckConfig.read(f).base,
                  bottleneck.load_adapters),
    AdapterFormat(soft_prompt.CONFIG_FILE, lambda f: soft_prompt.SoftPromptConfig.read(f).base,
                  soft_prompt.load_soft_prompt),
)  # fmt: skip


def own_format(folder: Path) -> AdapterFormat | None:
    """The format of an adapter folder of devspeech's own, or None."""
    return next((f for f in FORMATS if (folder / f.config_file).is_file()), None)
