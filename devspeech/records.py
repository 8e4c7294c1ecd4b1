"""Typed records passed between stages, validated when read."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Any, Literal, get_args

from devspeech.errors import RecordError

Kind = Literal["code", "shell", "prose"]
KINDS: tuple[Kind, ...] = get_args(Kind)


def utterance_id(kind: str, text: str) -> str:
    """Stable id of an utterance: a hash of its kind and written form."""
    return hashlib.sha256(f"{kind}\x00{text}".encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Utterance:
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

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["keywords"] = list(self.keywords)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Utterance:
        """Build from a decoded JSON object, naming the first field that breaks the contract."""
        if not isinstance(data, dict):
            raise RecordError(f"expected a JSON object, got {type(data).__name__}")
        missing = [name for name in cls.__slots__ if name not in data]
        if missing:
            raise RecordError(f"missing field(s): {', '.join(missing)}")
        for name in ("id", "text", "spoken", "kind", "language", "style", "source", "license"):
            if not isinstance(data[name], str):
                raise RecordError(f"field {name!r} must be a string")
        if data["kind"] not in KINDS:
            raise RecordError(f"field 'kind' is {data['kind']!r}; expected one of {KINDS}")
        if not data["text"].strip() or not data["spoken"].strip():
            raise RecordError("fields 'text' and 'spoken' must not be empty")
        keywords = data["keywords"]
        if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
            raise RecordError("field 'keywords' must be a list of strings")
        if data["id"] != utterance_id(data["kind"], data["text"]):
            raise RecordError(f"id {data['id']!r} is not the hash of its kind and text")
        return cls(**{**{k: data[k] for k in cls.__slots__}, "keywords": tuple(keywords)})
