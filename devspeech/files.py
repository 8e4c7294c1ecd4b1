"""Files written whole or not at all: the bytes go to a hidden `.NAME.partial` beside the
target and are renamed into place, so a killed writer never leaves a file that looks done;
a write the file system refuses (full, read-only) removes the partial file and raises
StorageError."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devspeech.errors import StorageError


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield the partial path to write; on leaving, rename it to `path`."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        yield partial
        partial.replace(path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise StorageError.writing(path, error) from error


def write_text_atomic(path: Path, text: str) -> Path:
    with atomic_path(path) as partial:
        partial.write_text(text, encoding="utf-8")
    return path
