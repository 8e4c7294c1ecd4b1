"""Generation speed against the bare engines, on utterances mined from the standard library.

    python perf/generate_throughput.py [--espeak N] [--piper N] [--kokoro N] [--workers W]
        [--ray]

Prints, per engine: raw synthesis speed (x real time, one process, nothing else),
the whole pipeline's speed (default augmentation, FLAC and parquet writing, W
workers), their ratio, and the peak memory of the main process and of the
largest worker. Targets: espeak pipeline >= 200x real time on 2 cores and >= half
the raw speed times the workers; Piper pipeline >= 0.8 of raw Piper; Kokoro
pipeline >= 0.8 of raw Kokoro times the workers; memory flat as N grows.

With --ray, each pipeline runs again with `--executor ray` on a Ray instance started on
this machine before the timing (its start-up is printed apart), and the ratio of the
Ray pipeline to the local one is printed: what the Ray executor costs per core.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import tempfile
import threading
import time
from pathlib import Path

from devspeech.corpus.mine import MineOptions, mine
from devspeech.corpus.sources import scan_stdlib
from devspeech.generator.api import GenerateOptions, RunOptions, generate
from devspeech.generator.engines.base import SynthesisError
from devspeech.generator.voices import get_engine
from devspeech.jsonl import write_jsonl
from devspeech.runner import RunnerOptions


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
        try:
            speech = engine.synthesize(utterance.spoken, engine.draw_speaker(voice, rng), rng)
        except SynthesisError:  # skipped and counted by the pipeline too
            continue
        audio += speech.duration_s
    return audio / (time.perf_counter() - started)


def _rss_mib() -> float:
    with Path("/proc/self/status").open(encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class RssSampler(threading.Thread):
    """The main process's resident memory every quarter second while a run goes on."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[float] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.25):
            self.samples.append(_rss_mib())

    def quarters(self) -> list[float]:
        """Peak RSS in each quarter of the run: flat memory keeps the four about equal."""
        n = len(self.samples)
        return [max(self.samples[i * n // 4 : max(i * n // 4 + 1, (i + 1) * n // 4)] or [0.0])
                for i in range(4)]  # fmt: skip


def pipeline_speed(
    engine_name: str, corpus: Path, count: int, workers: int, executor: str = "local"
) -> tuple[float, float, list[float]]:
    """(x real time, audio hours, main-process RSS peak per quarter) of a default `generate`."""
    with tempfile.TemporaryDirectory() as folder:
        # two shards per worker at least, of equal size: a shard is the unit of work, so
        # fewer shards than workers would leave a worker idle and measure that instead
        per_shard = min(500, max(10, -(-count // (2 * workers))))
        options = GenerateOptions(
            engines=(engine_name,), limit=count, heldout_engine=None, rows_per_shard=per_shard
        )
        sampler = RssSampler()
        sampler.start()
        started = time.perf_counter()
        run = RunOptions(RunnerOptions(executor, workers))
        summary = generate(corpus, Path(folder) / "ds", options, run)
        elapsed = time.perf_counter() - started
        sampler.done.set()
        sampler.join()
    seconds = sum(summary.seconds.values())
    return seconds / elapsed, seconds / 3600, sampler.quarters()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--espeak", type=int, default=2000, help="utterances for espeak")
    parser.add_argument("--piper", type=int, default=200, help="utterances for Piper")
    parser.add_argument("--kokoro", type=int, default=60, help="utterances for Kokoro")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--ray", action="store_true", help="also run each pipeline on Ray")
    args = parser.parse_args()
    modules = ("json", "argparse", "pathlib", "shutil", "subprocess", "logging", "typing")
    if (
        max(args.espeak, args.piper, args.kokoro) > 6000
    ):  # enough distinct lines for a 10k-utterance run
        modules += ("email", "http", "asyncio", "unittest", "collections", "concurrent")
    utterances, _ = mine([scan_stdlib(modules)], MineOptions())
    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder) / "utterances.jsonl"
        write_jsonl(corpus, utterances)
        print(f"corpus             {len(utterances)} utterances, workers {args.workers} "
              f"(of {os.cpu_count()} cores)")  # fmt: skip
        if args.ray:
            started = time.perf_counter()
            import ray

            ray.init(num_cpus=args.workers, include_dashboard=False, log_to_driver=False)
            print(f"ray start          {time.perf_counter() - started:8.1f} s (local instance)")
        engines = (("espeak", args.espeak), ("piper", args.piper), ("kokoro", args.kokoro))
        for name, count in engines:
            if count <= 0:
                continue
            count = min(count, len(utterances))
            raw = raw_speed(name, utterances[: min(count, 300 if name != "kokoro" else 30)])
            piped, hours, quarters = pipeline_speed(name, corpus, count, args.workers)
            print(f"{name + ' raw':<18} {raw:8.1f}x real time (1 process)")
            print(f"{name + ' pipeline':<18} {piped:8.1f}x real time ({count} utterances, "
                  f"{hours:.2f} h, {args.workers} workers)")  # fmt: skip
            print(f"{name + ' ratio':<18} {piped / raw:8.2f} of raw, "
                  f"{piped / (raw * args.workers):.2f} of raw x workers")  # fmt: skip
            # what 1,000 hours of audio costs at this pipeline speed, per core
            core_hours = 1000 * args.workers / piped
            print(f"{name + ' 1,000 h':<18} {core_hours:8.0f} core-hours "
                  f"({piped / args.workers:.1f}x real time per core; {core_hours / 64:.2f} h "
                  "on 64 cores if a cluster scales as this machine does)")  # fmt: skip
            print(f"{name + ' main RSS':<18} " + " / ".join(f"{q:.0f}" for q in quarters)
                  + " MiB peak in each quarter of the run")  # fmt: skip
            if args.ray:
                on_ray, _, _ = pipeline_speed(name, corpus, count, args.workers, "ray")
                print(f"{name + ' on Ray':<18} {on_ray:8.1f}x real time ({args.workers} Ray "
                      f"tasks), {on_ray / piped:.2f} of the local pipeline")  # fmt: skip
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory        main {own:.0f} MiB, largest worker {children:.0f} MiB")


if __name__ == "__main__":
    main()
