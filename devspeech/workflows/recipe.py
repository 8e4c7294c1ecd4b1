"""`devspeech run RECIPE.toml -o OUT`: a whole dataset or experiment described in one file.

A recipe has a top-level `seed` and one table per stage it runs, in this order:

    seed = 0
    utterances = "corpus.jsonl"   # instead of [mine]: an utterances file (relative paths
                                  # are read from the recipe's folder)
    [mine]       # the fields of corpus.api.MineRequest (not output or seed)
    [generate]   # generator.api.GenerateOptions (not seed); [generate.splits] for fractions
    [finetune]   # finetune.options.FinetuneOptions (not data or seed)
    [bench]      # benchmark.run.BenchOptions (not data or seed); the tuned model is added
    [export]     # finetune.export.ExportOptions (format, quantization, interpolate)

Every table is checked (unknown keys, wrong types, bad values) before any stage runs. The
outputs go to OUT: utterances.jsonl, dataset/, finetune/, bench/, model-FORMAT/, with the
recipe's own bytes in OUT/recipe.toml. Each stage is skipped or resumed when its output is
there, so a killed run goes on where it stopped; a folder made by another recipe is refused.
The same recipe writes byte-identical utterances, shards and card (tested).
"""

from __future__ import annotations

import dataclasses
import shutil
import sys
import tomllib
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from devspeech.cli import executor_options, runner_of
from devspeech.errors import InputError
from devspeech.files import claim_folder, write_text_atomic
from devspeech.runner import RunnerOptions

RECIPE_FILE = "recipe.toml"
STAGES = ("mine", "generate", "finetune", "bench", "export")
# fields the run itself sets: where each stage reads and writes, the one seed, and where
# the work runs (`devspeech run --executor`; it never changes an output)
MANAGED = {
    "mine": ("output", "seed", "runner"),
    "generate": ("seed",),
    "finetune": ("data", "seed"),
    "bench": ("data", "seed"),
    "export": ("overwrite",),
}


def _classes() -> dict[str, type]:
    from devspeech.benchmark.run import BenchOptions
    from devspeech.corpus.api import MineRequest
    from devspeech.finetune.export import ExportOptions
    from devspeech.finetune.options import FinetuneOptions
    from devspeech.generator.api import GenerateOptions

    return {"mine": MineRequest, "generate": GenerateOptions, "finetune": FinetuneOptions,
            "bench": BenchOptions, "export": ExportOptions}  # fmt: skip


