"""Run every performance script and write one Markdown record of their figures.

    python perf/run_all.py [-o perf/RESULTS.md] [--only NAME ...] [--timeout S]

Each script runs in its own process, one after another (they measure speed, so nothing
else should run beside them), with the arguments below: sizes that finish in minutes on
two cores. Every figure a script prints (a `label   value` line) becomes a row under the
script's name; the ratios to each script's bare baseline are among them, measured in the
same run. The record starts with the machine it was measured on, and each script's
section says when it ran. A script that fails or runs past the timeout is recorded as
such, and the others still run. With `--only`, the other scripts' sections are kept as
the record had them.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS: dict[str, list[str]] = {
    "corpus_throughput": [],
    # 10,000 espeak utterances: the flat-memory run docs/performance.md claims
    "generate_throughput": ["--espeak", "10000", "--piper", "120", "--kokoro", "40", "--ray"],
    # a 10,000-row split benched in a fresh process against its first 200 rows
    "bench_overhead": ["--clips", "60", "--memory-rows", "10000"],
    "finetune_step": ["--steps", "12"],
}
FIGURE = re.compile(r"^(?P<label>\S.*?)\s{2,}(?P<value>\S.*)$")


def machine() -> list[str]:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                 if line.startswith("model name")]  # fmt: skip
        cpu = names[0] if names else cpu
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        total = next(x for x in meminfo.read_text().splitlines() if x.startswith("MemTotal"))
        memory = f", {int(total.split()[1]) / 1024**2:.0f} GiB memory"
    return [
        f"- machine: {cpu}, {os.cpu_count()} cores{memory}, no GPU used",
        f"- Python {platform.python_version()} on {platform.platform()}",
        f"- written {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} "
        "(each section says when it ran)",
    ]


def run(name: str, args: list[str], timeout: float) -> tuple[list[tuple[str, str]], str, float]:
    """(figures, status, seconds) of one script."""
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, str(HERE / f"{name}.py"), *args],
                              capture_output=True, text=True, timeout=timeout)  # fmt: skip
    except subprocess.TimeoutExpired:
        return [], f"timed out after {timeout:.0f} s", time.perf_counter() - started
    seconds = time.perf_counter() - started
    figures = [(m["label"].strip(), m["value"].strip()) for line in done.stdout.splitlines()
               if (m := FIGURE.match(line))]  # fmt: skip
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return figures, f"failed (exit {done.returncode}): {last}", seconds
    return figures, "ok", seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--only", nargs="*", choices=sorted(SCRIPTS), default=None)
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args()
    lines = ["# Performance record", "", "Written by `python perf/run_all.py`.", "", *machine()]
    failed = 0
    kept = sections(args.output) if args.only else {}
    for name in SCRIPTS:
        if args.only and name not in args.only:
            lines += kept.get(name, [])
            continue
        print(f"== {name} {' '.join(SCRIPTS[name])}", flush=True)
        figures, status, seconds = run(name, SCRIPTS[name], args.timeout)
        failed += status != "ok"
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        lines += ["", f"## {name}", "",
                  f"`python perf/{name}.py {' '.join(SCRIPTS[name])}`: {status}, "
                  f"{seconds:.0f} s, measured {when}", "", "| figure | value |",
                  "|---|---|"]  # fmt: skip
        lines += [f"| {label} | {value.replace('|', '/')} |" for label, value in figures]
        for label, value in figures:
            print(f"  {label:<22} {value}")
        if status != "ok":
            print(f"  {status}")
    partial = args.output.with_name(f".{args.output.name}.partial")
    partial.write_text("\n".join(lines) + "\n", encoding="utf-8")
    partial.replace(args.output)
    print(f"wrote {args.output}")
    sys.exit(1 if failed else 0)


def sections(record: Path) -> dict[str, list[str]]:
    """The lines of each script's section of an existing record (a blank line first)."""
    found: dict[str, list[str]] = {}
    name = None
    if not record.is_file():
        return found
    for line in record.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            name = line[3:].strip()
            found[name] = ["", line]
        elif name is not None:
            found[name].append(line)
    for body in found.values():
        while body and not body[-1].strip():
            body.pop()
    return found


if __name__ == "__main__":
    main()
