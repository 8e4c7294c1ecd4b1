"""Guess the kind of a text typed at the command line."""

from __future__ import annotations

import ast
import re
import shutil

from devspeech.corpus.extract.sentences import looks_like_prose

_CODE_CHARS_RE = re.compile(r"[()\[\]{}=:.]")
# commands of the shell itself, which no PATH lookup finds (`source .venv/bin/activate`
# also parses as Python: `source.venv / bin / activate`)
SHELL_BUILTINS = frozenset({"source", ".", "cd", "export", "alias", "unset", "pushd", "popd",
                            "eval", "exec", "ulimit", "umask", "sudo"})  # fmt: skip


def guess_kind(text: str) -> str:
    """ "shell" for a command of an installed or well-known tool, "code" for Python-like code,
    else "prose"."""
    stripped = text.strip()
    first = stripped.split()[0] if stripped.split() else ""
    if stripped.startswith("$ ") or (first.isidentifier() is False and "/" in first):
        return "shell"
    if first in SHELL_BUILTINS and len(stripped.split()) > 1 and "(" not in stripped:
        return "shell"
    if looks_like_prose(stripped) and stripped[-1:] in ".!?":
        return "prose"
    try:
        ast.parse(stripped if not stripped.endswith(":") else stripped + "\n pass")
        if _CODE_CHARS_RE.search(stripped):
            return "code"
    except SyntaxError:
        pass
    if re.fullmatch(r"[\w.-]+", first) and shutil.which(first):
        return "shell"
    return "prose" if looks_like_prose(stripped) else "code"
