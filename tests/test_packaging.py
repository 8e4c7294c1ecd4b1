"""Every folder that is a Python package is installed, under its devspeech name."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = {
    "devspeech": "devspeech",
    "corpus": "devspeech.corpus",
    "generator": "devspeech.generator",
    "benchmark": "devspeech.benchmark",
    "finetune": "devspeech.finetune",
}


def test_every_package_folder_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    found = set()
    for folder, name in STAGES.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((name, *relative)))
    assert found == listed
