"""Files written whole or not at all: the text goes to a hidden `.NAME.partial` beside the
target and is renamed into place, so a killed writer never leaves a file that looks done."""

from __future__ import annotations

from pathlib import Path

from devspeech.errors import StorageError


def write_text_atomic(path: Path, text: str) -> Path:
    partial = path.with_name(f".{path.name}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise StorageError.writing(path, error) from error
    return path
