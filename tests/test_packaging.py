"""Every folder that is a Python package is installed, under its devspeech name."""

import os
import subprocess
import sys
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


def test_each_stage_is_linked_under_devspeech_as_it_installs() -> None:
    """devspeech/corpus -> ../corpus and so on: import-linter (run as plain `lint-imports`
    at the root) walks the devspeech folder, which the package-dir mapping alone leaves
    without its stages."""
    for folder, name in STAGES.items():
        if folder != "devspeech":
            link = ROOT / "devspeech" / name.split(".")[1]
            assert link.is_symlink() and link.resolve() == ROOT / folder, link


def _installed_view(target: Path) -> Path:
    """A copy of the package as links to the source files, for a test to add a module to
    without touching the source tree."""
    for folder, name in STAGES.items():
        base = target.joinpath(*name.split("."))
        for source in (ROOT / folder).rglob("*.py"):
            link = base / source.relative_to(ROOT / folder)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(source)
    return target


def _lint_imports(where: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(where)}
    command = [str(Path(sys.executable).with_name("lint-imports")), str(ROOT / "pyproject.toml")]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=where)


def test_import_contracts_hold() -> None:
    done = _lint_imports(ROOT)  # as a developer runs it: plain lint-imports at the root
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts: 7 kept, 0 broken." in done.stdout


def test_a_benchmark_module_importing_the_generator_breaks_a_contract(tmp_path: Path) -> None:
    view = _installed_view(tmp_path)
    (view / "devspeech" / "benchmark" / "sneaky.py").write_text(
        "from devspeech.generator.speech import Speech\n", encoding="utf-8"
    )
    done = _lint_imports(view)
    assert done.returncode == 1
    assert "Generator and benchmark never import each other BROKEN" in done.stdout
    assert "devspeech.benchmark.sneaky -> devspeech.generator.speech" in done.stdout


def test_every_core_module_is_bound_by_the_core_contract() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    (core,) = [c for c in contracts if c["name"] == "The core imports no stage"]
    allowed_up = {
        "devspeech.cli",
        "devspeech.quickstart",
        "devspeech.__main__",
        "devspeech.__init__",
    }
    modules = {f"devspeech.{p.stem}" for p in (ROOT / "devspeech").glob("*.py")}
    assert modules - allowed_up == set(core["source_modules"])
