"""Mining throughput on the whole standard library: files/s and utterances/s on this machine.

    python perf/corpus_throughput.py [--workers N]

Target: the whole standard library in under a minute on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

from devspeech.corpus.mine import MineOptions, mine
from devspeech.corpus.sources import scan_stdlib
from devspeech.runner import RunnerOptions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    scan = scan_stdlib()
    started = time.perf_counter()
    utterances, summary = mine([scan], MineOptions(runner=RunnerOptions(workers=args.workers)))
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"workers            {args.workers} (of {os.cpu_count()} cores)")
    print(f"files              {summary.documents}")
    print(f"candidates         {summary.candidates}")
    print(f"utterances         {len(utterances)}  ({dict(summary.written)})")
    print(f"elapsed            {elapsed:.1f} s  (target < 60 s)")
    print(f"files/s            {summary.documents / elapsed:.1f}")
    print(f"utterances/s       {len(utterances) / elapsed:.0f}")
    print(f"peak memory        {peak_mb:.0f} MiB (main process, which holds the pool)")


if __name__ == "__main__":
    main()
