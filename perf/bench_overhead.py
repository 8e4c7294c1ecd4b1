"""What `devspeech bench` costs on top of the model: a bare faster-whisper loop against bench.

    python perf/bench_overhead.py [--clips N] [--model bundled:tiny.en] [--compute-type int8]

Speaks N utterances mined from the standard library with espeak-ng (default augmentation),
then transcribes the same clips twice with the same faster-whisper model and settings:

- bare: a loop of decode + `WhisperModel.transcribe`, after one untimed warm-up, run
  before and after bench and averaged;
- bare, same input: the loop fed what bench feeds faster-whisper (a short clip padded
  with silence to the 30 s window, so that its log-mel matches what transformers sees):
  the part of the gap that is that choice rather than bench's own overhead;
- bench: `run_bench` as the CLI runs it, timed whole (reading the dataset, loading the
  model, warm-up, writing predictions, scoring with 1,000 bootstrap resamples).

Prints both RTFx (audio seconds per wall second), their ratio (target >= 0.9) and the
share of bench's wall time spent scoring (target < 2%).

Then memory: bench streams its rows, so its peak resident memory must not grow with the
split. A dataset of --memory-rows (default 2,000) rows is spoken, and `run_bench` runs on
its first 200 and on all of them, each in a fresh process, with the tiny random model
`random:80` (the rows, not the model, are what is measured). Prints both peaks and their
ratio (target <= 1.10).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from devspeech.audio import SAMPLE_RATE
from devspeech.audio import decode_16k as decode
from devspeech.benchmark import run as bench_run
from devspeech.benchmark.backends import CHUNK_S
from devspeech.benchmark.data import load_dataset_dir
from devspeech.benchmark.models import ctranslate2_location, parse_spec
from devspeech.benchmark.run import BenchOptions, run_bench
from devspeech.corpus.mine import MineOptions, mine
from devspeech.corpus.sources import scan_stdlib
from devspeech.generator.api import GenerateOptions, RunOptions, generate
from devspeech.jsonl import write_jsonl
from devspeech.runner import RunnerOptions


def bare_loop(
    model_spec: str, compute_type: str, clips: list[bytes], padded: bool = False
) -> tuple[float, float]:
    """(audio seconds, wall seconds) of faster-whisper alone on the clips (`padded`: each
    short clip padded to the 30 s window, as bench's faster-whisper backend does)."""
    from faster_whisper import WhisperModel

    model = WhisperModel(ctranslate2_location(parse_spec(model_spec)), compute_type=compute_type)
    settings = dict(
        language="en",
        task="transcribe",
        beam_size=1,
        best_of=1,
        temperature=0.0,
        without_timestamps=True,
        condition_on_previous_text=False,
        vad_filter=False,
    )
    list(model.transcribe(decode(clips[0]), **settings)[0])  # warm-up
    audio_s = 0.0
    started = time.perf_counter()
    window = int(CHUNK_S * SAMPLE_RATE)
    for data in clips:
        audio = decode(data)
        audio_s += len(audio) / SAMPLE_RATE
        if padded and len(audio) <= window:
            audio = np.pad(audio, (0, window - len(audio)))
            segments = model.transcribe(audio, clip_timestamps=[0.0, CHUNK_S], **settings)[0]
        else:
            segments = model.transcribe(audio, **settings)[0]
        " ".join(s.text for s in segments)
    return audio_s, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=60)
    parser.add_argument("--model", default="bundled:tiny.en")
    parser.add_argument("--compute-type", default="int8")
    parser.add_argument("--memory-rows", type=int, default=2000)
    parser.add_argument("--peak-of", nargs=2, metavar=("DATASET", "ROWS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peak_of:  # the child of memory(): bench ROWS rows, print this process's peak
        bench_peak(Path(args.peak_of[0]), int(args.peak_of[1]))
        return
    utterances, _ = mine([scan_stdlib(("json", "argparse", "pathlib"))], MineOptions())
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write_jsonl(root / "u.jsonl", utterances)
        options = GenerateOptions(
            engines=("espeak",), limit=args.clips * 2, heldout_engine=None, longform_fraction=0.0
        )
        generate(root / "u.jsonl", root / "ds", options, RunOptions(RunnerOptions(workers=2)))
        source = load_dataset_dir(root / "ds", "train")
        clips = [item.audio for item, _ in zip(source.items(), range(args.clips), strict=False)]

        audio_s, bare_first = bare_loop(args.model, args.compute_type, clips)

        scoring = {"s": 0.0}
        original = bench_run.score_file

        def timed_score(*a, **k):
            started = time.perf_counter()
            try:
                return original(*a, **k)
            finally:
                scoring["s"] += time.perf_counter() - started

        bench_run.score_file = timed_score
        bench = BenchOptions(
            models=(args.model,),
            data=str(root / "ds"),
            split="train",
            limit=args.clips,
            backend="faster-whisper",
            compute_type=args.compute_type,
        )
        started = time.perf_counter()
        run = run_bench(bench, root / "bench")
        bench_s = time.perf_counter() - started
        bench_run.score_file = original
        # the bare loop runs before and after bench, so machine drift does not favour either
        _, bare_second = bare_loop(args.model, args.compute_type, clips)
        bare_s = (bare_first + bare_second) / 2

    bare_rtfx, bench_rtfx = audio_s / bare_s, audio_s / bench_s
    print(
        f"clips              {len(clips)} ({audio_s:.1f} s of audio), {args.model}, "
        f"faster-whisper {args.compute_type}"
    )
    print(
        f"bare loop          {bare_rtfx:8.1f}x real time (mean of {bare_first:.1f} s before "
        f"and {bare_second:.1f} s after bench)"
    )
    print(
        f"devspeech bench    {bench_rtfx:8.1f}x real time ({bench_s:.1f} s wall, whole run; "
        f"its own transcription RTFx {run.results[0].rtfx:.1f})"
    )
    print(f"ratio              {bench_rtfx / bare_rtfx:8.2f} (target >= 0.9)")
    own = run.results[0].rtfx / bare_rtfx
    print(f"transcription only {own:8.2f} of the bare loop (bench's own RTFx; the rest of the "
          "gap is loading, warm-up and writing)")  # fmt: skip
    _, padded_s = bare_loop(args.model, args.compute_type, clips, padded=True)
    print(f"bare, same input   {audio_s / padded_s:8.1f}x real time (short clips padded to the "
          f"30 s window as bench does); bench is {padded_s / bench_s:.2f} of it")  # fmt: skip
    print(
        f"scoring share      {100 * scoring['s'] / bench_s:8.2f}% of bench's wall time "
        f"({scoring['s']:.2f} s; target < 2%)"
    )

    memory(args.memory_rows)


def bench_peak(dataset: Path, rows: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        options = BenchOptions(
            models=("random:80",), data=str(dataset), split="train", limit=rows,
            max_new_tokens=2, resamples=100,
        )  # fmt: skip
        run = run_bench(options, Path(folder))
    print(run.rows, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def memory(rows: int) -> None:
    """Peak RSS of bench on 200 rows and on `rows` rows, each in a fresh process."""
    utterances, _ = mine(
        [scan_stdlib()], MineOptions(limit=rows * 2, runner=RunnerOptions(workers=2))
    )
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write_jsonl(root / "u.jsonl", utterances)
        options = GenerateOptions(
            engines=("espeak",), limit=int(rows * 1.6), heldout_engine=None,
            longform_fraction=0.0, augment="none",
        )  # fmt: skip
        generate(root / "u.jsonl", root / "ds", options, RunOptions(RunnerOptions(workers=2)))
        peaks = {}
        for count in (200, rows):
            command = [sys.executable, __file__, "--peak-of", str(root / "ds"), str(count)]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            benched, kib = done.stdout.split()[-2:]
            peaks[count] = int(kib) / 1024
            print(f"bench peak memory  {peaks[count]:8.0f} MiB for {benched} rows (random:80)")
    ratio = peaks[rows] / peaks[200]
    print(f"memory ratio       {ratio:8.2f} ({rows} rows against 200; target <= 1.10)")


if __name__ == "__main__":
    main()
