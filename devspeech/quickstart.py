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
    speech_rows: int = 160
    engines: tuple[str, ...] = ("espeak", "kokoro", "piper")
    workers: int = 2
    bench_model: str = "bundled:tiny.en"
    bench_conditions: tuple[str, ...] = ("none", "glossary")
    bench_rows: int | None = None  # None: the whole test split
    # a short LoRA on the decoder's layers, on encoder outputs computed once per clip, with
    # the built-in general-English set mixed in (built into the cache on first use)
    finetune_method: str = "lora"
    finetune_lora_layers: str = "decoder"
    finetune_steps: int = 60
    finetune_learning_rate: float = 5e-4
    general_data: str | None = "builtin:general-en"


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
        f"[1/4] corpus: mining {', '.join(options.packages)}, part of the standard library and "
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
    echo("")
    dataset = _generate(options, utterances, echo)
    echo("")
    tuned = _finetune(options, dataset, echo)
    echo("")
    board = _benchmark(options, dataset, tuned, echo)
    return {"utterances": utterances, "dataset": dataset, "tuned": tuned, "leaderboard": board}


def _generate(options: QuickstartOptions, utterances: Path, echo) -> Path:  # type: ignore[no-untyped-def]
    from devspeech.generator.api import GenerateOptions, RunOptions, format_summary, generate
    from devspeech.generator.plan import SplitFractions
    from devspeech.runner import RunnerOptions

    dataset = options.output / "dataset"
    echo(
        f"[2/4] generator: speaking {options.speech_rows} utterances with "
        f"{' and '.join(options.engines)}, in simulated rooms with noise"
    )
    summary = generate(
        utterances,
        dataset,
        GenerateOptions(
            engines=options.engines,
            limit=options.speech_rows,
            rows_per_shard=40,
            rooms=16,
            seed=options.seed,
            # a test split big enough for intervals a few points wide, not tens
            splits=SplitFractions(validation=0.05, test=0.25, test_heldout=0.1),
        ),
        RunOptions(RunnerOptions(workers=options.workers), overwrite=True, progress=True),
    )
    echo(format_summary(summary))
    return dataset


def _finetune(options: QuickstartOptions, dataset: Path, echo) -> Path:  # type: ignore[no-untyped-def]
    from devspeech.finetune.options import FinetuneOptions, TrainControl
    from devspeech.finetune.train import finetune

    echo(
        f"[3/4] finetune: {options.bench_model}, {options.finetune_method} on the "
        f"{options.finetune_lora_layers} layers, {options.finetune_steps} steps on the train "
        f"split, with {options.general_data or 'no general data'} mixed in"
    )
    run = options.output / "finetune"
    summary = finetune(
        FinetuneOptions(
            model=options.bench_model,
            data=str(dataset),
            method=options.finetune_method,
            lora_layers=options.finetune_lora_layers,
            learning_rate=options.finetune_learning_rate,
            max_steps=options.finetune_steps,
            warmup_steps=max(1, options.finetune_steps // 10),
            eval_every=options.finetune_steps,
            eval_rows=16,
            general_data=options.general_data,
            seed=options.seed,
        ),
        run,
        TrainControl(overwrite=True, progress=True),
    )
    echo((run / "report.md").read_text(encoding="utf-8").rstrip())
    if summary.result is None:  # pragma: no cover - finetune always writes one
        raise RuntimeError("the fine-tune run wrote no model")
    echo(f"wrote {summary.result} in {summary.elapsed_s:.0f} s")
    return summary.result


def _benchmark(options: QuickstartOptions, dataset: Path, tuned: Path, echo) -> Path:  # type: ignore[no-untyped-def]
    from devspeech.benchmark.leaderboard import build_leaderboard, to_markdown
    from devspeech.benchmark.run import BenchOptions, run_bench

    echo(
        f"[4/4] benchmark: {options.bench_model} and the fine-tuned model on the test split, "
        f"prompt conditions {' and '.join(options.bench_conditions)}"
    )
    bench = options.output / "bench"
    run = run_bench(
        BenchOptions(
            models=(options.bench_model, str(tuned)),
            data=str(dataset),
            split="test",
            conditions=options.bench_conditions,
            limit=options.bench_rows,
            seed=options.seed,
        ),
        bench,
    )
    board = options.output / "leaderboard"
    rows, _ = build_leaderboard([bench / "results.json"], board)
    echo(f"{run.rows} test rows, {run.predicted} transcriptions")
    echo(to_markdown(rows))
    echo(f"wrote {bench} and {board} (leaderboard.md, .csv, .html and plots)")
    return board


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
