"""A directory, or a git repository (its tracked files only)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from devspeech.corpus.sources.base import Document, SourceScan, format_of
from devspeech.corpus.sources.licenses import license_of_directory
from devspeech.errors import InputError

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "__pycache__",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "site-packages",
        "dist",
        "build",
    }
)


# hidden folders that hold what developers run: CI workflows
CI_DIRS = frozenset({".github", ".gitlab", ".circleci", ".buildkite"})


def _git_files(root: Path) -> list[str] | None:
    """Tracked files relative to `root` when it lies in a git work tree, else None."""
    try:
        inside = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--is-inside-work-tree"],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
        if inside.returncode != 0 or inside.stdout.strip() != "true":
            return None
        listed = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--", "."],
            capture_output=True,
            check=True,
            timeout=120,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return sorted(p for p in listed.stdout.decode("utf-8", "surrogateescape").split("\0") if p)


def _walked_files(root: Path) -> list[str]:
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(
            d for d in dirs if d not in SKIP_DIRS and (not d.startswith(".") or d in CI_DIRS)
        )
        if "pyvenv.cfg" in files:
            dirs[:] = []
            continue
        base = Path(folder).relative_to(root)
        found.extend((base / name).as_posix() for name in files)
    return sorted(found)


def scan_directory(root: Path, *, origin: str | None = None) -> SourceScan:
    """Minable files below `root`; tracked files only when it is a git repository."""
    if not root.exists():
        raise InputError(f"{root}: no such file or directory")
    if not root.is_dir():
        raise InputError(f"{root}: not a directory (give the folder that holds it)")
    root = root.resolve()
    tracked = _git_files(root)
    names = tracked if tracked is not None else _walked_files(root)
    kind = "git repository" if tracked is not None else "directory"
    scan = SourceScan(label=f"{kind} {root}")
    license_id = license_of_directory(root)
    origin = origin or root.name
    for name in names:
        path = root / name
        if path.is_symlink() or not path.is_file():
            continue
        fmt = format_of(path)
        if fmt is None:
            scan.skipped["unsupported file type"] += 1
            continue
        scan.documents.append(Document(origin, name, fmt, license_id, path=path))
    return scan
