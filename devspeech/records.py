"""Typed records passed between stages, validated when read.

Every record is a frozen dataclass whose type hints are its contract: `from_dict`
checks a decoded JSON object or parquet row against them and names the first field
that breaks it (`words[3].start must be a number`), and `to_dict` gives the plain form
written to disk. The dataset's parquet schema and the card's features are derived
from `DatasetRow`'s hints (devspeech/dataset.py), never written beside them.
"""

from __future__ import annotations

import builtins
import hashlib
import types
import typing
from dataclasses import MISSING, dataclass, fields, replace
from functools import cache
from typing import Any, ClassVar, Literal, Self, get_args, get_origin

from devspeech.errors import RecordError

Kind = Literal["code", "shell", "prose"]
KINDS: tuple[Kind, ...] = get_args(Kind)


class Record:
    """Mixin of every record: `to_dict` and a validating `from_dict` from the type hints."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Build from decoded data, naming the first field that breaks the contract."""
        record = _convert(cls, data, "")
        record.validate()
        return record

    def validate(self) -> None:
        """Checks beyond the types (a record overrides it); raise RecordError."""


@cache
def hints(cls: type) -> dict[str, Any]:
    """The resolved type hint of each field of a record class, in field order."""
    resolved = typing.get_type_hints(cls)
    return {f.name: resolved[f.name] for f in fields(cls)}


