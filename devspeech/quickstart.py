"""`devspeech quickstart`: every stage that exists, at small scale, offline."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click


@dataclass(frozen=True)
class QuickstartOptions:
    """Scale of the quickstart run."""

    output: Path = Path("devspeech-quickstart")
    utterances: int = 400
    seed: int = 0
    packages: tuple[str, ...] = ("click", "devspeech")
    stdlib_modules: tuple[str, ...] = ("json", "argparse", "pathlib", "subprocess", "shutil")
    help_of: tuple[str, ...] = ("git", "pip", "python3", "tar", "grep", "ls", "cp", "curl", "ssh")


def run_quickstart(options: QuickstartOptions, *, echo=click.echo) -> dict[str, Path]:  # type: ignore[no-untyped-def]
    """Run the pipeline's stages in order; returns what each wrote."""
    from devspeech.corpus.api import MineRequest, run_mine
    from devspeech.corpus.mine import format_summary
    from devspeech.corpus.stats import compute_stats, format_stats
    from devspeech.jsonl import read_jsonl
    from devspeech.records import Utterance

    options.output.mkdir(parents=True, exist_ok=True)
    utterances = options.output / "utterances.jsonl"
    echo(
        f"[1/1] corpus: mining {', '.join(options.packages)}, part of the standard library and "
        f"the --help of {', '.join(options.help_of)}"
    )
    summary = run_mine(
        MineRequest(
            output=utterances,
            packages=options.packages,
            stdlib_modules=options.stdlib_modules,
            help_of=options.help_of,
            limit=options.utterances,
            seed=options.seed,
        ),
        progress=True,
    )
    echo(format_summary(summary, utterances))
    echo("")
    echo(format_stats(compute_stats(read_jsonl(utterances, Utterance.from_dict))))
    return {"utterances": utterances}


@click.command("quickstart")
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("devspeech-quickstart"),
    show_default=True,
    help="Folder to write.",
)
@click.option(
    "--utterances",
    type=click.IntRange(min=10),
    default=400,
    show_default=True,
    help="How many utterances to mine.",
)
@click.pass_obj
def quickstart_command(settings, output: Path, utterances: int) -> None:  # type: ignore[no-untyped-def]
    """Run every stage at small scale, offline."""
    run_quickstart(QuickstartOptions(output=output, utterances=utterances, seed=settings.seed))
