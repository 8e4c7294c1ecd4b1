"""kill -9 at points of mine, generate, finetune and publish, then the same command again:
the outputs equal an uninterrupted run's, byte for byte, and nothing half-written ever
looks complete.

Each stage runs as a user runs it (the CLI in a new process group); the whole group gets
SIGKILL when a file shows the run is at the chosen point, polled (never timed). A run
that finishes before the point arrives is still checked, and counted as not killed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hub_stub import StubHub

from devspeech.dataset import CARD_FILE, is_complete, shard_files
from devspeech.jsonl import write_jsonl
from devspeech.records import Utterance, utterance_id


def _env(**extra: str) -> dict[str, str]:
    """This process's environment (the test's model cache included), for a child."""
    return {**os.environ, "HF_HUB_DISABLE_XET": "1", **extra}


def _devspeech(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "devspeech", *args], capture_output=True,
                          text=True, check=False, env=env or _env())  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _kill_when(args: list[str], point: Callable[[], bool], env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    """Run devspeech ARGS and SIGKILL its process group once `point()` holds; True when
    the kill landed before the run finished."""
    child = subprocess.Popen([sys.executable, "-m", "devspeech", *args],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True, env=env or _env())  # fmt: skip
    while child.poll() is None and not point():
        time.sleep(0.02)  # waiting for an event, not measuring time
    killed = child.poll() is None
    if killed:
        os.killpg(child.pid, signal.SIGKILL)
    child.wait()
    return killed


def _project(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True)
    for n in range(12):
        (root / "pkg" / f"mod{n}.py").write_text(
            f'"""Read the settings file and return the parsed values {n}."""\n\n'
            f"def load_settings_{n}(path: str) -> dict:\n"
            f'    """Open the file at path and parse it with json.loads."""\n'
            f"    return json.loads(open(path).read())\n"
        )
    (root / "README.md").write_text(
        "# settings\n\nCall `load_settings_3` before `main`.\n\n"
        "```bash\npip install -e .\npytest -x tests\n```\n"
    )
    return root


def test_mine_killed_leaves_nothing_or_everything(tmp_path: Path, reliability):  # type: ignore[no-untyped-def]
    project = _project(tmp_path / "project")
    reference = tmp_path / "reference.jsonl"
    _devspeech("corpus", "mine", str(project), "-o", str(reference), "--workers", "2")
    out = tmp_path / "u.jsonl"
    args = ["corpus", "mine", str(project), "-o", str(out), "--workers", "2"]
    points = [lambda: True, lambda: out.with_name(out.name + ".tmp").exists()]
    for point in points:
        out.unlink(missing_ok=True)
        reliability["kills"] += _kill_when(args, point)
        assert not out.exists() or out.read_bytes() == reference.read_bytes()
        _devspeech(*args)
        assert out.read_bytes() == reference.read_bytes()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("kills") / "utterances.jsonl"
    lines = [f"Return the parsed value of field_{n} from the config." for n in range(24)]
    write_jsonl(path, [Utterance(utterance_id("prose", t), t, t.replace("_", " underscore "),
                                 "prose", "", ("config",), "test", f"x.py:{n}", "MIT")
                       for n, t in enumerate(lines)])  # fmt: skip
    return path


GENERATE = ["--engines", "espeak", "--rooms", "2", "--rows-per-shard", "4", "--workers", "2"]


def _shards(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in shard_files(root)}


def test_generate_killed_mid_shard_resumes_to_the_same_bytes(  # type: ignore[no-untyped-def]
    corpus: Path, tmp_path: Path, reliability
):
    reference = tmp_path / "reference"
    _devspeech("generate", str(corpus), "-o", str(reference), *GENERATE)
    out = tmp_path / "ds"
    args = ["generate", str(corpus), "-o", str(out), *GENERATE]
    points = [
        lambda: any((out / "data").glob(".*.partial")),  # a shard half-written
        lambda: len(shard_files(out)) >= 2,
        lambda: len(shard_files(out)) >= len(shard_files(reference)) - 1,
    ]
    for point in points:
        reliability["kills"] += _kill_when(args, point)
        # a killed run never leaves a card, nor a shard under a complete-looking name
        assert not is_complete(out) or _shards(out) == _shards(reference)
        for name, data in _shards(out).items():
            assert data == _shards(reference)[name]
    _devspeech(*args)
    assert _shards(out) == _shards(reference)
    assert (out / CARD_FILE).read_bytes() == (reference / CARD_FILE).read_bytes()


def test_generate_on_a_full_disk_stops_in_one_line_and_resumes(  # type: ignore[no-untyped-def]
    corpus: Path, tmp_path: Path, reliability
):
    """A shard's file lands on /dev/full (every write: ENOSPC, from the kernel)."""
    reference = tmp_path / "reference"
    _devspeech("generate", str(corpus), "-o", str(reference), *GENERATE)
    names = sorted(_shards(reference))
    out = tmp_path / "ds"
    shutil.copytree(reference, out)  # the folder of a run killed before any shard was done
    for path in [*shard_files(out), out / CARD_FILE]:
        path.unlink()
    (out / "data" / f".{names[2]}.partial").symlink_to("/dev/full")
    done = subprocess.run([sys.executable, "-m", "devspeech", "generate", str(corpus), "-o",
                           str(out), *GENERATE], capture_output=True, text=True, env=_env())  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"Error: cannot write {out / 'data' / names[2]}: No space left on device; what was "
        "finished is kept, rerun to go on once it can be written"
    ]
    reliability["bad inputs"] += 1
    assert not is_complete(out) and names[2] not in _shards(out)
    assert not list((out / "data").glob(".*"))  # nothing half-written left behind
    for name, data in _shards(out).items():
        assert data == _shards(reference)[name]
    _devspeech("generate", str(corpus), "-o", str(out), *GENERATE)  # the disk has room again
    assert _shards(out) == _shards(reference)
    assert (out / CARD_FILE).read_bytes() == (reference / CARD_FILE).read_bytes()