def _plain(value: Any) -> Any:
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _where(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _convert(hint: Any, value: Any, path: str) -> Any:
    """`value` as `hint` describes it, or RecordError naming `path`."""
    label = repr(path) if path else "the record"
    origin = get_origin(hint)
    if isinstance(hint, type) and issubclass(hint, Record):
        if not isinstance(value, dict):
            raise RecordError(
                f"expected a JSON object, got {type(value).__name__}"
                if not path
                else f"field {label} must be an object"
            )
        names = list(hints(hint))
        missing = [n for n in names if n not in value and not _optional(hint, n)]
        if missing:
            prefix = f"{path}: " if path else ""
            raise RecordError(f"{prefix}missing field(s): {', '.join(missing)}")
        converted = {
            name: _convert(sub, value[name], _where(path, name))
            for name, sub in hints(hint).items()
            if name in value
        }
        return hint(**converted)
    if origin is Literal:
        if value not in get_args(hint):
            raise RecordError(f"field {label} is {value!r}; expected one of {get_args(hint)}")
        return value
    if origin in (types.UnionType, typing.Union):
        options = get_args(hint)
        if value is None and type(None) in options:
            return None
        (inner,) = [o for o in options if o is not type(None)]
        return _convert(inner, value, path)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise RecordError(f"field {label} must be a list")
        inner = get_args(hint)[0]
        return tuple(_convert(inner, v, f"{path}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise RecordError(f"field {label} must be an object")
        inner = get_args(hint)[1]
        return {str(k): _convert(inner, v, f"{path}[{k!r}]") for k, v in value.items()}
    if hint is Any:
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RecordError(f"field {label} must be a number")
        return float(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise RecordError(f"field {label} must be an integer")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise RecordError(f"field {label} must be true or false")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise RecordError(f"field {label} must be a string")
        return value
    if hint is bytes:
        if not isinstance(value, bytes):
            raise RecordError(f"field {label} must be bytes")
        return value
    raise TypeError(f"no contract for type {hint!r} at {path}")  # a bug in a record class


def _optional(cls: type, name: str) -> bool:
    """A field with a default may be absent on disk (added after data was written)."""
    field = next(f for f in fields(cls) if f.name == name)
    return field.default is not MISSING or field.default_factory is not MISSING


def utterance_id(kind: str, text: str) -> str:
    """Stable id of an utterance: a hash of its kind and written form."""
    return hashlib.sha256(f"{kind}\x00{text}".encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Utterance(Record):
    """One line of utterances.jsonl: what is written, how it is said, and where it came from."""

    id: str
    text: str
    spoken: str
    kind: Kind
    language: str
    keywords: tuple[str, ...]
    style: str
    source: str
    license: str

    def validate(self) -> None:
        if not self.text.strip() or not self.spoken.strip():
            raise RecordError("fields 'text' and 'spoken' must not be empty")
        if self.id != utterance_id(self.kind, self.text):
            raise RecordError(f"id {self.id!r} is not the hash of its kind and text")


@dataclass(frozen=True, slots=True)
class WordTiming(Record):
    """A word and where it is heard in the clip, in seconds."""

    word: str
    start: float
    end: float

    def shifted(self, offset: float) -> WordTiming:
        return replace(self, start=self.start + offset, end=self.end + offset)

    def scaled(self, factor: float) -> WordTiming:
        return replace(self, start=self.start * factor, end=self.end * factor)

    def rounded(self) -> WordTiming:
        """To the millisecond, as the dataset stores it."""
        return replace(self, start=round(self.start, 3), end=round(self.end, 3))


@dataclass(frozen=True, slots=True)
class Segment(Record):
    """A stretch of text and its time span in the clip, in seconds: one utterance of a
    long-form row, or one timestamped piece of a model's transcript."""

    text: str
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class Speaker(Record):
    """Who said it: the engine, the voice, its accent and the prosody it was asked for."""

    engine: str
    voice: str
    accent: str
    rate: float
    pitch: float

    def rounded(self) -> Speaker:
        return replace(self, rate=round(self.rate, 3), pitch=round(self.pitch, 3))


@dataclass(frozen=True, slots=True)
class Augmentation(Record):
    """What was done to the clip: room, reverberation, noise at what SNR, and the chain."""

    room: str = ""
    rt60_s: float = 0.0
    snr_db: float | None = None
    noise: str = ""
    chain: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AudioData(Record):
    """Encoded audio (FLAC for generated rows) and a file name; the `Audio` feature."""

    bytes: builtins.bytes  # the field's name shadows the type inside the class
    path: str | None = None


@dataclass(frozen=True, slots=True)
class DatasetRow(Record):
    """One row of a generated dataset: the clip, what it says, and how it was made."""

    id: str
    audio: AudioData
    text: str
    spoken: str
    kind: str
    language: str
    keywords: tuple[str, ...]
    words: tuple[WordTiming, ...]
    text_words: tuple[WordTiming, ...]
    segments: tuple[Segment, ...]
    speaker: Speaker
    augmentation: Augmentation
    duration_s: float
    source: str
    license: str

    COLUMNS: ClassVar[tuple[str, ...]]

    def validate(self) -> None:
        if not self.text.strip():
            raise RecordError(f"row {self.id}: field 'text' must not be empty")
        if not self.segments:
            raise RecordError(f"row {self.id}: field 'segments' must not be empty")

    @property
    def long_form(self) -> bool:
        return len(self.segments) > 1


DatasetRow.COLUMNS = tuple(f.name for f in fields(DatasetRow))


@dataclass(frozen=True, slots=True)
class RowLabels(Record):
    """What scoring needs of a row besides the two texts; carried in every prediction so
    predictions re-score without the dataset."""

    kind: str = "unknown"
    language: str = ""
    keywords: tuple[str, ...] = ()
    engine: str = ""
    noise: str = "unknown"
    duration_s: float = 0.0
    segments: tuple[Segment, ...] = ()


@dataclass(frozen=True, slots=True)
class Prediction(Record):
    """One line of predictions.jsonl: a model's raw transcript of one row under one condition."""

    id: str
    model: str
    backend: str
    condition: str
    decoding: str
    reference: str
    prediction: str
    audio_s: float
    elapsed_s: float | None  # None where the clip's own time was not measured
    dataset: str  # the fingerprint of the data it was predicted on
    data: str
    split: str
    labels: RowLabels
    segments: tuple[Segment, ...] | None = None  # only when timestamps were asked for
    # the wall time of the batch the row was decoded in, divided by its rows: not the clip's
    # own time, but summed over a run they give its decoding wall time exactly (for RTFx)
    wall_share_s: float | None = None
    prompt: str | None = None  # the text prompt the model was given, if any
    model_revision: str = ""  # the weights' hash or the Hub commit (benchmark model_revision)
    # the fingerprint of the vocabulary in play (bench keeps it in vocabularies/ beside the
    # predictions): its terms count for precision when written where nobody said them
    vocabulary: str = ""
    # the row's keywords the model trained on (None: its training data is not known)
    seen_keywords: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Estimate(Record):
    """A rate over a corpus and its 95% bootstrap interval (all None when nothing scored)."""

    value: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True, slots=True)
class Difference(Record):
    """This result minus the baseline on the same rows, with interval and two-sided p-value."""

    value: float | None
    low: float | None
    high: float | None
    p_value: float | None


@dataclass(frozen=True, slots=True)
class Comparison(Record):
    """A paired bootstrap of a result against the first result of its run."""

    baseline: str
    rows: int
    differences: dict[str, Difference]


@dataclass(frozen=True, slots=True)
class Breakdown(Record):
    """Metrics of the rows that share one value of a label (one kind, engine, noise band)."""

    rows: int
    metrics: dict[str, Estimate]


@dataclass(frozen=True, slots=True)
class Counts(Record):
    """The word alignment counts behind the headline WER."""

    substitutions: int
    deletions: int
    insertions: int
    reference_words: int


@dataclass(frozen=True, slots=True)
class Machine(Record):
    """The host a result was measured on."""

    platform: str
    cpus: int | None
    processor: str
    gpu: str = ""


@dataclass(frozen=True, slots=True)
class Result(Record):
    """One model x backend x condition on one dataset split: every metric with its interval,
    breakdowns, speed, and what it ran on. The leaderboard reads only these."""

    model: str
    backend: str
    condition: str
    decoding: str
    data: str
    dataset: str
    split: str
    rows: int
    failures: dict[str, int]
    metrics: dict[str, Estimate]
    counts: Counts
    audio_s: float
    elapsed_s: float
    rtfx: float | None
    breakdowns: dict[str, dict[str, Breakdown]]
    compared: Comparison | None
    versions: dict[str, str]
    machine: Machine
    failed: tuple[str, ...] = ()  # the rows or files behind `failures`, the first 20 named
    model_revision: str = ""  # the weights' hash or the Hub commit the predictions came from
