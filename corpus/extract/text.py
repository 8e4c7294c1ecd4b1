"""Plain text, reStructuredText, docstrings and --help output: sentences, prompts, blocks."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from devspeech.corpus.extract.blocks import code_block, doctest_candidate, prompt_candidate
from devspeech.corpus.extract.candidate import Candidate
from devspeech.corpus.extract.sentences import looks_like_prose, single_line_sentences

_DIRECTIVE_RE = re.compile(r"^(\s*)\.\. (?:code-block|code|sourcecode)::\s*([\w+-]*)")
_MARKER_RE = re.compile(r"^\s*(?:[-*+\u2022]\s+|\d+[.)]\s+|:[\w .]+:\s*|#+\s+|>\s+)?")
_UNDERLINE_RE = re.compile(r"^\s*([=\-~^\"'`#*+])\1{2,}\s*$")
_USAGE_RE = re.compile(r"^\s*usage:\s+(\S.*?)\s*$", re.IGNORECASE)
_OPTION_RE = re.compile(r"^\s*(?:-{1,2}[\w?][\w-]*)(?:[ =,][^ ]*)*?\s{2,}(\S.*?)\s*$")


_COLUMN_GAP_RE = re.compile(r"\S(\s{2,})(?=\S)")
_PLACEHOLDER_RE = re.compile(r"<[^>]*>|\[[^\]]*\]|\{[^}]*\}|\.\.\.|\b[A-Z][A-Z_]{2,}\b")


def unwrap_rendered(text: str) -> str:
    """Rendered help or man text with each wrapped paragraph joined into one line.

    A line continues the one before when it starts at that line's text column (where its
    last column of text begins: the description of an option, the body of a bullet) and
    is not itself an option, a prompt or a bullet. Column layouts (`clone   Clone a
    repository`) stay one entry per line, since each entry starts left of the column.
    """
    out: list[str] = []
    column: int | None = None
    for line in text.split("\n"):
        content = line.strip()
        indent = _indent(line)
        joinable = (
            out
            and column is not None
            and content
            and indent == column
            and not content.startswith(("-", "$ ", ">>> ", "\u2022", "* "))
            and not out[-1].lstrip().startswith(("$ ", ">>> "))
        )
        if joinable:
            out[-1] = f"{out[-1].rstrip()} {content}"
            continue
        out.append(line.rstrip())
        if not content:
            column = None
            continue
        gaps = list(_COLUMN_GAP_RE.finditer(line))
        bullet = re.match(r"\s*\u2022\s+", line)
        column = gaps[-1].end(1) if gaps else (bullet.end() if bullet else indent)
    return "\n".join(out)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _indented_block(lines: Sequence[str], start: int, base: int) -> int:
    """Index just past the block of blank or deeper-indented lines beginning at `start`."""
    end = start
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > base):
        end += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return end


def extract_text_block(
    lines: Sequence[str], *, help_text: bool = False, tool: str = ""
) -> Iterator[Candidate]:
    """Candidates of text lines (line 1 = `lines[0]`).

    `help_text` adds usage lines, option descriptions, and example lines that start with
    `tool`, as --help output has them.
    """
    paragraph: list[tuple[int, str]] = []
    example = (
        re.compile(
            rf"^\s*(?:(?:e\.g\.|Examples?:)\s+)?({re.escape(tool)}\s+[^#]*?)(?:\s{{2,}}#.*)?$"
        )
        if help_text and tool
        else None
    )

    def flush() -> Iterator[Candidate]:
        for number, sentence in single_line_sentences(paragraph):
            yield Candidate(sentence, "prose", "", number)
        paragraph.clear()

    index = 0
    while index < len(lines):
        line = lines[index]
        number = index + 1
        index += 1
        if not line.strip():
            yield from flush()
            continue
        found = prompt_candidate(line, number) or doctest_candidate(line, number)
        if found:
            yield from flush()
            yield found
            continue
        if directive := _DIRECTIVE_RE.match(line):
            yield from flush()
            end = _indented_block(lines, index, len(directive.group(1)))
            for candidate in code_block(directive.group(2), [*lines[index:end]]):
                yield candidate.shifted(index)
            index = end
            continue
        if line.rstrip().endswith("::"):
            yield from flush()
            end = _indented_block(lines, index, _indent(line))
            for candidate in code_block("", [*lines[index:end]]):
                yield candidate.shifted(index)
            index = end
            continue
        if _UNDERLINE_RE.match(line):
            paragraph.clear()  # the line above was a heading
            continue
        if help_text and (usage := _USAGE_RE.match(line)):
            yield from flush()
            if not _PLACEHOLDER_RE.search(usage.group(1)):  # "pip <command> [options]" is a form
                yield Candidate(usage.group(1), "shell", "bash", number)
            continue
        command = example.match(line) if example else None
        if (
            command
            and "  " not in command.group(1)
            and (
                not looks_like_prose(command.group(1))
                or any(word.startswith("-") for word in command.group(1).split())
            )
            and not _PLACEHOLDER_RE.search(command.group(1))
        ):
            yield from flush()
            yield Candidate(command.group(1).rstrip(), "shell", "bash", number)
            continue
        if help_text and (option := _OPTION_RE.match(line)):
            yield from flush()
            paragraph.append((number, option.group(1)))
            yield from flush()
            continue
        content = line[_MARKER_RE.match(line).end() :].rstrip()  # type: ignore[union-attr]
        if content:
            paragraph.append((number, content))
    yield from flush()


def extract_text(text: str, *, help_text: bool = False, tool: str = "") -> Iterator[Candidate]:
    """Candidates of a whole text document."""
    yield from extract_text_block(text.split("\n"), help_text=help_text, tool=tool)
