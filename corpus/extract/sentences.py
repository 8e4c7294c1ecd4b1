"""Sentences of a paragraph that lie on a single line, so their text is verbatim there."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

# A boundary: end punctuation, space, then something that starts a sentence.
_BOUNDARY_RE = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[\"'(\[]?[A-Z0-9`])")
_NO_BREAK_BEFORE = re.compile(
    r"(?:\b(?:e\.g|i\.e|etc|vs|cf|approx|Mr|Mrs|Dr|No|Fig|al)|\b[A-Za-z])\.$"
)
_WORD_RE = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
MIN_PROSE_WORDS = 4


def split_sentences(paragraph: str) -> list[tuple[int, str]]:
    """(offset, sentence) pairs of a paragraph, split at sentence ends but not abbreviations."""
    spans: list[tuple[int, str]] = []
    start = 0
    for match in _BOUNDARY_RE.finditer(paragraph):
        head = paragraph[start : match.start()]
        if _NO_BREAK_BEFORE.search(head):
            continue
        spans.append((start, head))
        start = match.end()
    spans.append((start, paragraph[start:]))
    return [(offset, text) for offset, text in spans if text.strip()]


def looks_like_prose(sentence: str) -> bool:
    """Mostly plain words, and enough of them to be a sentence rather than code or a heading."""
    tokens = sentence.split()
    if len(tokens) < MIN_PROSE_WORDS or not sentence[:1].isalpha():
        return False
    words = sum(1 for t in tokens if _WORD_RE.fullmatch(t.strip(".,;:!?()\"'")))
    return words / len(tokens) >= 0.6


def single_line_sentences(lines: Sequence[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    """Sentences of one paragraph given as (line number, line content) that do not span lines.

    A paragraph of one line is a sentence even without end punctuation (comments often lack it).
    """
    if not lines:
        return
    joined = "\n".join(content for _, content in lines)
    for offset, sentence in split_sentences(joined):
        text = sentence.strip()
        if "\n" in text:
            continue
        if len(lines) > 1 and not text.endswith((".", "!", "?")):
            continue
        line_index = joined.count("\n", 0, offset + sentence.index(text[0]))
        yield lines[line_index][0], text
