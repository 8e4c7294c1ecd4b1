"""Errors that name the item at fault and how to fix it; the CLI prints them as one line."""

from __future__ import annotations

import errno
import os


class DevspeechError(Exception):
    """Base class of every error devspeech raises on purpose."""


class InputError(DevspeechError):
    """The user's input (a path, a package, a file, an option) cannot be used."""


class RecordError(InputError):
    """A record read from disk does not match its contract."""


class NothingMinedError(InputError):
    """A source held nothing that could become an utterance."""


class ExecutorError(DevspeechError):
    """The executor lost work it cannot redo (a cluster gone, a unit that kills every
    worker it runs on); what finished is kept, so a rerun goes on from there."""


class StorageError(DevspeechError):
    """A file could not be written (the disk full, the folder not writable); what was
    complete before stays complete, and a rerun goes on from there."""

    @classmethod
    def writing(cls, path: object, error: OSError) -> StorageError:
        """A write refused (a full or read-only disk, a folder not writable)."""
        return cls._of("write", "it can be written", path, error)

    @classmethod
    def of(cls, path: object, error: OSError) -> StorageError:
        """An OSError met anywhere: a permission refused may have stopped a read as well as
        a write, so it reads "cannot access"; anything else is a write refused."""
        if error.errno in (errno.EACCES, errno.EPERM):
            return cls._of("access", "it is permitted", path, error)
        return cls.writing(path, error)

    @classmethod
    def _of(cls, verb: str, until: str, path: object, error: OSError) -> StorageError:
        reason = os.strerror(error.errno) if error.errno else str(error)
        return cls(f"cannot {verb} {path}: {reason}; what was finished is kept, "
                   f"rerun to go on once {until}")  # fmt: skip
