"""The dataset on disk: Hub-layout parquet shards whose schema carries `datasets` features.

The generator writes it, the benchmark and the fine-tune stage read it, all through
here. Shards are written with pyarrow, so writing needs neither `datasets` nor
torchcodec; the `huggingface` schema metadata makes `datasets.load_dataset(DIR)` see
`audio` as an Audio feature. The features, the arrow schema and the card's YAML are
all derived from `DatasetRow`'s type hints. Readers stream a batch of rows at a time.
"""

from __future__ import annotations

import json
import os
import types
import typing
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any, get_args, get_origin

from devspeech.errors import InputError, RecordError
from devspeech.files import atomic_path
from devspeech.records import AudioData, DatasetRow, Record, hints

SAMPLE_RATE = 16_000  # every clip is stored at this rate (devspeech.audio re-exports it)
SPLITS = ("train", "validation", "test", "test_heldout")
DATA_DIR = "data"
RECIPE_FILE = "recipe.json"
STATE_DIR = ".devspeech"  # a writer's bookkeeping: failures per shard, progress
FAILURES_DIR = "failures"  # under STATE_DIR: what each shard could not speak, by reason
CARD_FILE = "README.md"  # written last: a dataset without its card is unfinished


def is_complete(root: Path) -> bool:
    """Whether the generator finished the dataset: it writes the card after the last shard."""
    return (root / RECIPE_FILE).is_file() and (root / CARD_FILE).is_file()


BATCH_ROWS = 64


def _feature(hint: Any) -> dict[str, Any]:
    """The `datasets` feature (its JSON form) of a record field's type hint."""
    if hint is AudioData:
        return {"sampling_rate": SAMPLE_RATE, "_type": "Audio"}
    if isinstance(hint, type) and issubclass(hint, Record):
        return {name: _feature(sub) for name, sub in hints(hint).items()}
    origin = get_origin(hint)
    if origin in (types.UnionType, typing.Union):  # nullable: parquet columns always are
        (inner,) = [o for o in get_args(hint) if o is not type(None)]
        return _feature(inner)
    if origin is tuple:
        return {"feature": _feature(get_args(hint)[0]), "_type": "List"}
    dtype = {str: "string", float: "float32", int: "int64", bool: "bool"}[hint]
    return {"dtype": dtype, "_type": "Value"}


@cache
def features() -> dict[str, Any]:
    """The `datasets` features of a row, as `Features.to_dict()` writes them."""
    return _feature(DatasetRow)


def _arrow_type(feature: dict[str, Any]) -> Any:
    import pyarrow as pa

    kind = feature.get("_type")
    if kind == "Value":
        return {"string": pa.string(), "float32": pa.float32(), "int64": pa.int64(),
                "bool": pa.bool_()}[feature["dtype"]]  # fmt: skip
    if kind == "Audio":
        return pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    if kind == "List":
        return pa.list_(_arrow_type(feature["feature"]))
    return pa.struct([(name, _arrow_type(sub)) for name, sub in feature.items()])


def arrow_schema() -> Any:
    """The pyarrow schema of a shard, with the features in its `huggingface` metadata."""
    import pyarrow as pa

    fields = [pa.field(name, _arrow_type(feature)) for name, feature in features().items()]
    metadata = {"huggingface": json.dumps({"info": {"features": features()}})}
    return pa.schema(fields, metadata=metadata)


def features_yaml() -> list[dict[str, Any]]:
    """`dataset_info.features` in the Hub card's YAML form."""

    def convert(name: str, feature: dict[str, Any]) -> dict[str, Any]:
        kind = feature.get("_type")
        if kind == "Value":
            return {"name": name, "dtype": feature["dtype"]}
        if kind == "Audio":
            return {"name": name, "dtype": {"audio": {"sampling_rate": feature["sampling_rate"]}}}
        if kind == "List":
            inner = convert(name, feature["feature"])
            return {"name": name, "list": inner.get("dtype", inner.get("struct"))}
        return {"name": name, "struct": [convert(k, v) for k, v in feature.items()]}

    return [convert(name, feature) for name, feature in features().items()]


def shard_name(split: str, index: int, count: int) -> str:
    return f"{split}-{index:05d}-of-{count:05d}.parquet"


def split_of(shard: Path) -> str:
    """The split a shard file belongs to, from its name."""
    return shard.name.rsplit("-", 4)[0]


def write_shard(path: Path, rows: Iterable[DatasetRow]) -> None:
    """Write rows to `path` through a temporary name, renamed only once complete."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist([row.to_dict() for row in rows], schema=arrow_schema())
    with atomic_path(path) as partial:
        pq.write_table(table, partial, row_group_size=100, compression="zstd")
        with partial.open("rb") as handle:
            os.fsync(handle.fileno())


def shard_files(root: Path, split: str | None = None) -> list[Path]:
    """Complete shards under root/data, in name order."""
    pattern = f"{split}-*.parquet" if split else "*.parquet"
    return sorted(p for p in (root / DATA_DIR).glob(pattern) if not p.name.startswith("."))


def splits_present(root: Path) -> list[str]:
    """The splits with at least one complete shard, in the usual order."""
    found = {split_of(p) for p in shard_files(root)}
    return [s for s in SPLITS if s in found] + sorted(found - set(SPLITS))


def _split_files(root: Path, split: str) -> list[Path]:
    files = shard_files(root, split)
    if not files:
        present = splits_present(root)
        has = f"it has {', '.join(present)}" if present else "it has no shards"
        raise InputError(f"{root} has no {split} shards under {DATA_DIR}/ ({has})")
    return files


def count_rows(root: Path, split: str) -> int:
    """Rows in one split, from the shards' footers (no row is read)."""
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(path).metadata.num_rows for path in shard_files(root, split))


def read_rows(root: Path, split: str, columns: list[str] | None = None) -> Iterator[dict[str, Any]]:
    """Rows of one split as plain dicts (`audio` as {"bytes", "path"}), a batch at a time.

    For a few columns of many rows; `read_records` gives whole, validated rows.
    """
    import pyarrow.parquet as pq

    for path in _split_files(root, split):
        parquet = pq.ParquetFile(path)
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=columns):
            yield from batch.to_pylist()


def read_records(root: Path, split: str) -> Iterator[DatasetRow]:
    """Whole rows of one split, validated; a broken row names its shard, row and field."""
    import pyarrow.parquet as pq

    for path in _split_files(root, split):
        parquet = pq.ParquetFile(path)
        missing = [c for c in DatasetRow.COLUMNS if c not in parquet.schema_arrow.names]
        if missing:
            raise InputError(f"{path}: not a devspeech shard (no {', '.join(missing)} column)")
        number = 0
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=list(DatasetRow.COLUMNS)):
            for row in batch.to_pylist():
                try:
                    yield DatasetRow.from_dict(row)
                except RecordError as error:
                    raise InputError(f"{path}: row {number}: {error}") from None
                number += 1
