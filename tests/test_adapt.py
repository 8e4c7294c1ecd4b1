"""`devspeech adapt`: the whole loop for one user's code, on a tiny random model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devspeech.errors import InputError
from devspeech.workflows.adapt import AdaptOptions, adapt

pytestmark = pytest.mark.usefixtures("use_model_cache")


def test_adapt_mines_speaks_trains_benchmarks_exports_and_resumes(
    project: Path, tmp_path: Path
) -> None:
    options = AdaptOptions(output=tmp_path / "out", sources=(project,), packages=("click",),
                           utterances=60, engines=("espeak",), model="random:80", steps=2,
                           batch_size=2, general_data=None, export="onnx")  # fmt: skip
    lines: list[str] = []
    result = adapt(options, echo=lines.append)
    assert [line[:5] for line in lines if line.startswith("[")] == [
        "[1/5]",
        "[2/5]",
        "[3/5]",
        "[4/5]",
        "[5/5]",
    ]
    trained = next(line for line in lines if line.startswith("[3/5]"))
    assert trained == (
        "[3/5] finetune: random:80, decoder at lr 0.0002, 2 steps (on a CPU, a "
        "cached-encoder method" + trained.split("cached-encoder method")[1]
    )
    assert result.tuned.name == "model"  # the decoder's weights, whole
    assert result.exported == tmp_path / "out" / "model-onnx"
    assert (result.exported / "encoder.onnx").is_file()
    results = json.loads((result.bench / "results.json").read_text(encoding="utf-8"))
    assert [r["model"] for r in results] == ["random:80", str(result.tuned)]
    assert results[0]["split"] == "test_heldout"  # two espeak voices held out of training
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert report.startswith("## random:80 before and after, on test_heldout (an engine and "
                             "voices training never heard)\n\n| | base | tuned |\n|---|---|---|\n"
                             "| keyword recall | ")  # fmt: skip
    assert "\n| code-aware WER | " in report
    assert "## random:80: base against tuned on test_heldout (" in report
    assert "| keyword recall |" in report
    assert "## The same, both given the repository's " in report
    assert "| keyword recall, names never seen in training |" in report
    missed = report.split("## The names most often missed (without the vocabulary)\n\n")[1]
    assert missed.startswith("| name | said | missed before | missed after |")
    assert 3 <= len(missed.strip().splitlines()) <= 12  # a random model misses names
    vocabulary = (result.exported / "vocab.txt").read_text(encoding="utf-8")
    assert vocabulary == (tmp_path / "out" / "vocab.txt").read_text(encoding="utf-8")
    assert "useState" in vocabulary and "parse_args" in vocabulary
    run = json.loads((result.run / "run.json").read_text(encoding="utf-8"))
    assert run["options"]["vocabulary_prompt_fraction"] == 0.3
    listed = json.loads((result.bench / "with-vocabulary" / "results.json").read_text("utf-8"))
    assert [(r["model"], r["condition"]) for r in listed] == [
        ("random:80", "vocabulary"), (str(result.tuned), "vocabulary")]  # fmt: skip
    # the headline adds what tuning may break, from the run's own checks
    from devspeech.benchmark.results import read_results
    from devspeech.run_record import RunRecord
    from devspeech.workflows.adapt import headline

    checks = {side: {"general": {"wer": wer}, "long_form": {"timestamp_well_formed": well}}
              for side, wer, well in (("base", 0.5, 1.0), ("tuned", 0.25, 0.625))}  # fmt: skip
    RunRecord({"model": "random:80"}, "complete", checks=checks).write(tmp_path)
    base, tuned = read_results(result.bench / "results.json")
    assert headline(base, tuned, tmp_path).splitlines()[-2:] == [
        "| general-English WER (the run's check) | 0.500 | 0.250 |",
        "| long-form timestamps well formed (the run's check) | 1.000 | 0.625 |",
    ]
    again: list[str] = []
    adapt(options, echo=again.append)  # a rerun keeps what is finished
    assert any("utterances.jsonl is there; kept" in line for line in again)
    assert any("is finished; kept" in line for line in again)


def test_adapt_needs_something_to_mine(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="give at least one SOURCE folder, --package or --help-of"):
        AdaptOptions(output=tmp_path)
