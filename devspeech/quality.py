"""Checks of a row's quality that every stage reports: where it came from, and whether its
spoken form closes every bracket it opens."""

from __future__ import annotations

import re
from functools import cache

_BRACKET_PHRASE_RE = re.compile(r"\b(?:(open|left|close|right|end) )?(paren|bracket|brace|curly)\b")


def unbalanced_brackets(spoken: str) -> bool:
    """Whether a spoken line says a bracket it never closes, or closes one it never opened.

    "close paren" may also be a name said before a short-form opener (`self.close()` said
    "self dot close paren end paren"), so the line is unbalanced only when no reading of
    such words balances it.
    """
    phrases = [
        ("close" if side in ("close", "right", "end") else "open", side, name)
        for side, name in _BRACKET_PHRASE_RE.findall(spoken)
    ]

    @cache
    def balances(index: int, stack: tuple[str, ...]) -> bool:
        if index == len(phrases):
            return not stack
        role, side, name = phrases[index]
        shape = "brace" if name == "curly" else name
        if role == "open" or (side and name != "curly" and balances(index + 1, (*stack, shape))):
            # an opener; or a closer's side word read as a name before a short-form opener
            return role == "close" or balances(index + 1, (*stack, shape))
        return bool(stack) and stack[-1] == shape and balances(index + 1, stack[:-1])

    if len(phrases) > 40:  # too many to weigh every reading: read side words as sides
        return not _greedy(phrases)
    return not balances(0, ())


def _greedy(phrases: list[tuple[str, str, str]]) -> bool:
    stack: list[str] = []
    for role, _, name in phrases:
        shape = "brace" if name == "curly" else name
        if role == "open":
            stack.append(shape)
        elif not stack or stack.pop() != shape:
            return False
    return not stack


_SOURCE_TYPES = {
    ".py": "python", ".pyi": "python", ".js": "javascript", ".ts": "typescript",
    ".md": "markdown", ".markdown": "markdown", ".rst": "restructuredtext", ".txt": "text",
    ".sh": "shell script", ".bash": "shell script", ".yml": "yaml", ".yaml": "yaml",
    ".toml": "toml", ".cfg": "config", ".ini": "config",
}  # fmt: skip


def source_type(source: str) -> str:
    """What kind of file or text a row came from: python, markdown, help text, Dockerfile..."""
    head = source.split(" | ", 1)[0].rsplit(":", 1)[0]
    if head.endswith(" --help"):
        return "help text"
    if head.startswith("man "):
        return "man page"
    name = head.rsplit("/", 1)[-1]
    if name.startswith("Dockerfile") or name.endswith(".dockerfile"):
        return "dockerfile"
    if name in ("Makefile", "makefile", "GNUmakefile") or name.endswith(".mk"):
        return "makefile"
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    return _SOURCE_TYPES.get(suffix, "other")
