"""Generation speed against the bare engines, on utterances mined from the standard library.

    python perf/generate_throughput.py [--espeak N] [--piper N] [--workers W]

Prints, per engine: raw synthesis speed (x real time, one process, nothing else),
the whole pipeline's speed (default augmentation, FLAC and parquet writing, W
workers), their ratio, and the peak memory of the main process and of the
largest worker. Targets: espeak pipeline >= 200x real time on 2 cores and >= half
the raw speed times the workers; Piper pipeline >= 0.8 of raw Piper; memory
flat as N grows.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import tempfile
import time
from pathlib import Path

from devspeech.corpus.mine import MineOptions, mine
from devspeech.corpus.sources import scan_stdlib
from devspeech.generator.api import GenerateOptions, RunOptions, generate
from devspeech.generator.voices import get_engine
from devspeech.jsonl import write_jsonl


def raw_speed(engine_name: str, utterances: list) -> float:
    """Audio seconds per wall second of the engine alone, in this process."""
    engine = get_engine(engine_name)
    voices = engine.voices()
    rng = random.Random(0)
    engine.synthesize("warm up", engine.draw_speaker(voices[0], rng), rng)
    audio = 0.0
    started = time.perf_counter()
    for i, utterance in enumerate(utterances):
        voice = voices[i % len(voices)]
        audio += engine.synthesize(
            utterance.spoken, engine.draw_speaker(voice, rng), rng
        ).duration_s
    return audio / (time.perf_counter() - started)


def pipeline_speed(engine_name: str, corpus: Path, count: int, workers: int) -> tuple[float, float]:
    """(x real time, audio hours) of `generate` writing a dataset with default augmentation."""
    with tempfile.TemporaryDirectory() as folder:
        options = GenerateOptions(engines=(engine_name,), limit=count, heldout_engine=None,
                                  rows_per_shard=max(50, count // (2 * workers)))  # fmt: skip
        started = time.perf_counter()
        summary = generate(corpus, Path(folder) / "ds", options, RunOptions(workers=workers))
        elapsed = time.perf_counter() - started
    seconds = sum(summary.seconds.values())
    return seconds / elapsed, seconds / 3600


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--espeak", type=int, default=2000, help="utterances for espeak")
    parser.add_argument("--piper", type=int, default=200, help="utterances for Piper")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    modules = ("json", "argparse", "pathlib", "shutil", "subprocess", "logging", "typing")
    utterances, _ = mine([scan_stdlib(modules)], MineOptions())
    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder) / "utterances.jsonl"
        write_jsonl(corpus, utterances)
        print(f"corpus             {len(utterances)} utterances, workers {args.workers} "
              f"(of {os.cpu_count()} cores)")  # fmt: skip
        for name, count in (("espeak", args.espeak), ("piper", args.piper)):
            if count <= 0:
                continue
            count = min(count, len(utterances))
            raw = raw_speed(name, utterances[: min(count, 300)])
            piped, hours = pipeline_speed(name, corpus, count, args.workers)
            print(f"{name:<7} raw        {raw:8.1f}x real time (1 process)")
            print(f"{name:<7} pipeline   {piped:8.1f}x real time ({count} utterances, "
                  f"{hours:.2f} h, {args.workers} workers)")  # fmt: skip
            print(f"{name:<7} ratio      {piped / raw:8.2f} of raw, "
                  f"{piped / (raw * args.workers):.2f} of raw x workers")  # fmt: skip
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory        main {own:.0f} MiB, largest worker {children:.0f} MiB")


if __name__ == "__main__":
    main()
