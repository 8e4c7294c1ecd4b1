"""The `ray` executor: units of work mapped over a Ray cluster with Ray Data.

Units become a Ray dataset of (index, pickled unit) rows; the task maps over it on any
worker of the cluster and its result comes back pickled, so the caller receives exactly
the objects a local run would and writes them itself: a shard lands with the same bytes
whichever executor rendered it. A unit must be self-contained (the runner seam's rule:
fixed by the data and the seed, started from a fresh state), and paths it names must be
on storage every node sees.

A worker that dies (killed, out of memory, its node lost) is replaced and its unit run
again from the start (Ray Data retries such a task without limit); the result is the
same because the unit starts from a fresh state. An exception the task raises is raised
in the caller; a failure of Ray itself becomes an ExecutorError.

`address=None` starts a Ray instance on this machine for the run and stops it after;
`address="auto"` or `ray://host:10001` joins a running cluster. If this process already
called `ray.init`, that instance is used as it is.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from devspeech.errors import ExecutorError, InputError

U = TypeVar("U")
R = TypeVar("R")


def ray_map(
    task: Callable[[U, Callable[[Any], None]], R],
    units: Sequence[U],
    *,
    workers: int,
    address: str | None,
    ordered: bool,
    report: Callable[[Any], None],
) -> Iterator[tuple[U, R]]:
    """Yield (unit, task(unit, report)) for every unit, at most `workers` at once.

    Reports a task makes travel back with its result and reach `report` when its unit
    is done (progress moves a unit at a time)."""
    ray = _import_ray()
    started_here = not ray.is_initialized()
    if started_here:
        try:
            ray.init(
                address=address,
                include_dashboard=False,
                configure_logging=False,
                logging_level=logging.WARNING,
                log_to_driver=False,
            )
        except Exception as error:  # an address nobody answers at, a cluster of another Ray
            where = f"the Ray cluster at {address}" if address else "Ray on this machine"
            raise ExecutorError(f"cannot start or join {where}: {error}") from error
    try:
        yield from _map(ray, task, units, workers, ordered, report)
    finally:
        if started_here:
            ray.shutdown()


def _import_ray() -> Any:
    try:
        import ray
        import ray.data  # Ray Data ships in the ray[data] extra
    except ImportError as error:
        raise InputError(
            f"--executor ray needs Ray Data ({error}); pip install 'devspeech[ray]'"
        ) from None
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # its notices are not ours
    return ray


def _map(
    ray: Any,
    task: Callable[[U, Callable[[Any], None]], R],
    units: Sequence[U],
    workers: int,
    ordered: bool,
    report: Callable[[Any], None],
) -> Iterator[tuple[U, R]]:
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    items = [{"index": i, "unit": pickle.dumps(u)} for i, u in enumerate(units)]
    dataset = ray.data.from_items(items, override_num_blocks=len(items)).map(
        _Apply(task),
        num_cpus=1,
        compute=ray.data.TaskPoolStrategy(size=workers),
    )
    waiting: dict[int, tuple[Any, list[Any]]] = {}
    following = 0
    for row in _rows(ray, dataset):
        index = int(row["index"])
        outcome = pickle.loads(row["outcome"])
        if not ordered:
            yield units[index], _unpack(outcome, report)
            continue
        waiting[index] = outcome
        while following in waiting:
            yield units[following], _unpack(waiting.pop(following), report)
            following += 1


def _rows(ray: Any, dataset: Any) -> Iterator[dict[str, Any]]:
    try:
        yield from dataset.iter_rows()
    except ray.exceptions.RayError as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise ExecutorError(
            f"the Ray run stopped ({type(error).__name__}: {first}); what finished is kept, "
            "rerun to go on"
        ) from error


def _unpack(outcome: tuple[Any, list[Any]], report: Callable[[Any], None]) -> Any:
    """The task's result after its reports, or the exception it raised, raised here."""
    result, reports = outcome
    for value in reports:
        report(value)
    if isinstance(result, _Raised):
        raise result.error
    return result


class _Apply:
    """Run the task on one row's unit; a plain callable object (not a class), so Ray Data
    maps it with tasks, not actors."""

    def __init__(self, task: Callable[[Any, Callable[[Any], None]], Any]) -> None:
        self.task = task

    def __call__(self, row: dict[str, Any]) -> dict[str, Any]:
        reports: list[Any] = []
        try:
            result: Any = self.task(pickle.loads(row["unit"]), reports.append)
        except Exception as error:  # raised in the caller, as the local executor does
            result = _Raised(error)
        try:
            outcome = pickle.dumps((result, reports))
        except Exception as error:  # an exception that does not pickle
            outcome = pickle.dumps((_Raised(RuntimeError(f"{type(error).__name__}: {error}")), []))
        return {"index": row["index"], "outcome": outcome}


class _Raised:
    """An exception a task raised, carried back as its outcome."""

    def __init__(self, error: Exception) -> None:
        self.error = error
