"""The leaderboard from results files alone: ranking, tables, the HTML page and plots."""

from __future__ import annotations

import csv
import json
import os
import platform
from pathlib import Path

import pytest
from click.testing import CliRunner

from devspeech.benchmark.results import write_results
from devspeech.benchmark.score import score_predictions
from devspeech.cli import cli
from devspeech.errors import InputError
from devspeech.records import Prediction, RowLabels

ROWS = [
    ("a", "import numpy as np", "code", "python", ["numpy"]),
    ("b", "git push origin main", "shell", "bash", ["git"]),
    ("c", "Run the tests before you push.", "prose", "", []),
]


def _results(tmp_path: Path, model: str, predictions: list[str], elapsed: float) -> Path:
    lines = [
        Prediction(id=i, model=model, backend="transformers", condition="none",
                   decoding="greedy", reference=ref, prediction=hyp, audio_s=2.0,
                   elapsed_s=elapsed, dataset="dir:abc:test", data="ds", split="test",
                   labels=RowLabels(kind=kind, language=lang, keywords=tuple(kw),
                                    engine="espeak", noise="clean", duration_s=2.0))
        for (i, ref, kind, lang, kw), hyp in zip(ROWS, predictions, strict=True)
    ]  # fmt: skip
    path = tmp_path / f"{model}.json"
    write_results(score_predictions(lines, resamples=50), path)
    return path


def test_leaderboard_ranks_by_wer_and_writes_every_format(tmp_path: Path):
    perfect = _results(tmp_path, "good", [r[1] for r in ROWS], elapsed=0.1)
    sloppy = _results(tmp_path, "bad", ["import numb pie as NP", "get push origin main",
                                        "run the test before you push"], elapsed=0.5)  # fmt: skip
    out = tmp_path / "board"
    result = CliRunner().invoke(cli, ["leaderboard", str(sloppy), str(perfect), "-o", str(out)])
    assert result.exit_code == 0, result.output
    table = (out / "leaderboard.md").read_text(encoding="utf-8").splitlines()
    assert table[2].startswith(
        "| good | transformers | greedy | none | ds [test] | 3 | 20.0 | 0.0 (0.0–0.0) |"
    )
    assert table[3].startswith("| bad | transformers | greedy | none | ds [test] | 3 | 4.0 |")
    software, machine = (cell.strip() for cell in table[2].split("|")[-3:-1])
    assert software.startswith("devspeech ") and ", transformers " in software
    assert machine == f"{platform.processor() or platform.machine()} x{os.cpu_count()}"
    with (out / "leaderboard.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["model"] for r in rows] == ["good", "bad"]
    assert float(rows[0]["wer"]) == 0.0
    assert float(rows[1]["wer"]) == pytest.approx(4 / 14)  # numb+pie, get, test on 14 words
    page = (out / "leaderboard.html").read_text(encoding="utf-8")
    assert page.count("<tr>") == 3 and "addEventListener" in page and "<script src" not in page
    for name in ("wer_vs_rtfx.png", "wer_by_kind.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_leaderboard_refuses_files_that_are_not_results(tmp_path: Path):
    bogus = tmp_path / "x.json"
    bogus.write_text(json.dumps([{"hello": 1}]), encoding="utf-8")
    from devspeech.benchmark.leaderboard import load_results

    with pytest.raises(InputError, match=r"x\.json: result 0: missing field\(s\): model, backend"):
        load_results([bogus])
