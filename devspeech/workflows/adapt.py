"""`devspeech adapt`: a Whisper that knows one user's code, in one command.

Mine the user's repositories (and packages, and tools' --help), speak the utterances,
fine-tune on the train split with the built-in general-English set mixed in, benchmark
base and tuned on `test_heldout` (an engine and voices training never heard), export
the tuned model for a runtime, and print the before/after table and where the model is.

Every stage writes into one folder and is skipped (or resumed) when its output is
already there, so a killed `adapt` goes on where it stopped when run again.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from devspeech.cli import comma_list
from devspeech.errors import InputError
from devspeech.finetune.methods import AUTO, METHOD_HELP, choose_method, get_method

if TYPE_CHECKING:
    from devspeech.records import Result

EXPORTS = ("ct2", "onnx", "merge", "none")
VOCABULARY_FILE = "vocab.txt"  # the repository's names, beside the model adapt exports


@dataclass(frozen=True)
class AdaptOptions:
    output: Path
    sources: tuple[Path, ...] = ()
    packages: tuple[str, ...] = ()
    help_of: tuple[str, ...] = ()
    utterances: int = 1200
    engines: tuple[str, ...] = ("espeak", "kokoro", "piper")
    model: str = "bundled:tiny.en"
    method: str = AUTO  # the method the methods experiment found best for the device
    lora_layers: str = "decoder"  # adapters: the encoder frozen and cached (fast on a CPU)
    steps: int = 300
    learning_rate: float | None = None  # None: the method's own default
    batch_size: int = 8
    # rows trained with a list of names in their prompt (their own among distractors), so
    # the model learns to copy the repository's names from the vocabulary it is given
    vocabulary_prompt_fraction: float = 0.3
    general_data: str | None = "builtin:general-en"
    export: str = "ct2"
    device: str = "cpu"
    seed: int = 0

    def __post_init__(self) -> None:
        if not (self.sources or self.packages or self.help_of):
            raise InputError("give at least one SOURCE folder, --package or --help-of")
        if self.export not in EXPORTS:
            raise InputError(f"--export {self.export!r}; one of {', '.join(EXPORTS)}")
        if self.utterances < 20:
            raise InputError("--utterances must be at least 20")


@dataclass(frozen=True)
class AdaptResult:
    dataset: Path
    run: Path
    tuned: Path  # the adapter or model the run wrote
    exported: Path | None
    bench: Path
    table: str


def adapt(options: AdaptOptions, echo: Callable[[str], None] = click.echo) -> AdaptResult:
    out = options.output
    out.mkdir(parents=True, exist_ok=True)
    utterances = _mine(options, out, echo)
    dataset = _speak(options, utterances, out, echo)
    run, tuned = _train(options, dataset, out, echo)
    bench, table = _bench(options, dataset, run, tuned, out, echo)
    exported = _export(options, run, out, echo)
    (out / "report.md").write_text(table + "\n", encoding="utf-8")
    return AdaptResult(dataset, run, tuned, exported, bench, table)


def _mine(options: AdaptOptions, out: Path, echo: Callable[[str], None]) -> Path:
    from devspeech.corpus.api import MineRequest, run_mine

    path, vocabulary = out / "utterances.jsonl", out / VOCABULARY_FILE
    if path.is_file():
        echo(f"[1/5] corpus: {path} is there; kept")
    else:
        echo(f"[1/5] corpus: mining {', '.join(_named(options))}")
        run_mine(MineRequest(output=path, directories=options.sources, packages=options.packages,
                             help_of=options.help_of, limit=options.utterances,
                             seed=options.seed, vocab_out=vocabulary), progress=True)  # fmt: skip
    if not vocabulary.is_file():  # mined by an older version, or killed between the two
        from devspeech.corpus.vocab import build_vocabulary
        from devspeech.jsonl import read_jsonl
        from devspeech.records import Utterance
        from devspeech.vocabulary import write_vocabulary

        terms = build_vocabulary(read_jsonl(path, Utterance.from_dict), options.seed)
        write_vocabulary(vocabulary, terms)
    return path


def _named(options: AdaptOptions) -> list[str]:
    return [
        *map(str, options.sources),
        *options.packages,
        *(f"{t} --help" for t in options.help_of),
    ]


def _speak(options: AdaptOptions, utterances: Path, out: Path, echo: Callable[[str], None]) -> Path:
    from devspeech.generator.api import GenerateOptions, RunOptions, format_summary, generate
    from devspeech.runner import RunnerOptions, cpu_count

    dataset = out / "dataset"
    echo(f"[2/5] generator: speaking with {' and '.join(options.engines)} (resumes if killed)")
    speech = GenerateOptions(engines=options.engines, seed=options.seed)
    run = RunOptions(RunnerOptions(workers=min(2, cpu_count())), progress=True)
    summary = generate(utterances, dataset, speech, run)
    echo(format_summary(summary))
    return dataset


def _train(
    options: AdaptOptions, dataset: Path, out: Path, echo: Callable[[str], None]
) -> tuple[Path, Path]:
    from devspeech.finetune.options import FinetuneOptions, TrainControl
    from devspeech.finetune.train import finetune
    from devspeech.run_record import RunRecord

    run = out / "finetune"
    method, why = options.method, "as asked"
    if method == AUTO:
        method, why = choose_method(options.device)
    rate = options.learning_rate
    if rate is None:
        rate = get_method(method).learning_rate
    recipe = FinetuneOptions(
        model=options.model, data=str(dataset), method=method,
        lora_layers=options.lora_layers, learning_rate=rate,
        batch_size=options.batch_size, max_steps=options.steps,
        warmup_steps=max(1, options.steps // 10), eval_every=max(1, options.steps // 4),
        eval_rows=32, general_data=options.general_data, seed=options.seed,
        vocabulary_prompt_fraction=options.vocabulary_prompt_fraction,
    )  # fmt: skip
    existing = RunRecord.read(run)
    done = existing is not None and existing.complete
    if existing is not None and done and not recipe.changes(existing.options):
        echo(f"[3/5] finetune: {run} is finished; kept")
    else:
        echo(f"[3/5] finetune: {options.model}, {method} at lr {rate:g}, {options.steps} "
             f"steps ({why})")  # fmt: skip
        control = TrainControl(device=options.device, resume=existing is not None,
                               progress=True, overwrite=done)  # fmt: skip
        finetune(recipe, run, control)
        echo((run / "report.md").read_text(encoding="utf-8").rstrip())
        existing = RunRecord.read(run)
    assert existing is not None
    return run, existing.result_path(run)


def _bench(
    options: AdaptOptions,
    dataset: Path,
    run: Path,
    tuned: Path,
    out: Path,
    echo: Callable[[str], None],
) -> tuple[Path, str]:
    from devspeech.benchmark.missed import most_missed
    from devspeech.benchmark.predict import PREDICTIONS_FILE, read_predictions
    from devspeech.benchmark.results import before_after
    from devspeech.benchmark.run import BenchOptions, run_bench
    from devspeech.dataset import shard_files

    split = "test_heldout" if shard_files(dataset, "test_heldout") else "test"
    unheard = " (an engine and voices training never heard)" if split == "test_heldout" else ""
    echo(f"[4/5] benchmark: {options.model} and the tuned model on {split}{unheard}")
    bench = out / "bench"
    vocabulary = out / VOCABULARY_FILE
    common = dict(models=(options.model, str(tuned)), data=str(dataset), split=split,
                  device=options.device, seed=options.seed, train_data=str(dataset))  # fmt: skip
    plain = run_bench(BenchOptions(**common), bench)
    # its own folder, so the paired column compares tuned and base both given the names
    listed = run_bench(BenchOptions(**common, conditions=("vocabulary",), vocabulary=vocabulary),
                       bench / "with-vocabulary")  # fmt: skip
    base = plain.results[0]
    table = (f"## {options.model} before and after, on {split}{unheard}\n\n"
             + headline(base, plain.results[1], run)
             + f"\n\n## {options.model}: base against tuned on {split} ({base.rows} rows)\n\n"
             + before_after(base, plain.results[1])
             + f"\n\n## The same, both given the repository's {_count(vocabulary)} names "
             f"({VOCABULARY_FILE}: two passes, the names that sound like the first pass "
             "in the second's prompt)\n\n"
             + before_after(listed.results[0], listed.results[1])
             + "\n\n## The names most often missed (without the vocabulary)\n\n"
             + most_missed(list(read_predictions(bench / PREDICTIONS_FILE)), options.model,
                           str(tuned)))  # fmt: skip
    echo(table)
    return bench, table


def headline(base: Result, tuned: Result, run: Path) -> str:
    """What a user of the adapted model asks first, base against tuned: the repository's
    names and code on its held-out voices (from the bench, with intervals), then what
    tuning may have broken, from the run's own checks: general English and long-form
    timestamps."""
    from devspeech.benchmark.results import format_estimate
    from devspeech.run_record import RunRecord

    record = RunRecord.read(run)
    checks = record.checks if record is not None else {}
    lines = ["| | base | tuned |", "|---|---|---|"]
    for metric, label in (("keyword_recall", "keyword recall"), ("code_wer", "code-aware WER")):
        if metric in base.metrics and metric in tuned.metrics:
            lines.append(f"| {label} | {format_estimate(base.metrics[metric])} | "
                         f"{format_estimate(tuned.metrics[metric])} |")  # fmt: skip
    checked = (("general", "wer", "general-English WER (the run's check)"),
               ("long_form", "timestamp_well_formed",
                "long-form timestamps well formed (the run's check)"))  # fmt: skip
    for part, metric, label in checked:
        before = checks.get("base", {}).get(part, {}).get(metric)
        after = checks.get("tuned", {}).get(part, {}).get(metric)
        if before is not None and after is not None:
            lines.append(f"| {label} | {before:.3f} | {after:.3f} |")
    return "\n".join(lines)


def _count(vocabulary: Path) -> int:
    from devspeech.vocabulary import read_vocabulary

    return len(read_vocabulary(vocabulary))


def _export(
    options: AdaptOptions, run: Path, out: Path, echo: Callable[[str], None]
) -> Path | None:
    from devspeech.finetune.export import ExportOptions, export, folder_size

    if options.export == "none":
        return None
    fmt = "transformers" if options.export == "merge" else options.export
    target = out / f"model-{options.export}"
    echo(f"[5/5] export: {fmt} into {target}")
    folder = export(run, target, ExportOptions(fmt, overwrite=True))
    shutil.copyfile(out / VOCABULARY_FILE, folder / VOCABULARY_FILE)
    echo(f"wrote {folder} ({folder_size(folder) / 1e6:.1f} MB); "
         f"devspeech transcribe AUDIO --model {folder} --vocabulary {folder / VOCABULARY_FILE} "
         "--two-pass")  # fmt: skip
    return folder


@click.command("adapt")
@click.argument("sources", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for every stage's output (a rerun resumes).")  # fmt: skip
@click.option("--package", "packages", multiple=True, metavar="NAME",
              help="An installed distribution to mine (repeatable).")  # fmt: skip
@click.option("--help-of", default=None, metavar="TOOL,...", help="Mine these tools' --help.")
@click.option("--utterances", type=int, default=1200, show_default=True)
@click.option("--model", default="bundled:tiny.en", show_default=True, metavar="SPEC")
@click.option("--method", default=AUTO, show_default=True, help=METHOD_HELP)
@click.option("--lora-layers", type=click.Choice(["all", "decoder"]), default="decoder",
              show_default=True, help="all: an adapter on the encoder too (slow).")  # fmt: skip
@click.option("--steps", type=int, default=300, show_default=True)
@click.option("--learning-rate", "--lr", type=float, default=None,
              help="Default: the method's own (see finetune --help).")  # fmt: skip
@click.option("--export", "export_as", type=click.Choice(EXPORTS), default="ct2",
              show_default=True,
              help="ct2 (faster-whisper, int8), onnx (int8), merge, none.")  # fmt: skip
@click.option("--vocabulary-prompt-fraction", type=float, default=0.3, show_default=True,
              help="Rows trained with the repository's names listed in their prompt.")  # fmt: skip
@click.option("--device", default="cpu", show_default=True)
@click.pass_obj
def adapt_command(settings, sources, output, packages, help_of, utterances, model, method,  # type: ignore[no-untyped-def]
                  lora_layers, steps, learning_rate, export_as, vocabulary_prompt_fraction,
                  device) -> None:  # fmt: skip
    """Fine-tune Whisper on your own code: mine SOURCES, speak, train, benchmark, export."""
    options = AdaptOptions(
        output=output, sources=tuple(sources), packages=tuple(packages),
        help_of=comma_list(help_of), utterances=utterances, model=model, method=method,
        lora_layers=lora_layers, steps=steps, learning_rate=learning_rate, export=export_as,
        vocabulary_prompt_fraction=vocabulary_prompt_fraction, device=device,
        seed=settings.seed if settings else 0,
    )  # fmt: skip
    result = adapt(options)
    where = result.exported or result.tuned
    click.echo(f"\nyour model: {where}\nbefore/after: {options.output / 'report.md'}")
