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


def _results(
    tmp_path: Path, model: str, predictions: list[str], elapsed: float, split: str = "test"
) -> Path:
    lines = [
        Prediction(id=i, model=model, backend="transformers", condition="none",
                   decoding="greedy", reference=ref, prediction=hyp, audio_s=2.0,
                   elapsed_s=elapsed, dataset=f"dir:abc:{split}", data="ds", split=split,
                   labels=RowLabels(kind=kind, language=lang, keywords=tuple(kw),
                                    engine="espeak", noise="clean", duration_s=2.0),
                   model_revision=f"sha256:{model * 8}")
        for (i, ref, kind, lang, kw), hyp in zip(ROWS, predictions, strict=True)
    ]  # fmt: skip
    path = tmp_path / f"{model}-{split}.json"
    write_results(score_predictions(lines, resamples=50), path)
    return path


def test_leaderboard_ranks_each_split_apart_with_per_kind_headlines(tmp_path: Path):
    perfect = _results(tmp_path, "good", [r[1] for r in ROWS], elapsed=0.1)
    sloppy = _results(tmp_path, "bad", ["import numb pie as NP", "get push origin main",
                                        "run the test before you push"], elapsed=0.5)  # fmt: skip
    other = _results(tmp_path, "bad", [r[1] for r in ROWS], elapsed=0.5, split="validation")
    out = tmp_path / "board"
    args = ["leaderboard", str(sloppy), str(other), str(perfect), "-o", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    table = (out / "leaderboard.md").read_text(encoding="utf-8").splitlines()
    # one ranking per dataset split, never one across them
    assert [line for line in table if line.startswith("### ")] == [
        "### ds [test]",
        "### ds [validation]",
    ]
    header = [c.strip() for c in table[2].split("|")[1:-1]]
    assert header[:10] == ["model", "weights", "backend", "decoding", "condition", "rows",
                           "RTFx", "prose WER %", "code rows: code WER %",
                           "shell rows: code WER %"]  # fmt: skip
    assert "WER % over all kinds" in header
    assert table[3].startswith("|---|---|---|---|---|---:|---:|---:|")  # numbers to the right
    assert table[4].startswith(
        "| good | sha256:goodgoodgood | transformers | greedy | none | 3 | 20.0 | 0.0 (0.0–0.0) |"
    )
    assert table[5].startswith(
        "| bad | sha256:badbadbadbad | transformers | greedy | none | 3 | 4.0 |"
    )
    cells = [c.strip() for c in table[5].split("|")[1:-1]]
    # prose: "test" for "tests" (1 of 6 words); code: numb pie for numpy, NP for np (3 of 4)
    assert cells[header.index("prose WER %")].startswith("16.7 ")
    assert cells[header.index("code rows: code WER %")].startswith("75.0 ")
    assert cells[header.index("shell rows: code WER %")].startswith("25.0 ")
    software, machine = cells[-2:]
    assert software.startswith("devspeech ") and ", transformers " in software
    assert machine == f"{platform.processor() or platform.machine()} x{os.cpu_count()}"
    with (out / "leaderboard.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["model"], r["split"]) for r in rows] == [
        ("good", "test"),
        ("bad", "test"),
        ("bad", "validation"),
    ]
    assert float(rows[1]["wer"]) == pytest.approx(4 / 14)  # numb+pie, get, test on 14 words
    assert rows[1]["model_revision"] == "sha256:" + "bad" * 8
    page = (out / "leaderboard.html").read_text(encoding="utf-8")
    assert page.count("<table>") == 2 and page.count("<tr>") == 5
    assert "addEventListener" in page and "<script src" not in page
    images = sorted(p.name for p in out.glob("*.png"))
    assert images == ["1-ds-test-kinds.png", "1-ds-test-speed.png",
                      "2-ds-validation-kinds.png", "2-ds-validation-speed.png"]  # fmt: skip
    for name in images:
        assert f"<img src='{name}'" in page
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_leaderboard_refuses_files_that_are_not_results(tmp_path: Path):
    bogus = tmp_path / "x.json"
    bogus.write_text(json.dumps([{"hello": 1}]), encoding="utf-8")
    from devspeech.benchmark.leaderboard import load_results

    with pytest.raises(InputError, match=r"x\.json: result 0: missing field\(s\): model, backend"):
        load_results([bogus])
