"""The --help output of installed command-line tools."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

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


def help_output(tool: str, executable: str) -> str:
    """What `tool --help` prints, paged output and colour turned off."""
    env = {
        **os.environ,
        "LC_ALL": "C.UTF-8",
        "COLUMNS": "100",
        "PAGER": "cat",
        "GIT_PAGER": "cat",
        "MANPAGER": "cat",
        "NO_COLOR": "1",
        "TERM": "dumb",
    }
    completed = subprocess.run(
        [executable, "--help"],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        env=env,
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
            Document(tool, "--help", "help", _license_of_tool(executable), text=text)
        )
    return scan
