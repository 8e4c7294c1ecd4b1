"""The terms of an utterance that must come out right, ranked so common English is not one."""

from __future__ import annotations

import re

from devspeech.corpus.verbalize.identifiers import identifier_case
from devspeech.corpus.verbalize.lexer import code_tokens, shell_tokens, split_string
from devspeech.corpus.verbalize.lexicon import (
    ABBREVIATIONS,
    OPERATORS,
    PROSE_ABBREVIATIONS,
    technical_terms,
)
from devspeech.corpus.verbalize.prose import normalize_typography
from devspeech.corpus.verbalize.words import COMMON_ZIPF, zipf

MAX_KEYWORDS = 12
# Words that look like English, or like nothing, outside code.
CODE_ONLY = frozenset(
    [
        "async",
        "await",
        "yield",
        "None",
        "nullptr",
        "nil",
        "lambda",
        "elif",
        "def",
        "nonlocal",
        "kwargs",
        "args",
        "typeof",
        "instanceof",
        "const",
        "fn",
        "impl",
        "struct",
        "enum",
        "println",
        "printf",
        "isinstance",
        "__init__",
        "self.",
    ]
)
_FILE_RE = re.compile(r"[\w.~/-]*\w\.[A-Za-z][A-Za-z0-9]{0,5}")
_CODE_SHAPED_RE = re.compile(r"[A-Za-z_][\w.]*[._/]\w|[A-Za-z]+\d|\w+\(\)|--?[A-Za-z]")
_VERSION_RE = re.compile(r"v\d+(?:\.\d+)*|\d+(?:\.\d+){2,}")
_SHORT_VERSION_RE = re.compile(r"\d+\.\d+")
# contractions ("Here's", "don't") and bare numbers ("0.61", "1,000", "-3")
_ORDINARY_RE = re.compile(r"[A-Za-z]+'[A-Za-z]{1,2}|[-+]?[\d,]*\.?\d+%?")
_WRAP_STRIP = "\"'()[]{}<>.,;:!?*`"


def _term_score(token: str) -> float:
    """How much of a keyword a single name is: 0 for common English, more for rarer terms."""
    bare = token.strip("_")
    if len(bare) < 2 or bare.isdigit():
        return 0.0
    lower = bare.lower()
    if token in CODE_ONLY:
        return 3.0
    common = zipf(lower)
    if lower in technical_terms() and common < COMMON_ZIPF:
        return 3.0
    if lower in ABBREVIATIONS and common < COMMON_ZIPF:
        return 2.5
    case = identifier_case(bare)
    if case in ("snake", "screaming", "camel", "pascal", "kebab", "acronym") or token != bare:
        return 2.0 + max(0.0, COMMON_ZIPF - common) / 4
    if any(c.isdigit() for c in bare):
        return 2.0
    if common < 3.0:
        return 1.0 + (3.0 - common) / 3
    return 0.0


def _rank(scored: list[tuple[str, float]]) -> tuple[str, ...]:
    best: dict[str, tuple[float, int]] = {}
    for position, (term, score) in enumerate(scored):
        if score > 0 and (term not in best or best[term][0] < score):
            best[term] = (score, best.get(term, (0, position))[1])
    ordered = sorted(best.items(), key=lambda item: (-item[1][0], item[1][1]))
    return tuple(term for term, _ in ordered[:MAX_KEYWORDS])


def code_keywords(text: str) -> tuple[str, ...]:
    """Identifiers, API names, code-only keywords and file names in a line of code."""
    scored: list[tuple[str, float]] = []
    for token in code_tokens(text):
        if token.type == "name":
            scored.append((token.text, _term_score(token.text)))
        elif token.type == "string":
            content = split_string(token.text)[2]
            if _FILE_RE.fullmatch(content):
                scored.append((content, 2.5))
    return _rank(scored)


def shell_keywords(text: str) -> tuple[str, ...]:
    """The tools, flags, file names and technical words of a command line."""
    scored: list[tuple[str, float]] = []
    command_start = True
    for token in shell_tokens(text):
        if token.type == "op":
            command_start = token.text in ("|", "&&", "||", ";", "&", "(")
            continue
        if token.type != "word":
            command_start = False
            continue
        word = token.text
        if command_start and not word.startswith("-") and "=" not in word:
            scored.append((word, 3.0))
        elif word.startswith("-") and len(word) > 1:
            scored.append((word.split("=", 1)[0], 2.5))
        elif _FILE_RE.fullmatch(word) or "/" in word:
            scored.append((word, 2.5))
        else:
            scored.append((word, _term_score(word)))
        command_start = False
    return _rank(scored)


def prose_keywords(text: str) -> tuple[str, ...]:
    """The technical terms of a sentence: code-shaped tokens, known terms, rare words."""
    scored: list[tuple[str, float]] = []
    for raw in normalize_typography(text).split():
        token = raw.strip(_WRAP_STRIP)
        if raw.rstrip(_WRAP_STRIP.replace("(", "").replace(")", "")).endswith("()"):
            token = raw.strip("\"'[]{}<>.,;:!?*`").removesuffix("()").strip(_WRAP_STRIP)
        if not token or all(c in OPERATORS for c in token):
            continue
        after_term = bool(scored) and scored[-1][1] > 0
        if _SHORT_VERSION_RE.fullmatch(token) and after_term:
            scored.append((token, 2.0))  # "Python 3.11": a version of the term before it
            continue
        if _ORDINARY_RE.fullmatch(token) or (token.lower() + ".") in PROSE_ABBREVIATIONS:
            scored.append((token, 0.0))  # "Here's", "e.g", "0.61": English and plain numbers
            continue
        if _VERSION_RE.fullmatch(token):
            scored.append((token, 2.0))
        elif _CODE_SHAPED_RE.search(token) and not token.replace("-", "").isalpha():
            scored.append((token, 2.5))
        elif token.replace("'", "").isalpha():
            scored.append(
                (token, _term_score(token) if not token.istitle() else _title_score(token))
            )
        elif "-" in token:
            scored.append((token, 0.0))
    return _rank(scored)


def _title_score(token: str) -> float:
    """A capitalised word may only be starting a sentence: judge it in lower case."""
    lower = token.lower()
    return _term_score(lower) if zipf(lower) > 0 else _term_score(token)


def extract_keywords(text: str, kind: str) -> tuple[str, ...]:
    """Keywords of `text` of `kind`, most important first."""
    if kind == "code":
        return code_keywords(text)
    if kind == "shell":
        return shell_keywords(text)
    return prose_keywords(text)
