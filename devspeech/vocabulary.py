"""A vocabulary: the names a model should write right (a repository's identifiers, APIs,
tools and flags), as the corpus mines them and as the decoder and training read them.

The file is plain text that a person can also write by hand. One term a line; blank lines
and lines starting with `#` are skipped. After the term come optional tab-separated fields,
in this order (leave a field empty to skip it):

    TERM <TAB> SPOKEN FORMS <TAB> WEIGHT <TAB> KIND <TAB> COUNT

- SPOKEN FORMS: the ways a person says the term, separated by `;` (`n p dot array; numpy
  dot array`); matching a first-pass transcript uses them;
- WEIGHT: a positive number, 1 by default: how strongly the term is preferred;
- KIND: identifier, api, tool, flag, path or word (what `corpus vocab` found it to be);
- COUNT: how many mined utterances hold it.

A file with just `useState` and `kubectl` on two lines is a valid vocabulary.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from devspeech.errors import InputError
from devspeech.files import write_text_atomic

KINDS = ("identifier", "api", "tool", "flag", "path", "word")
HEADER = (
    "# devspeech vocabulary: one term a line; optional tab-separated fields after it:\n"
    "# TERM<TAB>SPOKEN FORMS (;-separated)<TAB>WEIGHT<TAB>KIND<TAB>COUNT\n"
)


@dataclass(frozen=True)
class Term:
    """One name of a vocabulary and what is known of it."""

    text: str
    spoken: tuple[str, ...] = ()
    weight: float = 1.0
    kind: str = ""
    count: int = 0

    def line(self) -> str:
        fields = [self.text, "; ".join(self.spoken), _number(self.weight), self.kind,
                  str(self.count) if self.count else ""]  # fmt: skip
        while len(fields) > 1 and (not fields[-1] or (len(fields) == 3 and self.weight == 1)):
            fields.pop()  # trailing empty fields, and the default weight when nothing follows
        return "\t".join(fields)


@dataclass(frozen=True)
class Vocabulary:
    """Terms in file order, each once."""

    terms: tuple[Term, ...] = ()
    source: str = ""  # where it was read from, for messages

    @functools.cached_property
    def by_text(self) -> dict[str, Term]:
        return {t.text: t for t in self.terms}

    def __len__(self) -> int:
        return len(self.terms)

    def __contains__(self, text: object) -> bool:
        return text in self.by_text

    @property
    def texts(self) -> tuple[str, ...]:
        return tuple(t.text for t in self.terms)

    def extended(self, others: Iterable[Term]) -> Vocabulary:
        """This vocabulary followed by the terms of `others` it lacks."""
        extra = [t for t in dict((t.text, t) for t in others).values() if t.text not in self]
        return Vocabulary((*self.terms, *extra), self.source)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def parse_vocabulary(text: str, source: str = "<vocabulary>") -> Vocabulary:
    """The vocabulary in `text`; a malformed line is one InputError naming it."""
    terms: dict[str, Term] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        where = f"{source}:{number}"
        fields = [f.strip() for f in raw.rstrip("\n").split("\t")]
        if len(fields) > 5:
            raise InputError(f"{where}: {len(fields)} tab-separated fields; a line holds at most "
                             "5 (TERM, SPOKEN FORMS, WEIGHT, KIND, COUNT)")  # fmt: skip
        fields += [""] * (5 - len(fields))
        term, spoken, weight, kind, count = fields
        if not term or any(c.isspace() for c in term):
            raise InputError(
                f"{where}: a term is one name without spaces ({term!r}); put the words a "
                "person says for it in the second, tab-separated field"
            )
        try:
            value = float(weight) if weight else 1.0
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value <= 0:
            raise InputError(f"{where}: the weight {weight!r} is not a positive number")
        if kind and kind not in KINDS:
            raise InputError(f"{where}: unknown kind {kind!r}; one of {', '.join(KINDS)}")
        if count and not count.isdigit():
            raise InputError(f"{where}: the count {count!r} is not a whole number")
        forms = tuple(dict.fromkeys(s.strip().lower() for s in spoken.split(";") if s.strip()))
        if term not in terms:
            terms[term] = Term(term, forms, value, kind, int(count or 0))
    return Vocabulary(tuple(terms.values()), source)


def read_vocabulary(path: Path) -> Vocabulary:
    """The vocabulary file at `path`; a missing, unreadable or empty file is one clear line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"no vocabulary file at {path}; write one with devspeech corpus "
                         "vocab, or by hand (one term a line)") from None  # fmt: skip
    except UnicodeDecodeError:
        raise InputError(f"{path} is not a UTF-8 text file; a vocabulary is plain text, "
                         "one term a line") from None  # fmt: skip
    except OSError as error:
        raise InputError(f"cannot read the vocabulary {path}: {error.strerror}") from None
    vocabulary = parse_vocabulary(text, str(path))
    if not vocabulary.terms:
        raise InputError(f"the vocabulary {path} holds no terms; one term a line "
                         "(# starts a comment)")  # fmt: skip
    return vocabulary


def write_vocabulary(path: Path, terms: Sequence[Term]) -> Path:
    return write_text_atomic(path, HEADER + "".join(t.line() + "\n" for t in terms))
