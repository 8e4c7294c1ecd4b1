"""Python's standard library source, as installed with the running interpreter."""

from __future__ import annotations

import os
import sysconfig
from pathlib import Path

from devspeech.corpus.sources.base import Document, SourceScan, format_of

STDLIB_LICENSE = "PSF-2.0"
_SKIP = frozenset({"site-packages", "dist-packages", "__pycache__"})


def stdlib_root() -> Path:
    """The folder of the standard library's Python source."""
    return Path(sysconfig.get_paths()["stdlib"])


def scan_stdlib(modules: tuple[str, ...] = ()) -> SourceScan:
    """Python files of the standard library, or of the named top-level modules only."""
    root = stdlib_root()
    scan = SourceScan(label=f"standard library {root}")
    tops = [root / m for m in modules] + [root / f"{m}.py" for m in modules] if modules else [root]
    for top in tops:
        if top.is_file():
            scan.documents.append(Document("stdlib", top.name, "python", STDLIB_LICENSE, path=top))
            continue
        for folder, dirs, files in os.walk(top):
            dirs[:] = sorted(d for d in dirs if d not in _SKIP)
            for name in sorted(files):
                path = Path(folder) / name
                if path.suffix == ".py" and format_of(path) == "python":
                    relative = path.relative_to(root).as_posix()
                    scan.documents.append(
                        Document("stdlib", relative, "python", STDLIB_LICENSE, path=path)
                    )
    return scan
