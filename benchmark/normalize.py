"""The two ways a transcript is cut into tokens before scoring.

- `standard_words`: Whisper's English normalizer (the OpenAI text normalizer that the
  open ASR leaderboard uses), then whitespace. It is right for speech and wrong for
  code: `x = np.array(values)` becomes "x np array" (bracketed words are removed).
- `code_tokens`: identifiers, numbers, operators and punctuation kept as they are
  written, whitespace dropped: `x = np.array(values)` is x = np . array ( values ).
  Case is kept; `casefold=True` folds it.
"""

from __future__ import annotations

import re
from functools import cache

# Longest operators first so `==` is one token, not two.
_OPERATORS = sorted(
    [
        "**=",
        "//=",
        ">>=",
        "<<=",
        "...",
        "===",
        "!==",
        "==",
        "!=",
        "<=",
        ">=",
        "->",
        "=>",
        "**",
        "//",
        "--",
        "++",
        "&&",
        "||",
        "::",
        "+=",
        "-=",
        "*=",
        "/=",
        "%=",
        "&=",
        "|=",
        "^=",
        ":=",
        "<<",
        ">>",
        "$(",
        "${",
    ],
    key=len,
    reverse=True,
)
_CODE_TOKEN = re.compile(
    r"[^\W\d]\w*"  # identifiers (any script), underscores included
    r"|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?"  # numbers
    r"|" + "|".join(re.escape(op) for op in _OPERATORS) + r"|\S"  # operators, then any symbol
)


@cache
def _english_normalizer():
    from whisper_normalizer.english import EnglishTextNormalizer

    return EnglishTextNormalizer()


def standard_text(text: str) -> str:
    """Whisper's English normalization of a transcript."""
    return _english_normalizer()(text)


def standard_words(text: str) -> list[str]:
    return standard_text(text).split()


def code_tokens(text: str, casefold: bool = False) -> list[str]:
    """Identifiers, numbers and operators as written; `casefold` lowercases them."""
    tokens = _CODE_TOKEN.findall(text)
    return [t.casefold() for t in tokens] if casefold else tokens


def squash_whitespace(text: str) -> str:
    return " ".join(text.split())
