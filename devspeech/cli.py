"""The `devspeech` command: a thin click layer over the library.

Stage groups are imported only when invoked, so `devspeech --help` never pays for
heavy imports.
"""

from __future__ import annotations

import errno
import importlib
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click

from devspeech import __version__
from devspeech.errors import DevspeechError, StorageError
from devspeech.runner import RunnerOptions, cpu_count

# command name -> (module, attribute, one-line help shown by `devspeech --help`)
_LAZY_COMMANDS: dict[str, tuple[str, str, str]] = {
    "corpus": ("devspeech.corpus.cli", "corpus", "Mine code and developer prose into utterances."),
    "bench": (
        "devspeech.benchmark.cli",
        "bench",
        "Benchmark Whisper models on developer speech.",
    ),
    "transcribe": (
        "devspeech.benchmark.cli",
        "transcribe",
        "Transcribe audio files, favouring a vocabulary's names.",
    ),
    "leaderboard": (
        "devspeech.benchmark.cli",
        "leaderboard",
        "Rank results files into tables and plots.",
    ),
    "models": (
        "devspeech.benchmark.cli",
        "models",
        "List and prepare the models bench accepts.",
    ),
    "generate": (
        "devspeech.generator.cli",
        "generate",
        "Speak utterances into a Hugging Face speech dataset.",
    ),
    "publish": (
        "devspeech.generator.cli",
        "publish",
        "Push a generated dataset to the Hugging Face Hub.",
    ),
    "finetune": (
        "devspeech.finetune.cli",
        "finetune",
        "Fine-tune Whisper on a generated dataset (LoRA by default).",
    ),
    "export": (
        "devspeech.finetune.cli",
        "export",
        "Export a fine-tune run: merged, CTranslate2 or ONNX.",
    ),
    "adapt": (
        "devspeech.workflows.adapt",
        "adapt_command",
        "Fine-tune Whisper on your own code: mine, speak, train, benchmark, export.",
    ),
    "merge": (
        "devspeech.workflows.merge",
        "merge_command",
        "Merge the parts that sharded generate or bench jobs wrote.",
    ),
    "run": (
        "devspeech.workflows.recipe",
        "run_command",
        "Run a recipe file: a whole dataset or experiment into one folder.",
    ),
    "quickstart": (
        "devspeech.quickstart",
        "quickstart_command",
        "Run every stage at small scale, offline.",
    ),
}


# a file system that refuses a write: full, over quota, read-only, not ours
STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM})


def comma_list(value: str | None) -> tuple[str, ...]:
    """The non-empty, stripped items of a comma-separated option value."""
    return tuple(item.strip() for item in (value or "").split(",") if item.strip())


def executor_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--executor and --ray-address: where a stage's units of work run."""
    command = click.option(
        "--ray-address",
        default=None,
        metavar="ADDRESS",
        help="With --executor ray: the cluster to join ('auto', 'ray://head:10001'); "
        "default: start Ray on this machine.",
    )(command)
    return click.option(
        "--executor",
        type=click.Choice(["local", "ray"]),
        default="local",
        show_default=True,
        help="Where the work runs: local processes, or Ray Data (pip install 'devspeech[ray]').",
    )(command)


def runner_of(executor: str, workers: int | None, ray_address: str | None) -> RunnerOptions:
    """The RunnerOptions of --executor, --workers (default: one per CPU) and --ray-address."""
    return RunnerOptions(executor, workers or cpu_count(), ray_address)


@dataclass(frozen=True)
class Settings:
    """Options owned by the root group, visible to every subcommand as `ctx.obj`."""

    seed: int
    verbosity: int


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in _LAZY_COMMANDS:
            module_name, attribute, _ = _LAZY_COMMANDS[cmd_name]
            return getattr(importlib.import_module(module_name), attribute)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, _LAZY_COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except DevspeechError as error:
            raise click.ClickException(str(error)) from None
        except OSError as error:
            if error.errno not in STORAGE_ERRNOS:
                raise
            storage = StorageError.of(error.filename or "a file", error)
            raise click.ClickException(str(storage)) from None
        except KeyboardInterrupt:
            click.echo(
                "\ninterrupted: what was finished is kept; rerun the same command to go on",
                err=True,
            )
            ctx.exit(130)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="devspeech")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of every random choice.")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", count=True, help="Less output: warnings and errors only.")
@click.pass_context
def cli(ctx: click.Context, seed: int, verbose: int, quiet: int) -> None:
    """Speech data and honest benchmarks for people who talk to their computers about code."""
    verbosity = verbose - quiet
    level = {-1: logging.WARNING, 0: logging.INFO, 1: logging.DEBUG}[max(-1, min(1, verbosity))]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", force=True)
    ctx.obj = Settings(seed=seed, verbosity=verbosity)


def main() -> None:
    """Entry point of the console script."""
    cli(prog_name="devspeech")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
