"""JSON and JSON Lines files: atomic writes, validated reads whose errors name the file,
the line and what the file should have been."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any, Protocol, TypeVar

from devspeech.errors import InputError, RecordError


class _Record(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


R = TypeVar("R")


def write_jsonl(path: Path, records: Iterable[_Record]) -> int:
    """Write records one per line to `path` atomically (temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    count = 0
    with tmp.open("w", encoding="utf-8", newline="\n") as handle:
        for record in records:
            handle.write(json.dumps(record.to_dict(), ensure_ascii=False, sort_keys=True))
            handle.write("\n")
            count += 1
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)
    return count


def text_lines(path: Path, what: str, hint: str) -> Iterator[tuple[int, str]]:
    """(line number, line) of a text file; a file that is missing or not UTF-8 text (a
    binary file, say) is one InputError: `path[:line]: why, so not WHAT; HINT`."""
    if not path.is_file():
        raise InputError(f"{path}: no such file, so not {what}; {hint}")
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                yield number, raw.decode("utf-8")
            except UnicodeDecodeError:
                raise InputError(
                    f"{path}:{number}: not UTF-8 text (a binary file?), so not {what}; {hint}"
                ) from None


def read_json(path: Path, what: str, hint: str) -> Any:
    """The JSON document in `path`; missing, non-UTF-8 or invalid JSON is one InputError
    naming the file, what it should have been, and `hint` (what to give instead)."""
    if not path.is_file():
        raise InputError(f"{path}: no such file, so not {what}; {hint}")
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        why = "not UTF-8 text (a binary file?)"
        raise InputError(f"{path}: {why}, so not {what}; {hint}") from None
    except json.JSONDecodeError as error:
        raise InputError(
            f"{path}:{error.lineno}: not valid JSON (column {error.colno}: {error.msg}), so not "
            f"{what}; {hint}"
        ) from None


def read_fields(path: Path, cls: type[R], what: str, hint: str) -> R:
    """A dataclass from the JSON object in `path` (its fields by name; a missing field
    without a default, or a file that is no such object, is one InputError)."""
    data = read_json(path, what, hint)
    try:
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})  # type: ignore[arg-type]
    except (TypeError, KeyError) as error:
        raise InputError(f"{path}: not {what} ({error}); {hint}") from None


def read_jsonl(path: Path, from_dict: Any) -> Iterator[R]:
    """Yield records built by `from_dict`; a bad line raises an error naming file and line."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise InputError(
                    f"{path}:{number}: not UTF-8 text (is it a JSON Lines file of records?)"
                ) from None
            if not line.strip():
                continue
            try:
                yield from_dict(json.loads(line))
            except json.JSONDecodeError as error:
                raise InputError(
                    f"{path}:{number}: not valid JSON (column {error.colno}: {error.msg})"
                ) from None
            except RecordError as error:
                raise InputError(f"{path}:{number}: {error}") from None
