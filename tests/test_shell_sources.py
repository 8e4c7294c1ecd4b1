"""Shell commands from where developers write them: CI YAML, Dockerfiles, Makefiles, help
text joined across wrapped lines, and man page examples."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from devspeech.corpus.extract.build import extract_dockerfile, extract_makefile, extract_yaml
from devspeech.corpus.extract.text import extract_text, unwrap_rendered
from devspeech.corpus.mine import MineOptions, mine
from devspeech.corpus.sources import scan_directory, scan_man
from devspeech.corpus.sources.base import format_of
from devspeech.runner import RunnerOptions

WORKFLOW = """\
name: CI
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: ${{ matrix.python }}
      - run: python -m pip install --upgrade pip
      - name: Install
        run: |
          pip install -e '.[dev]'
          pip install pytest-cov
      - name: Lint
        run: ruff check . && mypy pkg
      - run: pytest -q --cov=pkg
      - run: echo "${{ secrets.TOKEN }}"
"""
GITLAB = """\
test:
  image: python:3.12
  before_script:
    - pip install tox
  script:
    - tox -e py312
    - "coverage report"
"""
DOCKERFILE = """\
FROM python:3.12-slim
RUN apt-get update \\
    && apt-get install -y --no-install-recommends git curl \\
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
RUN --mount=type=cache,target=/root/.cache pip install --no-cache-dir .
RUN ["python", "-m", "compileall", "."]
CMD ["python", "-m", "pkg"]
"""
MAKEFILE = "test:\n\tpytest -q\n\nlint:\n\t@ruff check .\n\t$(PYTHON) -m mypy pkg\n\ndocs:\n\tcd docs && make html\n"


def _found(candidates) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    return [(c.line, c.text) for c in candidates]


def test_ci_yaml_run_steps_and_script_lists():
    assert _found(extract_yaml(WORKFLOW.split("\n"))) == [
        (11, "python -m pip install --upgrade pip"),
        (14, "pip install -e '.[dev]'"),
        (15, "pip install pytest-cov"),
        (17, "ruff check ."),
        (17, "mypy pkg"),
        (18, "pytest -q --cov=pkg"),
    ]
    assert _found(extract_yaml(GITLAB.split("\n"))) == [
        (4, "pip install tox"),
        (6, "tox -e py312"),
        (7, "coverage report"),
    ]


def test_dockerfile_run_lines_in_shell_form_piece_by_piece():
    assert _found(extract_dockerfile(DOCKERFILE.split("\n"))) == [
        (2, "apt-get update"),
        (3, "apt-get install -y --no-install-recommends git curl"),
        (4, "rm -rf /var/lib/apt/lists/*"),
        (7, "pip install --no-cache-dir ."),
    ]


def test_makefile_recipes_without_make_variables():
    assert _found(extract_makefile(MAKEFILE.split("\n"))) == [
        (2, "pytest -q"),
        (5, "ruff check ."),
        (9, "cd docs"),
        (9, "make html"),
    ]


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("Dockerfile", "dockerfile"), ("Dockerfile.dev", "dockerfile"), ("Containerfile", "dockerfile"),
     ("Makefile", "makefile"), ("rules.mk", "makefile"), ("ci.yml", "yaml"), ("x.yaml", "yaml")],
)  # fmt: skip
def test_build_files_are_known_by_name(tmp_path: Path, name: str, fmt: str):
    path = tmp_path / name
    path.write_text("x\n")
    assert format_of(path) == fmt


HELP = """\
Usage:
  pip <command> [options]

General Options:
  -h, --help                  Show help.
  --isolated                  Run pip in an isolated mode, ignoring environment variables and user
                              configuration.
  --log <path>                Path to a verbose appending log.

Commands:
  install                     Install packages.
  download                    Download packages.
