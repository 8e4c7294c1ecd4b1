"""Identifiers into words: case conventions, protected terms, abbreviations, acronyms."""

from __future__ import annotations

import re

from devspeech.corpus.verbalize.chooser import Chooser
from devspeech.corpus.verbalize.lexicon import (
    ABBREVIATIONS,
    SHORT_WORDS,
    WORD_ACRONYMS,
    technical_terms,
)
from devspeech.corpus.verbalize.numbers import say_integer
from devspeech.corpus.verbalize.words import is_word, split_compound

# HTTPServer -> HTTP, Server; parseJSON2 -> parse, JSON, 2; utf8 -> utf, 8
# CSVs -> CSVs (an acronym's plural stays one part)
_PART_RE = re.compile(r"[A-Z]{2,}s(?![a-z])|[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_DUNDER_RE = re.compile(r"__([A-Za-z0-9]+(?:_[A-Za-z0-9]+)*)__")
_VOWELS = frozenset("aeiouy")
_ONSETS = frozenset(
    "bl br ch cl cr dr fl fr gl gr kn ph pl pr qu sc sh sk sl sm sn sp st sw th tr tw wh wr".split()  # noqa: SIM905 - a word list reads best as words
)


def _pronounceable(word: str) -> bool:
    """Whether a non-word can be read as a word ("foo", "repr") rather than spelled ("lru")."""
    if not _VOWELS & set(word):
        return False
    if len(word) <= 4 and word[0] not in _VOWELS and word[1] not in _VOWELS:
        return word[:2] in _ONSETS
    return True


def identifier_case(name: str) -> str:
    """The casing convention of an identifier: snake, screaming, kebab, camel, pascal or flat."""
    core = name.strip("_")
    letters = [c for c in core if c.isalpha()]
    if "-" in core:
        return "kebab"
    if "_" in core:
        return "screaming" if letters and all(c.isupper() for c in letters) else "snake"
    has_upper = any(c.isupper() for c in letters)
    has_lower = any(c.islower() for c in letters)
    if has_upper and has_lower:
        return "camel" if letters[0].islower() else ("pascal" if _is_multipart(core) else "flat")
    if has_upper and len(letters) > 1:
        return "acronym"
    return "flat"


def _is_multipart(core: str) -> bool:
    return len(_PART_RE.findall(core)) > 1


def split_identifier(name: str) -> list[str]:
    """The word parts of an identifier, in written case: useState -> [use, State]."""
    parts: list[str] = []
    for chunk in re.split(r"[_\-]+", name):
        if chunk:
            parts.extend(_PART_RE.findall(chunk))
    return parts


def _plural_of_spelled(part: str, chooser: Chooser) -> str | None:
    """ "CSVs" -> "c s v's", "ids" -> "i d's": the plural of a word said letter by letter."""
    lower = part.lower()
    if len(part) < 3 or not lower.endswith("s") or not part[:-1].isalpha():
        return None
    acronym = part[:-1].isupper() and len(part) > 2
    if not acronym and (len(part) > 4 or is_word(lower)):
        return None
    said = say_part(part[:-1], chooser)
    letters = said.split()
    if len(letters) > 1 and all(len(letter) == 1 for letter in letters):
        return said + "'s"
    return said + "s" if acronym else None


def say_part(part: str, chooser: Chooser) -> str:
    """One word part of an identifier."""
    if part.isdigit():
        return say_integer(part, chooser.style, chooser.rng)
    lower = part.lower()
    if lower not in ABBREVIATIONS and lower not in technical_terms():
        plural = _plural_of_spelled(part, chooser)
        if plural is not None:
            return plural
    terms = technical_terms()
    if lower in ABBREVIATIONS and (lower not in terms or chooser.style.abbrev == "expanded"):
        letters, expanded = ABBREVIATIONS[lower]
        return expanded if chooser.style.abbrev == "expanded" else letters
    if lower in terms:
        return chooser.pick_form(terms[lower])
    if len(part) > 1 and part.isupper():
        if lower in WORD_ACRONYMS:
            return WORD_ACRONYMS[lower]
        if (len(lower) >= 4 and _VOWELS & set(lower)) or is_word(lower, 3.0):
            return lower
        return " ".join(lower)
    if len(lower) == 1:
        return lower
    if len(lower) == 2 and lower not in SHORT_WORDS:
        return " ".join(lower)
    if is_word(lower):
        return lower
    if not _pronounceable(lower):
        return " ".join(lower)
    pieces = split_compound(lower)
    return " ".join(pieces)


_FORMATTER_WORDS = {
    "camel": ("camel",),
    "pascal": ("pascal", "title"),
    "snake": ("snake",),
    "screaming": ("all caps", "screaming"),
    "kebab": ("kebab",),
}
_SYMBOL_JOIN = {"snake": " underscore ", "screaming": " underscore ", "kebab": " dash "}


def say_identifier(name: str, chooser: Chooser) -> str:
    """An identifier as words, following the style's case convention."""
    lower = name.lower()
    terms = technical_terms()
    if lower in terms and lower not in ABBREVIATIONS:
        return chooser.pick_form(terms[lower])
    if dunder := _DUNDER_RE.fullmatch(name):
        inner = " ".join(say_part(p, chooser) for p in split_identifier(dunder.group(1)))
        if chooser.style.case == "symbols":
            return f"double underscore {inner} double underscore"
        return f"dunder {inner}"
    leading = len(name) - len(name.lstrip("_"))
    trailing = len(name) - len(name.rstrip("_")) if name.strip("_") else 0
    core = name.strip("_")
    if not core:
        return " ".join(["underscore"] * len(name))
    case = identifier_case(core)
    parts = [say_part(p, chooser) for p in split_identifier(core)]
    if case in _SYMBOL_JOIN and chooser.style.case == "symbols":
        body = _SYMBOL_JOIN[case].join(parts)
        if case == "screaming":
            body = "all caps " + body
    elif case in _FORMATTER_WORDS and chooser.style.case == "formatter" and len(parts) > 1:
        body = chooser.pick_form(_FORMATTER_WORDS[case]) + " " + " ".join(parts)
    else:
        body = " ".join(parts)
    return " ".join(["underscore"] * leading + [body] + ["underscore"] * trailing)
