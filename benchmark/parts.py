"""A benchmark run as a job array: each job (`bench --num-shards N --shard-index I`) predicts
every N-th row into its own folder and records which rows it read in `part.json`;
`devspeech merge` puts the parts' predictions back in the source's row order and scores
them once, so the results equal those of one job over the whole split."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devspeech.benchmark.data import MAX_NAMED
from devspeech.benchmark.predict import PREDICTIONS_FILE, VOCABULARIES_DIR, read_predictions
from devspeech.benchmark.results import RESULTS_FILE, write_results
from devspeech.benchmark.score import load_vocabularies, score_predictions
from devspeech.errors import InputError
from devspeech.files import write_text_atomic
from devspeech.jsonl import read_json
from devspeech.records import Prediction, Result

if TYPE_CHECKING:
    from devspeech.benchmark.data import EvalSource
    from devspeech.benchmark.run import BenchOptions

PART_FILE = "part.json"
PART_HINT = "give the folders `bench --num-shards N --shard-index I` wrote"


def is_part(folder: Path) -> bool:
    return (folder / PART_FILE).is_file()


def claim_part(output: Path, num_shards: int, shard_index: int) -> None:
    """Mark `output` as this shard's folder (unfinished until `write_part`); refuse a folder
    that holds another shard's predictions or an unsharded run's."""
    path = output / PART_FILE
    if path.is_file():
        part = read_json(path, "a bench part record", PART_HINT)
        if (part["num_shards"], part["shard_index"]) != (num_shards, shard_index):
            raise InputError(
                f"{output} holds part {part['shard_index']} of {part['num_shards']}, not "
                f"{shard_index} of {num_shards}; write each part to its own folder"
            )
        return
    if num_shards == 1:
        return
    if (output / PREDICTIONS_FILE).is_file():
        raise InputError(f"{output} holds an unsharded run; write each part to its own folder")
    _write(path, {"num_shards": num_shards, "shard_index": shard_index, "complete": False})


def _write(path: Path, data: dict[str, Any]) -> None:
    write_text_atomic(path, json.dumps(data, ensure_ascii=False) + "\n")


def write_part(output: Path, source: EvalSource, options: BenchOptions, ids: list[str]) -> None:
    data = {
        "num_shards": options.num_shards,
        "shard_index": options.shard_index,
        "dataset": source.fingerprint,
        "data": source.name,
        "split": source.split,
        "resamples": options.resamples,
        "seed": options.seed,
        "failures": dict(source.failures),
        "failed": list(source.failed),
        "ids": ids,
        "complete": True,
    }
    _write(output / PART_FILE, data)


def _read_part(folder: Path) -> dict[str, Any]:
    path = folder / PART_FILE
    if not path.is_file():
        raise InputError(f"{folder} is not a part of a sharded bench (no {PART_FILE})")
    return dict(read_json(path, "a bench part record", PART_HINT))


def merge_bench(folders: Sequence[Path], output: Path) -> list[Result]:
    """Score the predictions of every part of one sharded bench into output/results.json
    (and their union, in row order, into output/predictions.jsonl)."""
    parts = [_read_part(f) for f in folders]
    first = parts[0]
    for folder, part in zip(folders, parts, strict=True):
        if not part["complete"]:
            raise InputError(f"{folder} is a part that has not finished; run it again to finish")
        for key in ("num_shards", "dataset", "resamples", "seed"):
            if part[key] != first[key]:
                raise InputError(
                    f"{folder} differs from {folders[0]} in {key} "
                    f"({part[key]} vs {first[key]}): not parts of one bench"
                )
    by_index = {p["shard_index"]: (f, p) for f, p in zip(folders, parts, strict=True)}
    if len(by_index) != len(parts):
        raise InputError("two of the parts are the same shard")
    missing = [i for i in range(first["num_shards"]) if i not in by_index]
    if missing:
        raise InputError(
            f"parts {', '.join(map(str, missing))} of {first['num_shards']} are missing"
        )
    # positions in the source: part i holds positions i, i + n, i + 2n, ...
    n = first["num_shards"]
    position = {
        row_id: index * n + shard
        for shard, (_, part) in by_index.items()
        for index, row_id in enumerate(part["ids"])
    }
    lines: list[Prediction] = []
    seen: set[tuple[str, str, str, str, str]] = set()
    for shard in range(n):
        folder = by_index[shard][0]
        path = folder / PREDICTIONS_FILE
        if not path.is_file():
            raise InputError(f"{folder} holds no {PREDICTIONS_FILE}")
        for line in read_predictions(path):
            key = (line.model, line.backend, line.decoding, line.condition, line.id)
            if line.dataset != first["dataset"] or line.id not in position:
                raise InputError(f"{path} holds a prediction of a row its part did not read")
            if key in seen:
                raise InputError(f"{path}: {line.id} predicted twice by {line.model}")
            seen.add(key)
            lines.append(line)
    groups: dict[tuple[str, str, str, str], int] = {}
    for line in lines:
        groups.setdefault((line.model, line.backend, line.decoding, line.condition), len(groups))
    lines.sort(
        key=lambda x: (groups[(x.model, x.backend, x.decoding, x.condition)], position[x.id])
    )
    if not lines:
        raise InputError("the parts hold no predictions")
    failures: Counter[str] = Counter()
    failed: list[str] = []
    for shard in range(n):
        part = by_index[shard][1]
        failures.update(part["failures"])
        failed += part["failed"]
    for folder, _ in by_index.values():  # the vocabularies in play go with the predictions
        for recorded in sorted((folder / VOCABULARIES_DIR).glob("*.txt")):
            write_text_atomic(
                output / VOCABULARIES_DIR / recorded.name, recorded.read_text("utf-8")
            )
    vocabularies = load_vocabularies(lines, output / PREDICTIONS_FILE)
    results = score_predictions(
        lines, first["resamples"], first["seed"], dict(failures), tuple(failed[:MAX_NAMED]),
        vocabularies,
    )  # fmt: skip
    text = "".join(json.dumps(line.to_dict(), ensure_ascii=False) + "\n" for line in lines)
    write_text_atomic(output / PREDICTIONS_FILE, text)
    write_results(results, output / RESULTS_FILE)
    return results
