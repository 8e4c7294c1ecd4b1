"""The standard library and three installed packages, mined whole (slow: about a minute)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from devspeech.corpus.mine import MineOptions, mine
from devspeech.corpus.sources import scan_package, scan_stdlib
from devspeech.corpus.sources.stdlib import stdlib_root
from devspeech.corpus.verbalize.speak import SPOKEN_RE

pytestmark = pytest.mark.slow


def test_stdlib_and_three_packages_give_thousands_of_every_kind() -> None:
    scans = [
        scan_stdlib(),
        scan_package("click"),
        scan_package("markdown-it-py"),
        scan_package("tqdm"),
    ]
    utterances, summary = mine(scans, MineOptions())
    assert summary.written["code"] > 1000 and summary.written["prose"] > 1000
    assert summary.written["shell"] > 0
    for u in utterances:
        assert SPOKEN_RE.fullmatch(u.spoken), u
    for u in utterances[::500]:
        if u.source.startswith("stdlib/"):
            path, line = u.source.removeprefix("stdlib/").rsplit(":", 1)
            text = (stdlib_root() / path).read_text(encoding="utf-8").split("\n")[int(line) - 1]
            assert u.text in text
            if u.kind == "code" and not u.text.endswith(":"):
                ast.parse(u.text + "\ndef f(): pass" if u.text.startswith("@") else u.text)


@pytest.mark.slow
def test_quickstart_runs_every_stage_at_small_scale(tmp_path: Path, use_model_cache: Path):
    from devspeech.dataset import read_rows
    from devspeech.quickstart import QuickstartOptions, run_quickstart

    lines: list[str] = []
    written = run_quickstart(
        QuickstartOptions(output=tmp_path / "qs", utterances=80, speech_rows=40), echo=lines.append
    )
    train = list(read_rows(written["dataset"], "train", columns=["speaker"]))
    test = list(read_rows(written["dataset"], "test", columns=["id"]))
    assert len(train) >= 10 and len(test) >= 6  # a quarter of the utterances are for test
    assert {r["speaker"]["engine"] for r in train} == {"espeak", "kokoro"}  # piper is held out
    assert (written["dataset"] / "README.md").is_file()
    assert any(line.startswith("[2/4] generator") for line in lines)
    assert any(
        line.startswith("[3/4] finetune: bundled:tiny.en, lora on the decoder layers, 60 steps")
        and line.endswith("with builtin:general-en mixed in")
        for line in lines
    )
    assert any(
        line.startswith("[4/4] benchmark: bundled:tiny.en and the fine-tuned") for line in lines
    )
    board = (written["leaderboard"] / "leaderboard.md").read_text(encoding="utf-8")
    pin = "sha256:1a5afae06a4d"  # the bundled tiny.en's pinned weights
    assert f"| bundled:tiny.en | {pin} | transformers | greedy | none |" in board
    assert f"| bundled:tiny.en | {pin} | transformers | greedy | glossary |" in board
    tuned = str(written["tuned"])
    assert f"| {tuned} | sha256:" in board
    assert (written["tuned"] / "adapter_model.safetensors").is_file()
