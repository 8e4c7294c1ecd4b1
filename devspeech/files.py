"""Files written whole or not at all: the bytes go to a hidden `.NAME.partial` beside the
target and are renamed into place, so a killed writer never leaves a file that looks done;
a write the file system refuses (full, read-only) removes the partial file and raises
StorageError."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devspeech.errors import InputError, StorageError


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


def write_json_atomic(path: Path, data: object, indent: int = 1) -> Path:
    """`data` as sorted, indented JSON, written whole or not at all."""
    import json

    return write_text_atomic(path, json.dumps(data, indent=indent, sort_keys=True) + "\n")


@contextmanager
def atomic_folder(folder: Path) -> Iterator[Path]:
    """Yield an empty hidden `.NAME.partial` folder to fill; on leaving, it replaces `folder`
    (any earlier version is moved aside first and removed after), so a killed writer leaves
    either the old folder or the new one, never a half-written one under the real name."""
    import shutil

    partial = folder.with_name(f".{folder.name}.partial")
    old = folder.with_name(f".{folder.name}.old")
    try:
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        yield partial
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            folder.replace(old)
        partial.replace(folder)
        shutil.rmtree(old, ignore_errors=True)
    except OSError as error:
        shutil.rmtree(partial, ignore_errors=True)
        raise StorageError.writing(folder, error) from error
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def claim_folder(folder: Path, marker: str, what: str, overwrite: bool) -> bool:
    """Whether `folder` already holds `what` (its `marker` file is there). A folder that is
    not empty and holds no such marker is refused unless `overwrite` (what is there is then
    left beside the new files, never deleted: it is not ours), so a stage never writes
    into someone else's folder by mistake; the folder exists on return."""
    if (folder / marker).is_file():
        return True
    if folder.exists() and any(folder.iterdir()) and not overwrite:
        raise InputError(f"{folder} is not empty and holds no {what}; pass --overwrite")
    folder.mkdir(parents=True, exist_ok=True)
    return False


def changed_options(
    recorded: dict[str, object], current: dict[str, object], defaults: dict[str, object]
) -> list[str]:
    """The keys on which a recipe recorded in a folder differs from the current one. An
    option added since it was recorded compares as its default (`defaults`, in the form
    recipes take on disk), which is what the older version did."""
    recorded = {**{k: defaults[k] for k in current if k not in recorded and k in defaults},
                **recorded}  # fmt: skip
    return sorted(k for k in {*recorded, *current} if recorded.get(k) != current.get(k))
