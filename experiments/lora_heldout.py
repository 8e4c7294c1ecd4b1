"""The headline experiment: does fine-tuning on generated speech help on voices it never heard?

    python experiments/lora_heldout.py [--out experiments/out] [--utterances 2400]
        [--engine-weights espeak=4] [--method decoder] [--steps 800] [--lr 2e-4]

1. Mine developer utterances (standard library, a few installed packages, `--help` of
   git and pip) and, apart, ordinary English (the prose mining drops for having no
   technical term: `corpus mine --general`).
2. Speak both with espeak-ng, Kokoro and Piper (`--engines`), default augmentation. Piper
   and two voices of each other engine are held out: train never hears them; they speak
   test_heldout. Kokoro (3x real time here) takes most of the time; `--engine-weights
   espeak=4` puts most train rows on espeak-ng (400x) instead, which shortens the run and
   costs accuracy on the unheard Kokoro and Piper voices (docs/experiments/heldout.md:
   runs F and G).
3. Fine-tune bundled:tiny.en on the developer train split with the general train split
   mixed into every batch.
4. Benchmark base and tuned (transformers, greedy, no prompt) on the developer
   test_heldout split and on the general test_heldout split, each with 95% bootstrap
   intervals and a paired bootstrap of tuned minus base; and timestamp well-formedness
   on long-form rows (only train has them: audio the model has heard, so this checks
   that timestamp decoding still works, not that it generalises).

Every stage is skipped when its output is complete, so a killed run goes on where it
stopped. Prints a table and writes it to OUT/report.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from devspeech.benchmark.predict import PREDICTIONS_FILE
from devspeech.benchmark.results import BEFORE_AFTER, before_after, read_results
from devspeech.benchmark.run import BenchOptions, run_bench
from devspeech.cli import comma_list
from devspeech.corpus.api import MineRequest, run_mine
from devspeech.finetune.options import FinetuneOptions, TrainControl
from devspeech.finetune.train import finetune
from devspeech.generator.api import GenerateOptions, RunOptions, generate
from devspeech.records import Result
from devspeech.run_record import RunRecord, finished
from devspeech.runner import RunnerOptions

PACKAGES = ("click", "rich", "requests", "numpy", "pyarrow", "jiwer")


class Stages:
    """Announces each stage as it starts and times it until the next one starts, so the
    report says where the run's minutes went."""

    def __init__(self) -> None:
        self.minutes: dict[str, float] = {}
        self._current: tuple[str, float] | None = None

    def __call__(self, name: str) -> None:
        self.close()
        print(f"== {name}", flush=True)
        self._current = (name.split(" (")[0], time.perf_counter())

    def close(self) -> None:
        if self._current:
            name, started = self._current
            self.minutes[name] = self.minutes.get(name, 0.0) + (time.perf_counter() - started) / 60
            self._current = None

    def summary(self) -> str:
        self.close()
        return ", ".join(f"{name} {minutes:.0f}" for name, minutes in self.minutes.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("experiments/out"))
    parser.add_argument("--utterances", type=int, default=2400)
    parser.add_argument("--general", type=int, default=700)
    parser.add_argument("--method", default="decoder")
    parser.add_argument("--lora-layers", default="all", help="lora: all, or decoder alone.")
    parser.add_argument("--steps", type=int, default=800)
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument(
        "--timestamp-fraction", type=float, default=0.5, help="Rows trained with timestamps."
    )
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--engines", default="espeak,kokoro,piper", help="TTS engines (Piper is held out)."
    )
    parser.add_argument(
        "--engine-weights", default="", help="Train-side share of rows per engine, espeak=4."
    )
    parser.add_argument("--long-form-rows", type=int, default=150, help="Timestamp check rows.")
    parser.add_argument("--name", default="", help="Run name (default: the method).")
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    started, stage = time.perf_counter(), Stages()

    dev_corpus, general_corpus = out / "developer.jsonl", out / "general.jsonl"
    if not dev_corpus.is_file():
        stage("mine developer utterances")
        run_mine(MineRequest(output=dev_corpus, stdlib=True, packages=PACKAGES,
                             help_of=("git", "pip"), limit=args.utterances,
                             mix="code=0.4,shell=0.2,prose=0.4", seed=args.seed))  # fmt: skip
    if not general_corpus.is_file():
        stage("mine ordinary English")
        run_mine(MineRequest(output=general_corpus, stdlib=True, limit=args.general,
                             general=True, seed=args.seed))  # fmt: skip

    engines = tuple(args.engines.split(","))
    weights = comma_list(args.engine_weights)
    speech = GenerateOptions(engines=engines, engine_weights=weights, seed=args.seed)
    for corpus, folder in ((dev_corpus, out / "developer"), (general_corpus, out / "general")):
        stage(f"speak {corpus.name}")
        generate(corpus, folder, speech, RunOptions(RunnerOptions(workers=2), progress=True))

    name = args.name or args.method
    run = out / f"run-{name}"
    options = FinetuneOptions(
        model="bundled:tiny.en", data=str(out / "developer"), method=args.method,
        lora_layers=args.lora_layers,
        learning_rate=args.lr, batch_size=args.batch_size, max_steps=args.steps,
        warmup_steps=max(1, args.steps // 12), eval_every=max(1, args.steps // 6),
        eval_rows=48, general_data=str(out / "general"), seed=args.seed,
        timestamp_fraction=args.timestamp_fraction,
    )  # fmt: skip
    record = RunRecord.read(run)
    if record is None or not record.complete:
        stage(f"fine-tune ({args.method}, {args.steps} steps)")
        control = TrainControl(resume=record is not None, progress=True,
                               encoder_cache=out / "encoder-cache-tiny.en")  # fmt: skip
        finetune(options, run, control)
    _, result = finished(run)

    tables = {}
    for split_name, data, split in (
        ("developer test_heldout", out / "developer", "test_heldout"),
        ("general test_heldout", out / "general", "test_heldout"),
        ("long-form train rows", out / "developer", "train"),
    ):
        stage(f"benchmark base and tuned on {split_name}")
        slug = split_name.replace(" ", "-")
        folder = out / f"bench-{name}-{slug}"
        bench = BenchOptions(models=("bundled:tiny.en", str(result)), data=str(data), split=split,
                             kinds=(), seed=args.seed)  # fmt: skip
        if split == "train":
            bench = replace(bench, limit=args.long_form_rows)
        # the base model's predictions are made once per split and shared by every run:
        # bench resumes, so the tuned model's run finds base's rows done
        base = out / f"bench-base-{slug}"
        run_bench(replace(bench, models=("bundled:tiny.en",)), base)
        if not (folder / PREDICTIONS_FILE).is_file():
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(base / PREDICTIONS_FILE, folder / PREDICTIONS_FILE)
        run_bench(bench, folder)
        tables[split_name] = read_results(folder / "results.json")

    predictions = out / f"bench-{name}-developer-test_heldout" / PREDICTIONS_FILE
    forms = keyword_forms(predictions, out / "developer", "test_heldout")
    forms += keyword_seen(predictions, out / "developer")
    data = (
        f"{args.utterances} developer and {args.general} general utterances spoken by "
        f"{', '.join(engines)} (train-side weights: {', '.join(weights) or 'even'})"
    )
    minutes = f"{(time.perf_counter() - started) / 60:.0f} min on this machine for the " \
              f"stages this invocation ran ({stage.summary() or 'none'})"  # fmt: skip
    report = render(tables, options, data, minutes) + by_engine(tables)
    report += forms
    (out / f"report-{name}.md").write_text(report, encoding="utf-8")
    print(report)


def _form(keyword: str, spoken: str) -> str:
    if "_" in keyword:
        return "snake_case, underscore said" if "underscore" in spoken else (
            "snake_case, underscore not said")  # fmt: skip
    if any(c in keyword for c in ".-/"):
        return "dotted, dashed or a path"
    if keyword[1:] != keyword[1:].lower():
        return "camelCase or capitals"
    return "plain word"


def keyword_table(predictions: Path, title: str, column: str,
                  group: Callable[[str, str], str]) -> str:  # fmt: skip
    """How often each group of keywords occurs in the raw prediction (a substring count,
    not the metric's token count), per model, on the rows benched without a prompt;
    `group(keyword, row id)` names a keyword's group."""
    counts: dict[tuple[str, str], list[int]] = {}
    models: list[str] = []
    for line in predictions.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["condition"] != "none":
            continue
        models += [row["model"]] if row["model"] not in models else []
        for keyword in row["labels"]["keywords"]:
            cell = counts.setdefault((group(keyword, row["id"]), row["model"]), [0, 0])
            cell[0] += keyword in row["prediction"]
            cell[1] += 1
    lines = ["", f"### {title}", "", f"| {column} | " + " | ".join(models) + " |",
             "|---" * (len(models) + 1) + "|"]  # fmt: skip
    for name in sorted({g for g, _ in counts}):
        cells = [counts.get((name, m), [0, 0]) for m in models]
        lines.append(f"| {name} | " + " | ".join(f"{a} of {b}" for a, b in cells) + " |")
    return "\n".join(lines) + "\n"


def keyword_forms(predictions: Path, dataset: Path, split: str) -> str:
    """Where keywords are missed, by the keyword's form."""
    from devspeech.dataset import read_rows

    spoken = {r["id"]: r["spoken"] for r in read_rows(dataset, split, columns=["id", "spoken"])}
    return keyword_table(predictions, f"keywords found in the prediction, by form ({split})",
                         "form", lambda keyword, row: _form(keyword, spoken[row]))  # fmt: skip


def keyword_seen(predictions: Path, dataset: Path) -> str:
    """Keywords apart by whether training saw them (a keyword of a train row) or not: what
    tuning taught against what it generalised."""
    from devspeech.dataset import read_rows

    seen = {k for r in read_rows(dataset, "train", columns=["keywords"]) for k in r["keywords"]}
    return keyword_table(
        predictions, "keywords found in the prediction, by whether a train row had them",
        "keyword", lambda keyword, _: "a train row's" if keyword in seen else "never a train row's",
    )  # fmt: skip


def by_engine(tables: dict[str, list[Result]]) -> str:
    """Base and tuned per engine of test_heldout's voices, from bench's own breakdowns: how
    well tiny.en hears each unheard voice at all (general English) against what tuning
    adds on developer speech."""

    def cell(result: Result, engine: str, metric: str) -> str:
        part = result.breakdowns.get("engine", {}).get(engine)
        value = part.metrics[metric].value if part else None
        return "—" if value is None else f"{value:.2f}"

    developer, general = tables["developer test_heldout"], tables["general test_heldout"]
    engines = sorted(developer[0].breakdowns.get("engine", {}))
    lines = ["", "### by engine of the unheard voices (base -> tuned)", "",
             "| engine | developer rows | keyword recall | code-aware WER | general rows "
             "| general-English WER |", "|---|---|---|---|---|---|"]  # fmt: skip
    for engine in engines:
        rows = [t[0].breakdowns["engine"].get(engine) for t in (developer, general)]
        lines.append(
            f"| {engine} | {rows[0].rows if rows[0] else 0} | "
            f"{cell(developer[0], engine, 'keyword_recall')} -> "
            f"{cell(developer[1], engine, 'keyword_recall')} | "
            f"{cell(developer[0], engine, 'code_wer')} -> "
            f"{cell(developer[1], engine, 'code_wer')} | "
            f"{rows[1].rows if rows[1] else 0} | "
            f"{cell(general[0], engine, 'wer')} -> {cell(general[1], engine, 'wer')} |"
        )
    return "\n".join(lines) + "\n"


def render(
    tables: dict[str, list[Result]], options: FinetuneOptions, data: str, minutes: str
) -> str:
    lines = [
        data + ";",
        f"bundled:tiny.en, {options.method} ({options.lora_layers} layers), "
        f"{options.max_steps} steps of {options.batch_size}, "
        f"lr {options.learning_rate}, general fraction {options.general_fraction}, "
        f"timestamp fraction {options.timestamp_fraction}, seed {options.seed}; {minutes}",
        "",
    ]
    for name, (base, tuned) in tables.items():
        lines += [f"### {name} ({base.rows} rows)", ""]
        metrics = BEFORE_AFTER if "long-form" not in name else (
            ("timestamp_well_formed", "timestamps well-formed (long-form rows)"),
            ("timestamp_mae_s", "timestamp boundary MAE (s)"),
        )  # fmt: skip
        lines += [before_after(base, tuned, metrics), ""]
    lines.append("Intervals: 95% bootstrap over rows (1,000 resamples). " + json.dumps(
        {name: base.data for name, (base, _) in tables.items()}))  # fmt: skip
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
