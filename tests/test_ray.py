"""The `ray` executor on a local Ray instance this module starts: the same results and the
same dataset bytes as local processes, and a worker killed mid-run changes nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from test_runner import _fail_on_three, _square

from devspeech.corpus.api import MineRequest, run_mine
from devspeech.dataset import shard_files
from devspeech.errors import InputError
from devspeech.generator import api
from devspeech.generator.api import GenerateOptions, RunOptions, generate
from devspeech.jsonl import write_jsonl
from devspeech.records import Utterance, utterance_id
from devspeech.runner import RunnerOptions, run_units

ray = pytest.importorskip("ray")

RAY = RunnerOptions(executor="ray", workers=2)


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Iterator[None]:
    """One local instance for the module; the executor uses it as it is and leaves it up."""
    # workers import the tests' tasks by name, as a cluster's would the user's code
    tests = str(Path(__file__).parent)
    ray.init(num_cpus=2, include_dashboard=False, configure_logging=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": tests}})  # fmt: skip
    yield
    ray.shutdown()


def _die_once(marker: Path, victim: object, task, unit, report):  # type: ignore[no-untyped-def]
    """SIGKILL this worker the first time it starts `victim` (the marker file says it did)."""
    if unit == victim and not marker.exists():
        marker.write_text(str(os.getpid()), encoding="utf-8")
        os.kill(os.getpid(), signal.SIGKILL)
    return task(unit, report)


def test_ray_gives_local_results_and_reports_and_survives_a_killed_worker(
    tmp_path: Path, reliability
):  # type: ignore[no-untyped-def]
    units = list(range(7))
    reported: list[int] = []
    marker = tmp_path / "killed"
    task = partial(_die_once, marker, 4, partial(_square, 1))
    out = list(run_units(task, units, RAY, on_progress=reported.append))
    assert out == [(u, u * u + 1) for u in units]  # in order, each unit once
    assert sorted(reported) == units  # a killed unit's reports are not counted twice
    assert marker.is_file() and int(marker.read_text()) != os.getpid()
    reliability["kills"] += 1
    unordered = list(run_units(partial(_square, 0), units, RAY, ordered=False))
    assert sorted(unordered) == [(u, u * u) for u in units]


def test_an_exception_in_a_ray_task_is_raised_in_the_caller():
    with pytest.raises(ValueError, match="unit 3 is broken"):
        list(run_units(_fail_on_three, list(range(6)), RAY))


def test_mine_on_ray_from_the_command_line_writes_the_utterances_of_a_local_run(
    project: Path, tmp_path: Path
):
    """The command starts (and stops) a Ray instance of its own in a fresh process."""
    local, on_ray = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    run_mine(
        MineRequest(output=local, directories=(project,), runner=RunnerOptions(workers=1), seed=5)
    )
    command = [sys.executable, "-m", "devspeech", "--seed", "5", "corpus", "mine", str(project),
               "-o", str(on_ray), "--workers", "2", "--executor", "ray"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert on_ray.read_bytes() == local.read_bytes() and local.stat().st_size > 1000


def test_ray_address_needs_the_ray_executor():
    with pytest.raises(InputError, match="--ray-address needs --executor ray"):
        RunnerOptions(address="auto")


def _utterances(count: int) -> list[Utterance]:
    lines = [
        ("code", "python", "np.array(values)", "n p dot array of values"),
        ("shell", "bash", "git commit --amend", "git commit dash dash amend"),
        ("prose", "", "Returns the parsed configuration.", "returns the parsed configuration"),
    ]
    out = []
    for n in range(count):
        kind, language, text, spoken = lines[n % len(lines)]
        text, spoken = f"{text} # {n}", f"{spoken} number {n}"
        out.append(Utterance(utterance_id(kind, text), text, spoken, kind, language,
                             (text.split()[0],), "test", f"demo/file.py:{n + 1}", "MIT"))  # fmt: skip
    return out


OPTIONS = GenerateOptions(
    engines=("espeak", "piper"), heldout_engine=None, rooms=2, rows_per_shard=4, limit=16, seed=7
)


RENDER = api._render_shard  # a worker imports this module afresh: the real renderer


def _render_or_die(marker: Path, victim: str, setup, shard, report):  # type: ignore[no-untyped-def]
    return _die_once(
        marker, victim, lambda name, rep: RENDER(setup, shard, rep), shard.name, report
    )


def test_a_ray_run_writes_the_bytes_of_a_local_run_though_a_worker_dies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reliability
):  # type: ignore[no-untyped-def]
    corpus = tmp_path / "utterances.jsonl"
    write_jsonl(corpus, _utterances(24))
    local, on_ray = tmp_path / "local", tmp_path / "ray"
    generate(corpus, local, OPTIONS, RunOptions(RunnerOptions(workers=2)))
    names = sorted(p.name for p in shard_files(local))
    assert len(names) == 5

    marker = tmp_path / "killed"
    monkeypatch.setattr(api, "_render_shard", partial(_render_or_die, marker, names[1]))
    summary = generate(corpus, on_ray, OPTIONS, RunOptions(RunnerOptions("ray", workers=2)))
    assert marker.is_file()  # the worker rendering that shard was killed, and Ray ran it again
    reliability["kills"] += 1
    assert summary.shards_left == 0 and not summary.failures
    local_bytes = {p.name: p.read_bytes() for p in shard_files(local)}
    assert {p.name: p.read_bytes() for p in shard_files(on_ray)} == local_bytes
    assert (on_ray / "README.md").read_bytes() == (local / "README.md").read_bytes()
