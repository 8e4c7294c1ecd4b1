"""Markdown: fenced code by language, paragraphs as prose (parsed by markdown-it)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from devspeech.corpus.extract.blocks import code_block, prompts_only
from devspeech.corpus.extract.candidate import Candidate
from devspeech.corpus.extract.sentences import single_line_sentences

_MARKER_RE = re.compile(r"^\s*(?:>\s*)*(?:[-*+]\s+|\d+[.)]\s+)?(?:\[[ xX]\]\s+)?")


@cache
def _parser():  # type: ignore[no-untyped-def]
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark")


def extract_markdown(text: str, line_offset: int = 0) -> Iterator[Candidate]:
    """Candidates of a Markdown document; line numbers are shifted by `line_offset`."""
    lines = text.split("\n")
    for token in _parser().parse(text):
        if not token.map:
            continue
        start, end = token.map
        if token.type == "fence":
            tag = token.info.split()[0] if token.info.strip() else ""
            for candidate in code_block(tag, lines[start + 1 : end - 1]):
                yield candidate.shifted(start + 1 + line_offset)
        elif token.type == "code_block":
            for candidate in prompts_only(lines[start:end]):
                yield candidate.shifted(start + line_offset)
        elif token.type == "paragraph_open":
            paragraph = []
            for number in range(start, end):
                line = lines[number]
                content = line[_MARKER_RE.match(line).end() :].rstrip()  # type: ignore[union-attr]
                if content:
                    paragraph.append((number + 1 + line_offset, content))
            for number, sentence in single_line_sentences(paragraph):
                yield Candidate(sentence, "prose", "", number)
