"""Documents to mine and the scan of one source that lists them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

# How a file is read, by suffix.
FORMATS: dict[str, str] = {
    ".py": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".sh": "bash",
    ".bash": "bash",
    ".md": "markdown",
    ".markdown": "markdown",
    ".rst": "text",
    ".yml": "yaml",
    ".yaml": "yaml",
    ".dockerfile": "dockerfile",
    ".mk": "makefile",
}
# Files known by name: build and container recipes
NAMED_FORMATS: dict[str, str] = {
    "dockerfile": "dockerfile",
    "containerfile": "dockerfile",
    "makefile": "makefile",
    "gnumakefile": "makefile",
}
_TEXT_STEMS = frozenset({"readme", "contributing", "changes", "changelog", "history", "install"})


@dataclass(frozen=True, slots=True)
class Document:
    """One file (or command output) to mine, and how its utterances name their source."""

    origin: str  # "stdlib", a distribution name, a directory name, or a tool
    name: str  # path inside the origin, or "--help"
    # python | javascript | typescript | tsx | bash | markdown | text | help | metadata | man
    # | yaml | dockerfile | makefile
    format: str
    license: str
    path: Path | None = None
    text: str | None = None

    @property
    def prefix(self) -> str:
        """`origin/path` for files, `tool --help` for help output, `man tool` for man pages."""
        if self.format == "help":
            return f"{self.origin} {self.name}"
        if self.format == "man":
            return f"man {self.origin}"
        return f"{self.origin}/{self.name}"

    def source(self, line: int) -> str:
        """The `source` field of an utterance found on `line`."""
        return f"{self.prefix}:{line}"


@dataclass(slots=True)
class SourceScan:
    """What one source offers: its documents and what was passed over, by reason."""

    label: str
    documents: list[Document] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)


def format_of(path: Path) -> str | None:
    """The format a file is mined as, or None when it holds nothing to mine."""
    suffix = path.suffix.lower()
    named = path.name.lower()
    if named in NAMED_FORMATS or named.split(".", 1)[0] in ("dockerfile", "containerfile"):
        return NAMED_FORMATS.get(named, "dockerfile")
    if suffix in FORMATS:
        return FORMATS[suffix]
    stem = path.stem.lower()
    if stem in _TEXT_STEMS and suffix in ("", ".txt"):
        return "text"
    if not suffix:
        try:
            with path.open("rb") as handle:
                first = handle.readline(200)
        except OSError:
            return None
        if first.startswith(b"#!"):
            if b"python" in first:
                return "python"
            if any(shell in first for shell in (b"bash", b"/sh", b"env sh", b"zsh")):
                return "bash"
    return None
