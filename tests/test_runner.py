"""The runner seam: units mapped over workers give the same results as one process."""

from __future__ import annotations

import sys
from functools import partial

import pytest

from devspeech.errors import InputError
from devspeech.runner import RunnerOptions, run_units


def _square(offset: int, unit: int, report) -> int:  # type: ignore[no-untyped-def]
    report(unit)
    return unit * unit + offset


def _fail_on_three(unit: int, report) -> int:  # type: ignore[no-untyped-def]
    if unit == 3:
        raise ValueError("unit 3 is broken")
    return unit


@pytest.mark.parametrize("workers", [1, 2])
def test_results_and_reports_are_the_same_on_any_number_of_workers(workers: int):
    reported: list[int] = []
    units = list(range(9))
    out = list(
        run_units(partial(_square, 1), units, RunnerOptions(workers=workers), chunk=2,
                  on_progress=reported.append)
    )  # fmt: skip
    assert out == [(u, u * u + 1) for u in units]
    assert sorted(reported) == units  # every report reaches the main process


def test_unordered_results_cover_every_unit_once():
    out = list(run_units(partial(_square, 0), list(range(7)), RunnerOptions(workers=2),
                         ordered=False))  # fmt: skip
    assert sorted(out) == [(u, u * u) for u in range(7)]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failing_unit_raises_in_the_caller(workers: int):
    with pytest.raises(ValueError, match="unit 3 is broken"):
        list(run_units(_fail_on_three, list(range(6)), RunnerOptions(workers=workers)))


def test_bad_runner_options_are_refused():
    with pytest.raises(InputError, match="unknown executor 'slurm'; available: local, ray"):
        RunnerOptions(executor="slurm")
    with pytest.raises(InputError, match="--workers must be at least 1"):
        RunnerOptions(workers=0)


def test_the_ray_executor_without_ray_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if ray were not installed
    with pytest.raises(InputError, match=r"^--executor ray needs Ray Data \(.*\); pip install "
                       r"'devspeech\[ray\]'$"):  # fmt: skip
        list(run_units(_fail_on_three, [1, 2], RunnerOptions(executor="ray")))
