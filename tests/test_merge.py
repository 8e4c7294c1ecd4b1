"""Job arrays: parts of `generate` and of `bench` written by separate jobs, merged by
`devspeech merge` into what one job would have written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from speech_data import spoken_dataset

from devspeech.benchmark.parts import merge_bench
from devspeech.benchmark.results import read_results
from devspeech.benchmark.run import BenchOptions, run_bench
from devspeech.cli import cli
from devspeech.dataset import CARD_FILE, is_complete, shard_files
from devspeech.errors import InputError
from devspeech.generator.api import GenerateOptions, RunOptions, generate
from devspeech.generator.merge import merge_datasets
from devspeech.jsonl import write_jsonl
from devspeech.records import Utterance, utterance_id

FAST = GenerateOptions(engines=("espeak",), rooms=2, rows_per_shard=8, longform_fraction=0.2)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "utterances.jsonl"
    lines = [f"Call parse_args{n} before main returns." for n in range(30)]
    write_jsonl(path, [Utterance(utterance_id("prose", t), t, t.replace("_", " underscore "),
                                 "prose", "", ("parse_args",), "test", "x", "MIT")
                       for t in lines])  # fmt: skip
    return path


def _files(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in shard_files(root)}


def test_parts_of_a_job_array_merge_into_the_dataset_one_job_writes(corpus: Path, tmp_path: Path):
    whole, a, b, merged = (tmp_path / n for n in ("whole", "a", "b", "merged"))
    generate(corpus, whole, FAST)
    generate(corpus, a, FAST, RunOptions(num_shards=3, shard_index=0))
    generate(corpus, b, FAST, RunOptions(num_shards=3, shard_index=1))
    assert not is_complete(a) and len(shard_files(whole)) >= 4

    first = merge_datasets([a, b], merged)
    assert not first.complete and first.missing and not (merged / CARD_FILE).exists()
    # the last job's part arrives later: merged into the same folder, which completes it
    c = tmp_path / "c"
    generate(corpus, c, FAST, RunOptions(num_shards=3, shard_index=2))
    second = merge_datasets([merged, c], merged)
    assert second.complete and second.shards_present == len(shard_files(whole))
    assert _files(merged) == _files(whole)
    assert (merged / CARD_FILE).read_text() == (whole / CARD_FILE).read_text()
    assert is_complete(merged)
    # merging again adds nothing and changes nothing
    assert merge_datasets([a, b, c], merged).shards_added == 0

    # through the CLI, into a part's own folder
    result = CliRunner().invoke(cli, ["merge", str(a), str(b), str(c), "-o", str(a)])
    assert result.exit_code == 0, result.output
    assert f"{a} is complete" in result.output and _files(a) == _files(whole)


def test_parts_of_other_recipes_or_damaged_shards_are_refused(corpus: Path, tmp_path: Path):
    a, b, other = tmp_path / "a", tmp_path / "b", tmp_path / "other"
    generate(corpus, a, FAST, RunOptions(num_shards=2, shard_index=0))
    generate(corpus, b, FAST, RunOptions(num_shards=2, shard_index=1))
    generate(corpus, other, GenerateOptions(engines=("espeak",), rooms=3, rows_per_shard=8),
             RunOptions(num_shards=2, shard_index=1))  # fmt: skip
    with pytest.raises(
        InputError, match=f"{other} holds another recipe than {a} \\(differs in rooms"
    ):
        merge_datasets([a, other], tmp_path / "out")
    assert not (tmp_path / "out").exists()  # nothing written before every part is checked
    shard = shard_files(b)[0]
    shutil.copy(shard, a / "data" / shard.name)
    damaged = bytearray(shard.read_bytes())
    damaged[-100] ^= 0xFF
    shard.write_bytes(bytes(damaged))
    with pytest.raises(InputError, match=f"{shard} differs from"):
        merge_datasets([a, b], a)
    result = CliRunner().invoke(cli, ["merge", str(a), str(corpus.parent), "-o", str(a)])
    assert result.exit_code != 0 and "every part must be a dataset folder" in result.output


LINES = [
    ("code", "python", "import numpy as np", "import numpy as n p", ("numpy",)),
    ("shell", "bash", "git push origin main", "git push origin main", ("git",)),
    ("prose", "", "Run the tests before you push.", "run the tests before you push", ()),
]


@pytest.mark.usefixtures("use_model_cache")
def test_bench_parts_score_like_one_job_over_every_row(tmp_path: Path):
    dataset = spoken_dataset(tmp_path, LINES, count=60)
    options = BenchOptions(models=("bundled:tiny.en",), data=str(dataset), resamples=200)
    whole = run_bench(options, tmp_path / "whole")
    assert whole.rows >= 3
    parts, rows = [], 0
    for index in range(2):
        folder = tmp_path / f"part{index}"
        run = run_bench(BenchOptions(**{**options.__dict__, "num_shards": 2,
                                        "shard_index": index}), folder)  # fmt: skip
        assert run.results == [] and not (folder / "results.json").exists()
        parts.append(folder)
        rows += run.rows
    assert rows == whole.rows  # every row in exactly one part
    with pytest.raises(InputError, match="parts 1 of 2 are missing"):
        merge_bench(parts[:1], tmp_path / "merged")
    results = merge_bench(parts, tmp_path / "merged")
    assert [r.metrics for r in results] == [r.metrics for r in whole.results]
    assert [r.rows for r in results] == [whole.rows]
    assert read_results(tmp_path / "merged" / "results.json") == results

    def untimed(path: Path) -> list[dict]:
        rows = [json.loads(x) for x in path.read_text().splitlines()]
        return [{k: v for k, v in r.items() if k not in ("elapsed_s", "wall_share_s")}
                for r in rows]  # fmt: skip

    assert untimed(tmp_path / "merged" / "predictions.jsonl") == untimed(
        tmp_path / "whole" / "predictions.jsonl"
    )
    # a part's folder takes no other part, and --limit does not shard
    with pytest.raises(InputError, match="holds part 0 of 2, not 1 of 2"):
        run_bench(BenchOptions(**{**options.__dict__, "num_shards": 2, "shard_index": 1}),
                  parts[0])  # fmt: skip
    with pytest.raises(InputError, match="--limit takes the first rows of a split"):
        run_bench(BenchOptions(**{**options.__dict__, "num_shards": 2, "limit": 2}),
                  tmp_path / "limited")  # fmt: skip
