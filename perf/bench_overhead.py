"""What `devspeech bench` costs on top of the model: a bare faster-whisper loop against bench.

    python perf/bench_overhead.py [--clips N] [--model bundled:tiny.en] [--compute-type int8]

Speaks N utterances mined from the standard library with espeak-ng (default augmentation),
then transcribes the same clips twice with the same faster-whisper model and settings:

- bare: a loop of decode + `WhisperModel.transcribe`, after one untimed warm-up, run
  before and after bench and averaged;
- bench: `run_bench` as the CLI runs it, timed whole (reading the dataset, loading the
  model, warm-up, writing predictions, scoring with 1,000 bootstrap resamples).

Prints both RTFx (audio seconds per wall second), their ratio (target >= 0.9) and the
share of bench's wall time spent scoring (target < 2%).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from devspeech.benchmark import api
from devspeech.benchmark.api import BenchOptions, run_bench
from devspeech.benchmark.data import decode, load_dataset_dir
from devspeech.benchmark.models import ctranslate2_location, parse_spec
from devspeech.corpus.mine import MineOptions, mine
from devspeech.corpus.sources import scan_stdlib
from devspeech.generator.api import GenerateOptions, RunOptions, generate
from devspeech.jsonl import write_jsonl


def bare_loop(model_spec: str, compute_type: str, clips: list[bytes]) -> tuple[float, float]:
    """(audio seconds, wall seconds) of faster-whisper alone on the clips."""
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
    for data in clips:
        audio = decode(data)
        audio_s += len(audio) / 16_000
        " ".join(s.text for s in model.transcribe(audio, **settings)[0])
    return audio_s, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=60)
    parser.add_argument("--model", default="bundled:tiny.en")
    parser.add_argument("--compute-type", default="int8")
    args = parser.parse_args()
    utterances, _ = mine([scan_stdlib(("json", "argparse", "pathlib"))], MineOptions())
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write_jsonl(root / "u.jsonl", utterances)
        options = GenerateOptions(
            engines=("espeak",), limit=args.clips * 2, heldout_engine=None, longform_fraction=0.0
        )
        generate(root / "u.jsonl", root / "ds", options, RunOptions(workers=2))
        eval_set = load_dataset_dir(root / "ds", "train", limit=args.clips)
        clips = [item.audio for item in eval_set.items]

        audio_s, bare_first = bare_loop(args.model, args.compute_type, clips)

        scoring = {"s": 0.0}
        original = api.score_file

        def timed_score(*a, **k):
            started = time.perf_counter()
            try:
                return original(*a, **k)
            finally:
                scoring["s"] += time.perf_counter() - started

        api.score_file = timed_score
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
        api.score_file = original
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
        f"its own transcription RTFx {run.results[0]['rtfx']:.1f})"
    )
    print(f"ratio              {bench_rtfx / bare_rtfx:8.2f} (target >= 0.9)")
    print(
        f"scoring share      {100 * scoring['s'] / bench_s:8.2f}% of bench's wall time "
        f"({scoring['s']:.2f} s; target < 2%)"
    )


if __name__ == "__main__":
    main()