def _convert(value: Any, hint: Any, where: str) -> Any:
    """`value` as read from TOML, in the type `hint` asks for; InputError naming `where`."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in (o for o in options if o is not type(None)):
            try:
                return _convert(value, option, where)
            except InputError as error:
                errors.append(error)
        raise errors[0]
    if origin is tuple:
        if not isinstance(value, list):
            raise InputError(f"{where}: expected a list, got {value!r}")
        item = typing.get_args(hint)[0]
        return tuple(_convert(v, item, f"{where}[{i}]") for i, v in enumerate(value))
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise InputError(f"{where}: expected a table, got {value!r}")
        return _build(hint, value, where)
    if hint is Path:
        if not isinstance(value, str):
            raise InputError(f"{where}: expected a path, got {value!r}")
        return Path(value)
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    expected = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}
    if hint in expected:
        if type(value) is not hint:
            raise InputError(f"{where}: expected {expected[hint]}, got {value!r}")
        return value
    raise InputError(f"{where}: cannot be set from a recipe")  # a callable hook, say


def _build(cls: type, table: dict[str, Any], where: str, **fixed: Any) -> Any:
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    settable = [n for n in names if n not in fixed]
    unknown = sorted(set(table) - set(settable))
    if unknown:
        raise InputError(
            f"[{where}] has no {', '.join(map(repr, unknown))}; it takes {', '.join(settable)}"
        )
    values = {k: _convert(v, hints[k], f"[{where}] {k}") for k, v in table.items()}
    return cls(**values, **fixed)


@dataclass(frozen=True)
class Recipe:
    """A parsed, checked recipe; `text` is the file as written, recorded with the outputs."""

    path: Path
    text: str
    seed: int
    utterances: Path | None
    tables: dict[str, dict[str, Any]]

    @property
    def stages(self) -> list[str]:
        return [s for s in STAGES if s in self.tables]


def load_recipe(path: Path) -> Recipe:
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError:
        raise InputError(f"{path} is not a text file") from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{path} is not valid TOML: {error}") from None
    seed = data.pop("seed", 0)
    utterances = data.pop("utterances", None)
    if type(seed) is not int:
        raise InputError(f"{path}: seed must be an integer")
    unknown = sorted(set(data) - set(STAGES))
    if unknown:
        raise InputError(
            f"{path}: unknown table(s) {', '.join(unknown)}; a recipe has {', '.join(STAGES)}"
        )
    if ("mine" in data) == (utterances is not None) and ("generate" in data or "mine" in data):
        raise InputError(f"{path}: give either [mine] or utterances = FILE, not both or neither")
    if utterances is not None:
        utterances = (path.parent / utterances).resolve()
        if not utterances.is_file():
            raise InputError(f"{path}: utterances file {utterances} does not exist")
    if "generate" not in data and {"finetune", "bench"} & set(data):
        raise InputError(f"{path}: [finetune] and [bench] need a [generate] table")
    if "export" in data and "finetune" not in data:
        raise InputError(f"{path}: [export] needs a [finetune] table")
    for name, table in data.items():
        if not isinstance(table, dict):
            raise InputError(f"{path}: {name} must be a table ([{name}])")
    recipe = Recipe(path, text, seed, utterances, data)
    _options(recipe, Path())  # every table checked before anything runs
    return recipe


def _options(recipe: Recipe, out: Path) -> dict[str, Any]:
    """The options object of every stage, with the run's paths and seed filled in."""
    classes, tables = _classes(), recipe.tables
    base = recipe.path.parent
    options: dict[str, Any] = {}
    if "mine" in tables:
        mine = dict(tables["mine"])
        if "directories" in mine and isinstance(mine["directories"], list):
            mine["directories"] = [str(base / d) for d in mine["directories"]]
        options["mine"] = _build(classes["mine"], mine, "mine",
                                 output=out / "utterances.jsonl", seed=recipe.seed)  # fmt: skip
    if "generate" in tables:
        options["generate"] = _build(classes["generate"], tables["generate"], "generate",
                                     seed=recipe.seed)  # fmt: skip
    if "finetune" in tables:
        options["finetune"] = _build(classes["finetune"], tables["finetune"], "finetune",
                                     data=str(out / "dataset"), seed=recipe.seed)  # fmt: skip
    if "bench" in tables:
        options["bench"] = _build(classes["bench"], tables["bench"], "bench",
                                  data=str(out / "dataset"), seed=recipe.seed)  # fmt: skip
    if "export" in tables:
        options["export"] = _build(classes["export"], tables["export"], "export", overwrite=True)
    return options


@dataclass
class RecipeRun:
    output: Path
    ran: list[str] = dataclasses.field(default_factory=list)
    tuned: Path | None = None
    exported: Path | None = None


def _claim(recipe: Recipe, out: Path, overwrite: bool) -> None:
    recorded = out / RECIPE_FILE
    if recorded.is_file():
        if recorded.read_text(encoding="utf-8") == recipe.text:
            return
        if not overwrite:
            raise InputError(
                f"{out} holds the outputs of another recipe ({recorded}); pass --overwrite "
                "to replace them, or write to another folder"
            )
        shutil.rmtree(out)
    else:
        claim_folder(out, RECIPE_FILE, "recipe run", overwrite)
    write_text_atomic(recorded, recipe.text)


