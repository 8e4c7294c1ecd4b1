"""Code blocks inside documents (fences, directives, literal blocks), by their language tag."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Sequence

from devspeech.corpus.extract.candidate import Candidate

SHELL_TAGS = frozenset(
    [
        "console",
        "shell-session",
        "sh-session",
        "terminal",
        "bash",
        "sh",
        "shell",
        "zsh",
        "shellscript",
    ]
)
PYTHON_TAGS = frozenset(["python", "py", "python3", "pycon", "ipython"])
JS_TAGS = {
    "js": "javascript",
    "javascript": "javascript",
    "jsx": "javascript",
    "mjs": "javascript",
    "ts": "typescript",
    "typescript": "typescript",
    "tsx": "tsx",
}
PROMPT_RE = re.compile(r"^\s*\$ +(\S.*?)\s*$")
DOCTEST_RE = re.compile(r"^\s*>>> +(\S.*?)\s*$")


def doctest_candidate(line: str, number: int) -> Candidate | None:
    """A `>>> ` line whose statement parses on its own."""
    match = DOCTEST_RE.match(line)
    if not match:
        return None
    text = match.group(1)
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    if len(tree.body) != 1 or (
        isinstance(tree.body[0], ast.Expr) and isinstance(tree.body[0].value, ast.Constant)
    ):
        return None
    return Candidate(text, "code", "python", number)


def prompt_candidate(line: str, number: int) -> Candidate | None:
    """A `$ command` line."""
    match = PROMPT_RE.match(line)
    if not match or match.group(1).endswith("\\"):
        return None
    return Candidate(match.group(1), "shell", "bash", number)


def prompts_only(lines: Sequence[str]) -> Iterator[Candidate]:
    """`$ ` and `>>> ` lines of a block whose language is unknown."""
    for number, line in enumerate(lines, start=1):
        found = prompt_candidate(line, number) or doctest_candidate(line, number)
        if found:
            yield found


def shell_block(lines: Sequence[str]) -> Iterator[Candidate]:
    """Commands of a shell block: prompt lines if it has prompts, else every command line."""
    if any(PROMPT_RE.match(line) for line in lines):
        yield from prompts_only(lines)
        return
    continued = False
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        was_continued, continued = continued, text.endswith("\\")
        if not text or text.startswith("#") or was_continued or continued:
            continue
        yield Candidate(text, "shell", "bash", number)


def code_block(tag: str, lines: Sequence[str]) -> Iterator[Candidate]:
    """Candidates of a block of code in the language named by `tag` (line 1 = first line)."""
    from devspeech.corpus.extract.python import extract_python
    from devspeech.corpus.extract.treesitter import extract_tree

    tag = tag.lower().strip("{}.")
    if tag in SHELL_TAGS:
        yield from shell_block(lines)
    elif tag in PYTHON_TAGS:
        if any(DOCTEST_RE.match(line) for line in lines):
            yield from prompts_only(lines)
            return
        try:
            yield from extract_python("\n".join(lines))
        except (SyntaxError, ValueError):
            return
    elif tag in JS_TAGS:
        yield from extract_tree("\n".join(lines), JS_TAGS[tag])
    else:
        yield from prompts_only(lines)
