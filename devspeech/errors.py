"""Errors that name the item at fault and how to fix it; the CLI prints them as one line."""

from __future__ import annotations

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
        reason = os.strerror(error.errno) if error.errno else str(error)
        return cls(f"cannot write {path}: {reason}; what was finished is kept, "
                   "rerun to go on once it can be written")  # fmt: skip

    @classmethod
    def denied(cls, path: object, error: OSError) -> StorageError:
        """A permission refused: to a read as likely as to a write."""
        reason = os.strerror(error.errno) if error.errno else str(error)
        return cls(f"cannot access {path}: {reason}; what was finished is kept, "
                   "rerun to go on once it is permitted")  # fmt: skip
