"""The documentation: the site builds with --strict (a broken link or a page missing from
the navigation fails), the command reference lists every command, the README's links
land on files, and the dataset page names every column a row has."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_site_builds_strictly_with_every_command_in_its_reference(tmp_path: Path) -> None:
    from devspeech.cli import cli

    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d",
                           str(tmp_path / "site")], cwd=ROOT, capture_output=True, text=True,
                          env={"NO_MKDOCS_2_WARNING": "1", "PATH": ""})  # fmt: skip
    assert done.returncode == 0, done.stderr
    reference = (tmp_path / "site" / "reference" / "cli" / "index.html").read_text("utf-8")
    commands = sorted(cli.list_commands(None))  # type: ignore[arg-type]
    assert len(commands) >= 12
    missing = [c for c in commands if f"devspeech {c}" not in reference]
    assert missing == []


def test_the_readme_is_a_landing_page_whose_links_all_land() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 150
    targets = re.findall(r"\]\(([^)#]+)\)", text)
    assert len(targets) >= 15
    assert [t for t in targets if not (ROOT / t).is_file()] == []
    # the two set-up commands: the main job and the tests, each one line
    commands = re.findall(r"```bash\n(.+)\n```", text)
    assert commands == [
        "python3 -m venv .venv && .venv/bin/pip install -q -e '.[bench]' -c constraints.txt "
        "&& .venv/bin/devspeech quickstart",
        "python3 -m venv .venv && .venv/bin/pip install -q -e '.[dev]' -c constraints.txt "
        "&& .venv/bin/python -m pytest",
    ]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci


def test_the_dataset_page_names_every_column_of_a_row() -> None:
    from devspeech.records import DatasetRow

    page = (ROOT / "docs" / "dataset.md").read_text(encoding="utf-8")
    rows = {m for m in re.findall(r"^\| `(\w+)` \|", page, flags=re.M)}
    assert rows >= {f.name for f in fields(DatasetRow)}
