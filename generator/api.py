"""The generation job as a library call: what `devspeech generate` runs.

Shards are independent units of work: each is rendered row by row (in a pool of
worker processes when asked), written under a temporary name and renamed when
complete. A rerun skips complete shards, so a killed run resumes with nothing lost
and nothing repeated, and the bytes never depend on the number of workers.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import shutil
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

from devspeech.dataset import (
    DATA_DIR,
    FAILURES_DIR,
    RECIPE_FILE,
    STATE_DIR,
    shard_files,
    write_shard,
)
from devspeech.errors import InputError
from devspeech.files import changed_options, claim_folder, write_json_atomic, write_text_atomic
from devspeech.generator.augment import AUGMENT_LEVELS
from devspeech.generator.card import collect_stats, write_card
from devspeech.generator.plan import ShardPlan, SplitFractions, plan_shards
from devspeech.generator.render import Renderer, RenderSetup
from devspeech.generator.rooms import room_bank
from devspeech.generator.voices import get_engine, select_voices, split_pools
from devspeech.jsonl import read_jsonl
from devspeech.records import DatasetRow, Utterance
from devspeech.runner import Report, RunnerOptions, run_units

log = logging.getLogger(__name__)

BABBLE_LINES = 12
PLAN_FILE = "plan.json"  # under STATE_DIR: the name of every shard of the whole plan


@dataclass(frozen=True)
class GenerateOptions:
    """Everything that decides the bytes of a dataset (the recipe)."""

    engines: tuple[str, ...] = ("espeak", "kokoro", "piper")
    voices: tuple[str, ...] = ()
    # "engine=weight": each engine's share of the rows train-side voices speak (an engine
    # not named weighs 1); puts the rows where speech is cheap. test_heldout stays even.
    engine_weights: tuple[str, ...] = ()
    limit: int | None = None
    hours: float | None = None
    augment: str = "default"
    clean_fraction: float = 0.1
    longform_fraction: float = 0.2
    heldout_engine: str | None = "auto"
    heldout_voices: tuple[str, ...] = ()
    heldout_count: int = 2
    noise_dir: Path | None = None
    rooms: int = 48
    rows_per_shard: int = 500
    seed: int = 0
    splits: SplitFractions = field(default_factory=SplitFractions)

    def __post_init__(self) -> None:
        if self.augment not in AUGMENT_LEVELS:
            raise InputError(
                f"--augment {self.augment!r}; choose one of {', '.join(AUGMENT_LEVELS)}"
            )
        for name in ("clean_fraction", "longform_fraction"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise InputError(f"--{name.replace('_', '-')} must be between 0 and 1")
        if self.limit is not None and self.limit < 1:
            raise InputError("--limit must be at least 1")
        if self.hours is not None and self.hours <= 0:
            raise InputError("--hours must be positive")
        if self.rows_per_shard < 1:
            raise InputError("--rows-per-shard must be at least 1")
        self.weights()  # checks --engine-weights

    def weights(self) -> tuple[tuple[str, float], ...]:
        """`engine_weights` parsed: (engine, weight) for every engine in use, or () when
        every engine weighs the same (the uniform draw, whose bytes older datasets have)."""
        named: dict[str, float] = {}
        for item in self.engine_weights:
            name, _, value = item.partition("=")
            try:
                weight = float(value)
            except ValueError:
                weight = math.nan
            if name not in self.engines or not (math.isfinite(weight) and weight > 0):
                raise InputError(
                    f"--engine-weights {item!r}: expected ENGINE=WEIGHT with ENGINE one of "
                    f"{', '.join(self.engines)} and WEIGHT a positive number"
                )
            named[name] = weight
        weights = tuple((name, named.get(name, 1.0)) for name in sorted(self.engines))
        return () if len({w for _, w in weights}) <= 1 else weights

    def resolved_heldout_engine(self) -> str | None:
        if self.heldout_engine != "auto":
            return self.heldout_engine or None
        return "piper" if "piper" in self.engines and len(self.engines) > 1 else None


@dataclass(frozen=True)
class RunOptions:
    """How this run does the work; never changes the bytes."""

    runner: RunnerOptions = field(default_factory=RunnerOptions)  # processes or Ray tasks
    num_shards: int = 1
    shard_index: int = 0
    overwrite: bool = False
    progress: bool = False
    # called with each shard's file name once it is in place (a hook for tests and tools)
    after_shard: Callable[[str], None] | None = None

    def __post_init__(self) -> None:
        if self.num_shards < 1 or not 0 <= self.shard_index < self.num_shards:
            raise InputError("--shard-index must be in [0, --num-shards)")


@dataclass
class GenerateSummary:
    output: Path
    shards_written: int = 0
    shards_skipped: int = 0
    shards_left: int = 0
    rows: Counter[str] = field(default_factory=Counter)
    seconds: Counter[str] = field(default_factory=Counter)
    voices: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    elapsed_s: float = 0.0


def corpus_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def recipe_of(options: GenerateOptions, utterances_path: Path) -> dict[str, object]:
    recipe = asdict(options)
    recipe["noise_dir"] = str(options.noise_dir) if options.noise_dir else None
    recipe["heldout_engine"] = options.resolved_heldout_engine()
    recipe["corpus_sha256"] = corpus_hash(utterances_path)
    recipe["corpus_file"] = utterances_path.name
    return json.loads(json.dumps(recipe))  # the form it takes on disk: lists, not tuples


def recipe_changes(existing: dict[str, object], recipe: dict[str, object]) -> list[str]:
    """The keys on which two recipes differ. An option added since `existing` was written
    compares as its default, which is what the older version did."""
    return changed_options(existing, recipe, json.loads(json.dumps(asdict(GenerateOptions()))))


def claim_output(output: Path, recipe: dict[str, object], overwrite: bool) -> None:
    """Refuse a folder holding another recipe unless `overwrite`; record ours. A recipe
    equal to the recorded one is left as written (by an older version, say, without an
    option added since), so the dataset's fingerprint, and the predictions made on it,
    stay valid."""
    path = output / RECIPE_FILE
    if path.is_file():
        changed = recipe_changes(json.loads(path.read_text(encoding="utf-8")), recipe)
        if not changed:
            return
        if not overwrite:
            raise InputError(
                f"{output} holds a dataset of another recipe "
                f"(differs in {', '.join(changed)}); pass --overwrite to replace it"
            )
        shutil.rmtree(output / DATA_DIR, ignore_errors=True)
        shutil.rmtree(output / STATE_DIR, ignore_errors=True)
    else:
        claim_folder(output, RECIPE_FILE, "devspeech dataset", overwrite)
    write_json_atomic(path, recipe, indent=2)


def write_plan(output: Path, names: Sequence[str]) -> None:
    """Name every shard of the whole plan, so a merge of job-array parts knows when the
    dataset is complete without the utterances file."""
    write_json_atomic(output / STATE_DIR / PLAN_FILE, list(names), indent=2)


def read_plan(output: Path) -> list[str] | None:
    path = output / STATE_DIR / PLAN_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def load_utterances(path: Path) -> list[Utterance]:
    utterances = list(read_jsonl(path, Utterance.from_dict))
    if not utterances:
        raise InputError(f"{path} holds no utterances")
    return utterances


def prepare(
    options: GenerateOptions, utterances: list[Utterance], cache_dir: Path
) -> tuple[RenderSetup, list[ShardPlan]]:
    """Resolve voices, plan every shard, and describe the renderer workers will build."""
    available = [v for name in options.engines for v in get_engine(name).voices()]
    voices = select_voices(available, options.voices)
    heldout_engine = options.resolved_heldout_engine()
    pools = split_pools(voices, heldout_engine, options.heldout_voices, options.heldout_count)
    shards = plan_shards(
        utterances,
        options.seed,
        limit=options.limit,
        hours=options.hours,
        longform_fraction=options.longform_fraction,
        heldout=bool(pools.heldout),
        rows_per_shard=options.rows_per_shard,
        fractions=options.splits,
    )
    babble = tuple(
        u.spoken for u in sorted(utterances, key=lambda u: u.id)[:BABBLE_LINES] if u.kind == "prose"
    ) or tuple(u.spoken for u in utterances[:BABBLE_LINES])
    setup = RenderSetup(
        seed=options.seed,
        augment=options.augment,
        clean_fraction=options.clean_fraction,
        pools=pools,
        rooms=options.rooms if options.augment != "none" else 0,
        engine_weights=options.weights(),
        cache_dir=cache_dir,
        noise_dir=options.noise_dir,
        babble_lines=babble,
    )
    return setup, shards


def _render_shard(
    setup: RenderSetup, shard: ShardPlan, report: Report
) -> tuple[list[DatasetRow], Counter[str]]:
    """Every row of one shard, in order, from a fresh renderer (engines reset to the state
    a new process has), so the bytes never depend on which worker renders the shard or
    what it rendered before. Reports the audio seconds of each row as it is done."""
    renderer = Renderer(setup)
    rows: list[DatasetRow] = []
    failures: Counter[str] = Counter()
    for plan in shard.rows:
        result = renderer.render(plan)
        if result.row is None:
            failures[result.failure] += 1
        else:
            rows.append(result.row)
        report(result.row.duration_s if result.row else 0.0)
    return rows, failures


def generate(
    utterances_path: Path, output: Path, options: GenerateOptions, run: RunOptions = RunOptions()
) -> GenerateSummary:
    """Build (or finish) the dataset for `options` in `output`; returns what was done."""
    started = time.perf_counter()
    utterances = load_utterances(utterances_path)
    if options.noise_dir is not None:
        from devspeech.generator.noise import load_noise_dir

        load_noise_dir(options.noise_dir)  # fail before any work on a bad noise file
    recipe = recipe_of(options, utterances_path)
    state = output / STATE_DIR
    # engines, voices and the plan are checked before the folder is claimed, so a bad option
    # leaves no recipe behind to refuse the corrected rerun
    # absolute, so a worker on any node (sharing the storage) finds the cache
    setup, shards = prepare(options, utterances, state.absolute())
    claim_output(output, recipe, run.overwrite)
    write_plan(output, [s.name for s in shards])
    if setup.rooms:
        room_bank(setup.seed, setup.rooms, setup.cache_dir, workers=run.runner.workers)
    mine = [s for i, s in enumerate(shards) if i % run.num_shards == run.shard_index]
    summary = GenerateSummary(output=output)
    todo = [s for s in mine if not (output / DATA_DIR / s.name).is_file()]
    summary.shards_skipped = len(mine) - len(todo)
    bar = _progress_bar(sum(len(s.rows) for s in todo), run.progress, started)
    task = partial(_render_shard, setup)
    for shard, (rows, failures) in run_units(
        task, todo, run.runner, ordered=False, on_progress=bar.row_done if bar else None
    ):
        _write_failures(state, shard.name, failures)
        write_shard(output / DATA_DIR / shard.name, rows)
        summary.shards_written += 1
        if run.after_shard is not None:
            run.after_shard(shard.name)
    if bar is not None:
        bar.close()
    summary.shards_left = sum(1 for s in shards if not (output / DATA_DIR / s.name).is_file())
    stats = collect_stats(output)  # one read of the shards serves the summary and the card
    _fill_totals(summary, output, stats)
    if summary.shards_left == 0:
        write_card(output, recipe, stats)
    summary.elapsed_s = time.perf_counter() - started
    return summary


class _Progress:
    """A tqdm bar of clips with hours of audio and times real time."""

    def __init__(self, total: int, started: float) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=total, unit="clip", desc="generate", dynamic_ncols=True)
        self.started = started
        self.audio_s = 0.0

    def row_done(self, seconds: float) -> None:
        self.audio_s += seconds
        rate = self.audio_s / max(time.perf_counter() - self.started, 1e-9)
        self.bar.set_postfix_str(f"{self.audio_s / 3600:.2f} h audio, {rate:.0f}x real time")
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def _progress_bar(total: int, enabled: bool, started: float) -> _Progress | None:
    return _Progress(total, started) if enabled and total else None


def _write_failures(state: Path, shard: str, failures: Counter[str]) -> None:
    write_text_atomic(state / FAILURES_DIR / f"{shard}.json",
                      json.dumps(dict(sorted(failures.items()))))  # fmt: skip


def _fill_totals(summary: GenerateSummary, output: Path, stats: dict) -> None:
    """Rows, hours and voices of every complete shard, and failures recorded beside them."""
    for split, entry in stats["splits"].items():
        summary.rows[split] += entry["rows"]
        summary.seconds[split] += entry["seconds"]
    summary.voices = len(stats["voices"])
    for path in shard_files(output):
        failure_file = output / STATE_DIR / FAILURES_DIR / f"{path.name}.json"
        if failure_file.is_file():
            summary.failures.update(json.loads(failure_file.read_text(encoding="utf-8")))


def format_summary(summary: GenerateSummary) -> str:
    lines = [
        f"wrote {summary.output} ({summary.shards_written} shard(s) written, "
        f"{summary.shards_skipped} already complete, {summary.elapsed_s:.1f} s)"
    ]
    for split in ("train", "validation", "test", "test_heldout"):
        if summary.rows[split]:
            lines.append(
                f"  {split:<13} {summary.rows[split]:>7} rows "
                f"{summary.seconds[split] / 3600:8.3f} h"
            )
    lines.append(f"  voices        {summary.voices:>7}")
    failed = sum(summary.failures.values())
    lines.append(f"  failures      {failed:>7}")
    for cause, count in summary.failures.most_common(5):
        lines.append(f"    {count:>5}  {cause}")
    if summary.shards_left:
        lines.append(
            f"  {summary.shards_left} shard(s) still to build by other --shard-index jobs; "
            "the card is written when all are done"
        )
    return "\n".join(lines)