def run_recipe(
    recipe: Recipe,
    out: Path,
    runner: RunnerOptions | None = None,
    overwrite: bool = False,
    echo: Callable[[str], None] = click.echo,
    progress: bool = False,
) -> RecipeRun:
    """Run every stage of `recipe` into `out`, skipping or resuming what is done; `runner`
    says where mining and speaking run (never what they write; default: this process)."""
    runner = runner or RunnerOptions()
    options = _options(recipe, out)
    _claim(recipe, out, overwrite)
    run = RecipeRun(out)
    utterances = recipe.utterances or out / "utterances.jsonl"
    steps = recipe.stages
    for number, stage in enumerate(steps, 1):
        echo(f"[{number}/{len(steps)}] {stage}")
        run.ran.append(stage)
        if stage == "mine":
            _mine(options["mine"], runner, echo, progress)
        elif stage == "generate":
            _generate(options["generate"], utterances, out / "dataset", runner, echo, progress)
        elif stage == "finetune":
            run.tuned = _finetune(options["finetune"], out / "finetune", echo, progress)
        elif stage == "bench":
            _bench(options["bench"], run.tuned, out / "bench", echo)
        elif stage == "export":
            run.exported = _export(options["export"], out, echo)
    return run


def _mine(request: Any, runner: RunnerOptions, echo: Callable[[str], None], progress: bool) -> None:
    from devspeech.corpus.api import run_mine
    from devspeech.corpus.mine import format_summary

    if request.output.is_file():  # written whole or not at all
        echo(f"{request.output} is there; kept")
        return
    request = dataclasses.replace(request, runner=runner)
    echo(format_summary(run_mine(request, progress=progress), request.output))


def _generate(options: Any, utterances: Path, dataset: Path, runner: RunnerOptions,
              echo: Callable[[str], None], progress: bool) -> None:  # fmt: skip
    from devspeech.generator.api import RunOptions, format_summary, generate

    run = RunOptions(runner=runner, progress=progress)
    summary = generate(utterances, dataset, options, run)
    echo(format_summary(summary))


def _finetune(options: Any, run: Path, echo: Callable[[str], None], progress: bool) -> Path:
    from devspeech.finetune.methods import get_method
    from devspeech.finetune.options import TrainControl
    from devspeech.finetune.train import finetune
    from devspeech.run_record import RunRecord

    existing = RunRecord.read(run)
    if existing is not None and existing.complete:
        echo(f"{run} is finished; kept")
    else:
        finetune(options, run, TrainControl(resume=existing is not None, progress=progress))
        echo((run / "report.md").read_text(encoding="utf-8").rstrip())
    return run / get_method(options.method).result_dir


def _bench(options: Any, tuned: Path | None, folder: Path, echo: Callable[[str], None]) -> None:
    from devspeech.benchmark.results import format_results
    from devspeech.benchmark.run import run_bench

    if tuned is not None and str(tuned) not in options.models:
        options = dataclasses.replace(options, models=(*options.models, str(tuned)))
    echo(format_results(run_bench(options, folder).results))


def _export(options: Any, out: Path, echo: Callable[[str], None]) -> Path:
    from devspeech.finetune.export import export, folder_size

    target = out / f"model-{options.format}"
    folder = export(out / "finetune", target, options)
    echo(f"wrote {folder} ({folder_size(folder) / 1e6:.1f} MB)")
    return folder


@click.command("run")
@click.argument("recipe", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o", "--output", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Folder for every output (default: the recipe's name in the current folder).",
)  # fmt: skip
@click.option(
    "--workers", type=int, default=None, help="Units at once: processes, or Ray tasks "
    "(default: every core).",
)  # fmt: skip
@executor_options
@click.option("--overwrite", is_flag=True, help="Replace the outputs of another recipe.")
def run_command(recipe: Path, output: Path | None, workers: int | None, executor: str,
                ray_address: str | None, overwrite: bool) -> None:  # fmt: skip
    """Run RECIPE (a TOML file: mine, generate, finetune, bench, export) into one folder."""
    # the runner is checked before anything is written
    runner = runner_of(executor, workers, ray_address)
    parsed = load_recipe(recipe)
    out = output or Path(recipe.stem)
    result = run_recipe(parsed, out, runner, overwrite, progress=sys.stderr.isatty())
    click.echo(f"ran {', '.join(result.ran)} into {out} (recipe recorded in {out / RECIPE_FILE})")
