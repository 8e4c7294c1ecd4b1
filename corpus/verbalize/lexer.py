"""Tokenizers for one line of code or one command line; shared by speech and keywords."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from devspeech.corpus.verbalize.lexicon import OPERATORS, SHELL_OPERATORS
from devspeech.corpus.verbalize.numbers import NUMBER_RE

TokenType = Literal["name", "number", "string", "template", "op", "bracket", "word", "other"]


@dataclass(frozen=True, slots=True)
class Token:
    """One token and whether whitespace came before it."""

    type: TokenType
    text: str
    spaced: bool


_OPS = sorted((op for op in OPERATORS if len(op) > 1 or not op.isalnum()), key=len, reverse=True)
_CODE_RE = re.compile(
    r"(?P<ws>\s+)"
    r"|(?P<string>(?:[rRbBuUfF]{1,2})?(?:'''[\s\S]*?'''|\"\"\"[\s\S]*?\"\"\""
    r"|'(?:\\.|[^'\\\n])*'|\"(?:\\.|[^\"\\\n])*\"))"
    r"|(?P<template>`(?:\\.|[^`\\])*`)"
    rf"|(?P<number>(?:{NUMBER_RE.pattern})[jJnL]?(?![A-Za-z_]))"
    r"|(?P<name>[A-Za-z_$][A-Za-z0-9_$]*)"
    r"|(?P<bracket>[()\[\]{}])"
    r"|(?P<op>" + "|".join(re.escape(op) for op in _OPS) + ")"
    r"|(?P<other>.)"
)

_SHELL_OPS = sorted(SHELL_OPERATORS, key=len, reverse=True)
_SHELL_RE = re.compile(
    r"(?P<ws>\s+)"
    r"|(?P<string>'[^']*'|\"(?:\\.|[^\"\\])*\")"
    r"|(?P<op>" + "|".join(re.escape(op) for op in _SHELL_OPS) + ")"
    r"|(?P<word>(?:[^\s'\"|&;<>()\\]|\\.)+)"
    r"|(?P<other>.)"
)


def _scan(pattern: re.Pattern[str], text: str) -> list[Token]:
    tokens: list[Token] = []
    spaced = False
    for match in pattern.finditer(text):
        kind = match.lastgroup
        if kind == "ws":
            spaced = True
            continue
        tokens.append(Token(kind, match.group(), spaced))  # type: ignore[arg-type]
        spaced = False
    return tokens


def code_tokens(text: str) -> list[Token]:
    """Tokens of a line of Python, JavaScript or TypeScript."""
    return _scan(_CODE_RE, text)


def shell_tokens(text: str) -> list[Token]:
    """Tokens of a command line: words, quoted strings and operators."""
    return _scan(_SHELL_RE, text)


STRING_PREFIX_RE = re.compile(r"([rRbBuUfF]{0,2})('''|\"\"\"|'|\")([\s\S]*)\2\Z")


def split_string(token: str) -> tuple[str, str, str]:
    """A string literal's prefix, quote and content."""
    match = STRING_PREFIX_RE.match(token)
    if not match:
        raise ValueError(f"not a string literal: {token!r}")
    return match.group(1), match.group(2), match.group(3)
