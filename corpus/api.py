"""The mining job as a library call: what `devspeech corpus mine` runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from devspeech.corpus.mine import MineOptions, MineSummary, mine
from devspeech.corpus.sample import parse_mix
from devspeech.corpus.sources import (
    scan_directory,
    scan_help,
    scan_man,
    scan_package,
    scan_stdlib,
)
from devspeech.corpus.sources.base import SourceScan
from devspeech.jsonl import write_jsonl
from devspeech.records import KINDS, Utterance
from devspeech.runner import RunnerOptions


@dataclass(frozen=True)
class MineRequest:
    """Which sources to mine and where to write; options map onto MineOptions."""

    output: Path
    directories: tuple[Path, ...] = ()
    packages: tuple[str, ...] = ()
    stdlib: bool = False
    stdlib_modules: tuple[str, ...] = ()
    help_of: tuple[str, ...] = ()
    man_of: tuple[str, ...] = ()
    limit: int | None = None
    mix: str | None = None
    kinds: tuple[str, ...] = KINDS
    max_words: int = 25
    max_seconds: float = 12.0
    runner: RunnerOptions | None = None  # None: local processes, one per CPU
    seed: int = 0
    general: bool = False
    vocab_out: Path | None = None  # also write the vocabulary of what was mined


def scan_sources(request: MineRequest) -> list[SourceScan]:
    """Scan every requested source; a missing path or package raises InputError first."""
    scans = [scan_directory(path) for path in request.directories]
    scans += [scan_package(name) for name in request.packages]
    if request.stdlib or request.stdlib_modules:
        scans.append(scan_stdlib(request.stdlib_modules))
    if request.help_of:
        scans.append(scan_help(request.help_of))
    if request.man_of:
        scans.append(scan_man(request.man_of))
    return scans


def run_mine(request: MineRequest, *, progress: bool = False) -> MineSummary:
    """Mine, sample and write `request.output`; returns the run's counts."""
    options = MineOptions(
        seed=request.seed,
        max_words=request.max_words,
        max_seconds=request.max_seconds,
        kinds=tuple(k for k in KINDS if k in request.kinds),  # type: ignore[misc]
        limit=request.limit,
        mix=parse_mix(request.mix) if request.mix else None,
        general=request.general,
        **({"runner": request.runner} if request.runner else {}),
    )
    pool: list[Utterance] = []
    utterances, summary = mine(scan_sources(request), options, progress=progress, pool_out=pool)
    write_jsonl(request.output, utterances)
    if request.vocab_out is not None:  # of every mined utterance, not only the written sample
        from devspeech.corpus.vocab import build_vocabulary
        from devspeech.vocabulary import write_vocabulary

        write_vocabulary(request.vocab_out, build_vocabulary(pool, request.seed))
    return summary