@pytest.fixture(scope="module")
def dataset(corpus: Path) -> Path:
    root = corpus.parent / "train-ds"
    _devspeech("generate", str(corpus), "-o", str(root), "--engines", "espeak",
               "--augment", "none", "--rows-per-shard", "50")  # fmt: skip
    return root


def _finetune_args(data: Path, out: Path) -> list[str]:
    return ["finetune", "--model", "random:80", "--data", str(data), "-o", str(out),
            "--method", "lora", "--rank", "4", "--alpha", "8", "--batch-size", "2", "--max-steps", "6",
            "--warmup-steps", "1", "--eval-every", "2", "--eval-rows", "2",
            "--general-data", "none", "--lr", "1e-3"]  # fmt: skip


def _adapter(run: Path) -> dict[str, list[float]]:
    from safetensors.numpy import load_file

    weights = load_file(str(run / "adapter" / "adapter_model.safetensors"))
    return {k: v.ravel().tolist() for k, v in sorted(weights.items())}


@pytest.mark.usefixtures("use_model_cache")
def test_finetune_killed_resumes_to_the_weights_of_an_uninterrupted_run(  # type: ignore[no-untyped-def]
    dataset: Path, tmp_path: Path, reliability
):
    env = _env()
    reference = tmp_path / "reference"
    _devspeech(*_finetune_args(dataset, reference), env=env)
    out = tmp_path / "run"
    checkpoint = out / "checkpoint" / "state.json"

    def at_step(step: int) -> Callable[[], bool]:
        def point() -> bool:
            try:
                return json.loads(checkpoint.read_text())["step"] >= step
            except (OSError, ValueError, KeyError):
                return False

        return point

    killed = _kill_when(_finetune_args(dataset, out), at_step(2), env=env)
    reliability["kills"] += killed
    assert not (out / "adapter").exists()  # nothing that looks like a result
    reliability["kills"] += _kill_when([*_finetune_args(dataset, out), "--resume"], at_step(4),
                                       env=env)  # fmt: skip
    _devspeech(*_finetune_args(dataset, out), "--resume", env=env)
    assert _adapter(out) == _adapter(reference)


def test_publish_killed_mid_upload_resumes_without_sending_twice(  # type: ignore[no-untyped-def]
    dataset: Path, tmp_path: Path, reliability
):
    token = "hf_stub_write"
    shards = shard_files(dataset)
    with StubHub(write_tokens={token}) as hub:
        env = _env(HF_TOKEN=token, HF_TOKEN_PATH=str(tmp_path / "none"))
        args = ["publish", str(dataset), "--repo-id", "alice/kills", "--endpoint", hub.url]
        hub.state.hold_after_puts = 2  # the client stalls once two shards are stored
        assert _kill_when(args, lambda: len(hub.state.puts) >= 2, env=env)
        reliability["kills"] += 1
        hub.state.release.set()
        hub.state.hold_after_puts = None
        assert not hub.state.repos["alice/kills"].commits  # nothing committed half-way
        _devspeech(*args, env=env)
        repo = hub.state.repos["alice/kills"]
        assert len(repo.commits) == 1
        for shard in shards:
            assert repo.files[f"data/{shard.name}"] == shard.read_bytes()
        # the two shards the killed run stored are not sent again
        assert len(hub.state.puts) == len(shards) and len(set(hub.state.puts)) == len(shards)