"""


def test_help_text_is_joined_across_wrapped_lines_and_usage_forms_are_skipped():
    unwrapped = unwrap_rendered(HELP)
    assert (
        "  --isolated                  Run pip in an isolated mode, ignoring environment variables"
        " and user configuration." in unwrapped.split("\n")
    )
    assert "  download                    Download packages." in unwrapped.split("\n")
    found = [(c.kind, c.text) for c in extract_text(unwrapped, help_text=True, tool="pip")]
    assert (
        "prose",
        "Run pip in an isolated mode, ignoring environment variables and user configuration.",
    ) in found
    assert not any(kind == "shell" for kind, _ in found)  # "pip <command> [options]" is a form
    assert all(text.split()[-1] != "user" for _, text in found)  # no fragment ends mid-line


def _typical_repository(root: Path) -> Path:
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text(
        '"""Small helpers for reading settings files."""\n\n'
        "import json\nfrom pathlib import Path\n\n\n"
        "def load_settings(path: Path) -> dict:\n"
        '    """Read the settings file and return its values as a dictionary."""\n'
        "    with path.open() as handle:\n"
        "        return json.load(handle)\n"
    )
    (root / "README.md").write_text(
        "# settings-kit\n\nRead settings files without fuss.\n\n"
        "## Install\n\n```bash\npip install settings-kit\n```\n\n"
        "## Develop\n\n```console\n$ git clone https://github.com/example/settings-kit\n"
        "$ cd settings-kit\n$ pip install -e '.[dev]'\n$ pytest -q\n```\n\n"
        "The tests need Python 3.11 or newer and run in a few seconds.\n"
    )
    (root / ".github" / "workflows" / "ci.yml").write_text(WORKFLOW)
    (root / "Dockerfile").write_text(DOCKERFILE)
    (root / "Makefile").write_text(MAKEFILE)
    return root


def test_a_typical_repository_yields_shell_in_quantity(tmp_path: Path):
    root = _typical_repository(tmp_path / "settings-kit")
    utterances, _ = mine([scan_directory(root)], MineOptions(runner=RunnerOptions(workers=1)))
    kinds = [u.kind for u in utterances]
    assert kinds.count("shell") / len(kinds) >= 0.15, kinds
    for u in utterances:  # each command is verbatim on the line its source names
        path, line = u.source.rsplit(":", 1)
        text = (root / path.split("/", 1)[1]).read_text().split("\n")[int(line) - 1]
        assert u.text in text, u.source
    sources = {u.source.split(":")[0].split("/", 1)[1] for u in utterances if u.kind == "shell"}
    assert sources == {".github/workflows/ci.yml", "Dockerfile", "Makefile", "README.md"}


MAN_PAGE = """\
.TH DEVTOOL 1
.SH NAME
devtool \\- a tool for tests
.SH DESCRIPTION
Does things.
.SH EXAMPLES
Build the project with pip in release mode and write the wheel to a folder
that is named on the command line.
.PP
.RS
devtool build --release -o dist
.RE
.PP
.RS
$ devtool clean --all
.RE
.SH SEE ALSO
make(1)
"""


@pytest.mark.skipif(shutil.which("man") is None, reason="man is not installed")
def test_man_page_examples_are_mined(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "man1").mkdir()
    (tmp_path / "man1" / "devtool.1").write_text(MAN_PAGE)
    monkeypatch.setenv("MANPATH", str(tmp_path))
    if subprocess.run(["man", "-w", "devtool"], capture_output=True, check=False).returncode:
        pytest.skip("this man does not read MANPATH")
    scan = scan_man(("devtool", "surely-no-such-tool"))
    assert scan.skipped == {"no man page": 1}
    utterances, _ = mine([scan], MineOptions(runner=RunnerOptions(workers=1)))
    assert sorted((u.kind, u.text, u.source) for u in utterances) == [
        (
            "prose",
            "Build the project with pip in release mode and write the wheel to a folder that"
            " is named on the command line.",
            "man devtool:1",
        ),
        ("shell", "devtool build --release -o dist", "man devtool:3"),
        ("shell", "devtool clean --all", "man devtool:5"),
    ]
