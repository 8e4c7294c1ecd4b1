"""Map units of work over workers: the one seam where an executor plugs in.

A unit of work is fixed by the data and the seed (a shard of rows, a document to
mine), never by how many workers share them, and the task must start each unit
from a fresh state; then the same seed writes the same bytes on any number of
workers. Tasks report progress (a row done, seconds of audio) through the
`report` callable they are handed; the runner carries it back to the caller's
`on_progress` in the main process, whatever process ran the unit.

Executors: `local` (this process for one worker, else a pool of fresh processes) and
`ray` (Ray Data over a Ray cluster, or a Ray instance started on this machine; see
devspeech.ray_executor).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from devspeech.errors import InputError

U = TypeVar("U")
R = TypeVar("R")
Report = Callable[[Any], None]
Task = Callable[[U, Report], R]

EXECUTORS = ("local", "ray")


def cpu_count() -> int:
    """This machine's CPUs (at least 1): the default number of local workers."""
    return os.cpu_count() or 1


@dataclass(frozen=True)
class RunnerOptions:
    """Where units run: never changes what they produce."""

    executor: str = "local"
    workers: int = 1  # units at once: processes here, or Ray tasks over the cluster
    address: str | None = None  # ray: a cluster to join ("auto", "ray://host:10001")

    def __post_init__(self) -> None:
        if self.executor not in EXECUTORS:
            raise InputError(
                f"unknown executor {self.executor!r}; available: {', '.join(EXECUTORS)}"
            )
        if self.workers < 1:
            raise InputError("--workers must be at least 1")
        if self.address is not None and self.executor != "ray":
            raise InputError("--ray-address needs --executor ray")


def run_units(
    task: Task[U, R],
    units: Sequence[U],
    options: RunnerOptions = RunnerOptions(),
    *,
    ordered: bool = True,
    on_progress: Callable[[Any], None] | None = None,
    chunk: int = 1,
) -> Iterator[tuple[U, R]]:
    """Yield (unit, task(unit, report)) for every unit: in order, or as each finishes.

    `task` must be a module-level function (or a partial of one) so worker processes
    can import it. An exception in a task is raised here, in the caller. `chunk` units
    travel to a worker together (for many small units); it never changes results.
    """
    report: Report = on_progress if on_progress is not None else _ignore
    if options.executor == "ray" and units:
        from devspeech.ray_executor import ray_map

        yield from ray_map(task, units, workers=options.workers, address=options.address,
                           ordered=ordered, report=report)  # fmt: skip
        return
    if options.workers <= 1 or len(units) <= 1:
        for unit in units:
            yield unit, task(unit, report)
        return
    yield from _local_pool(task, units, options.workers, ordered, report, chunk)


def _ignore(_: Any) -> None:
    return None


_QUEUE: Any = None  # the worker's end of the progress queue, set by _init_worker


def _init_worker(progress: Any) -> None:
    global _QUEUE
    _QUEUE = progress
    # Ctrl-C reaches the whole process group: the parent stops the pool and says so once;
    # workers must not each print a traceback
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _report_to_parent(value: Any) -> None:
    _QUEUE.put(value)


def _call(job: tuple[Task[Any, Any], Any]) -> Any:
    task, unit = job
    return task(unit, _report_to_parent)


_DONE = "__devspeech_runner_done__"


def _local_pool(
    task: Task[U, R], units: Sequence[U], workers: int, ordered: bool, report: Report, chunk: int
) -> Iterator[tuple[U, R]]:
    """A pool of fresh processes (forkserver: no state inherited from this one)."""
    context = multiprocessing.get_context("forkserver" if os.name != "nt" else "spawn")
    progress = context.Queue()
    listener = threading.Thread(target=_relay, args=(progress, report), daemon=True)
    listener.start()
    try:
        with context.Pool(min(workers, len(units)), _init_worker, (progress,)) as pool:
            jobs = [(task, unit) for unit in units]
            if ordered:
                results = pool.imap(_call, jobs, chunksize=chunk)
                for unit, result in zip(units, results, strict=True):
                    yield unit, result
            else:
                indexed = pool.imap_unordered(_indexed_call, list(enumerate(jobs)), chunk)
                for index, result in indexed:
                    yield units[index], result
            pool.close()
            pool.join()  # workers exit normally, so every report they queued is delivered
    finally:
        progress.put(_DONE)
        listener.join()
        progress.close()


def _indexed_call(item: tuple[int, tuple[Task[Any, Any], Any]]) -> tuple[int, Any]:
    index, job = item
    return index, _call(job)


def _relay(progress: Any, report: Report) -> None:
    """Hand every value workers report to `report`, in the main process, until _DONE."""
    while True:
        value = progress.get()
        if isinstance(value, str) and value == _DONE:
            return
        report(value)
