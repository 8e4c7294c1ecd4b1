"""The --help output and man page examples of installed command-line tools."""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

from devspeech.corpus.extract.text import unwrap_rendered
from devspeech.corpus.sources.base import Document, SourceScan
from devspeech.corpus.sources.licenses import UNKNOWN, license_of_distribution

HELP_TIMEOUT_S = 15.0
log = logging.getLogger(__name__)


def _license_of_tool(executable: str) -> str:
    """The license of the Python distribution that installs `executable`, else unknown."""
    name = Path(executable).name
    for entry in metadata.entry_points(group="console_scripts"):
        if entry.name == name and entry.dist is not None:
            return license_of_distribution(entry.dist)
    return UNKNOWN


RENDER_ENV = {
    "LC_ALL": "C.UTF-8",
    "COLUMNS": "100",
    "PAGER": "cat",
    "GIT_PAGER": "cat",
    "MANPAGER": "cat",
    "NO_COLOR": "1",
    "TERM": "dumb",
}


def help_output(tool: str, executable: str) -> str:
    """What `tool --help` prints, paged output and colour turned off."""
    completed = subprocess.run(
        [executable, "--help"],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **RENDER_ENV},
        timeout=HELP_TIMEOUT_S,
        check=False,
    )
    out = completed.stdout or completed.stderr
    return out.decode("utf-8", errors="replace").replace("\r\n", "\n")


def scan_help(tools: tuple[str, ...]) -> SourceScan:
    """One document per installed tool; tools that are not installed are counted and skipped."""
    scan = SourceScan(label=f"--help of {', '.join(tools)}")
    for tool in tools:
        executable = shutil.which(tool)
        if executable is None:
            log.warning("%s is not installed; its --help is skipped", tool)
            scan.skipped["tool not installed"] += 1
            continue
        try:
            text = help_output(tool, executable)
        except (OSError, subprocess.SubprocessError):
            scan.skipped["tool --help failed"] += 1
            continue
        if not text.strip():
            scan.skipped["tool printed no help"] += 1
            continue
        scan.documents.append(
            Document(
                tool, "--help", "help", _license_of_tool(executable), text=unwrap_rendered(text)
            )
        )
    return scan


MAN_TIMEOUT_S = 30.0
_SECTION_RE = re.compile(r"^[A-Z][A-Z0-9 ]*[A-Z0-9]$")


def man_examples(page: str) -> str | None:
    """The EXAMPLES section of a rendered man page (wrapped paragraphs joined), or None."""
    lines = page.split("\n")
    starts = [i for i, line in enumerate(lines) if line.strip() in ("EXAMPLES", "EXAMPLE")]
    if not starts:
        return None
    begin = starts[0] + 1
    end = next((i for i in range(begin, len(lines)) if _SECTION_RE.match(lines[i])), len(lines))
    section = "\n".join(lines[begin:end]).strip("\n")
    return unwrap_rendered(section) if section.strip() else None


def man_output(tool: str, man: str) -> str | None:
    """`man TOOL` rendered as plain text without justification or hyphenation, or None."""
    completed = subprocess.run(
        [man, "--nj", "--nh", tool],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **RENDER_ENV, "MANWIDTH": "100", "MAN_KEEP_FORMATTING": ""},
        timeout=MAN_TIMEOUT_S,
        check=False,
    )
    if completed.returncode != 0 or not completed.stdout.strip():
        return None
    return completed.stdout.decode("utf-8", errors="replace").replace("\r\n", "\n")


def scan_man(tools: tuple[str, ...]) -> SourceScan:
    """The EXAMPLES section of each tool's man page; pages without one are counted."""
    scan = SourceScan(label=f"man pages of {', '.join(tools)}")
    man = shutil.which("man")
    if man is None:
        log.warning("man is not installed; --man-of is skipped")
        scan.skipped["man not installed"] += len(tools)
        return scan
    for tool in tools:
        try:
            page = man_output(tool, man)
        except (OSError, subprocess.SubprocessError):
            page = None
        if page is None:
            log.warning("%s has no man page; skipped", tool)
            scan.skipped["no man page"] += 1
            continue
        examples = man_examples(page)
        if examples is None:
            scan.skipped["man page without EXAMPLES"] += 1
            continue
        executable = shutil.which(tool)
        license_id = _license_of_tool(executable) if executable else UNKNOWN
        scan.documents.append(Document(tool, "man", "man", license_id, text=examples))
    return scan
