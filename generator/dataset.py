"""The dataset on disk: Hub-layout parquet shards whose schema carries `datasets` features.

Shards are written with pyarrow, so writing needs neither `datasets` nor torchcodec;
the `huggingface` schema metadata makes `datasets.load_dataset(DIR)` see `audio` as
an Audio feature. `read_rows` reads a dataset back with soundfile alone.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from devspeech.errors import InputError
from devspeech.generator.speech import SAMPLE_RATE

SPLITS = ("train", "validation", "test", "test_heldout")


def _value(dtype: str) -> dict[str, str]:
    return {"dtype": dtype, "_type": "Value"}


def _list(feature: dict[str, Any]) -> dict[str, Any]:
    return {"feature": feature, "_type": "List"}


FEATURES: dict[str, Any] = {
    "id": _value("string"),
    "audio": {"sampling_rate": SAMPLE_RATE, "_type": "Audio"},
    "text": _value("string"),
    "spoken": _value("string"),
    "kind": _value("string"),
    "language": _value("string"),
    "keywords": _list(_value("string")),
    "words": _list(
        {"word": _value("string"), "start": _value("float32"), "end": _value("float32")}
    ),
    "text_words": _list(
        {"word": _value("string"), "start": _value("float32"), "end": _value("float32")}
    ),
    "segments": _list(
        {"text": _value("string"), "start": _value("float32"), "end": _value("float32")}
    ),
    "speaker": {
        "engine": _value("string"),
        "voice": _value("string"),
        "accent": _value("string"),
        "rate": _value("float32"),
        "pitch": _value("float32"),
    },
    "augmentation": {
        "room": _value("string"),
        "rt60_s": _value("float32"),
        "snr_db": _value("float32"),
        "noise": _value("string"),
        "chain": _list(_value("string")),
    },
    "duration_s": _value("float32"),
    "source": _value("string"),
    "license": _value("string"),
}


def _arrow_type(feature: dict[str, Any]) -> Any:
    import pyarrow as pa

    kind = feature.get("_type")
    if kind == "Value":
        return {"string": pa.string(), "float32": pa.float32()}[feature["dtype"]]
    if kind == "Audio":
        return pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    if kind == "List":
        return pa.list_(_arrow_type(feature["feature"]))
    return pa.struct([(name, _arrow_type(sub)) for name, sub in feature.items()])


def arrow_schema() -> Any:
    """The pyarrow schema of a shard, with the features in its `huggingface` metadata."""
    import pyarrow as pa

    fields = [pa.field(name, _arrow_type(feature)) for name, feature in FEATURES.items()]
    metadata = {"huggingface": json.dumps({"info": {"features": FEATURES}})}
    return pa.schema(fields, metadata=metadata)


def shard_name(split: str, index: int, count: int) -> str:
    return f"{split}-{index:05d}-of-{count:05d}.parquet"


def write_shard(path: Path, rows: list[dict[str, Any]]) -> None:
    """Write rows to `path` through a temporary name, renamed only once complete."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema()
    partial = path.with_name(f".{path.name}.partial")
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pylist(rows, schema=schema)
    pq.write_table(table, partial, row_group_size=100, compression="zstd")
    with partial.open("rb") as handle:
        os.fsync(handle.fileno())
    partial.replace(path)


def shard_files(root: Path, split: str | None = None) -> list[Path]:
    """Complete shards under root/data, in name order."""
    pattern = f"{split}-*.parquet" if split else "*.parquet"
    return sorted(p for p in (root / "data").glob(pattern) if not p.name.startswith("."))


def read_rows(root: Path, split: str, columns: list[str] | None = None) -> Iterator[dict[str, Any]]:
    """Rows of one split as dicts, `audio` as {"bytes", "path"}; no torchcodec involved."""
    import pyarrow.parquet as pq

    files = shard_files(root, split)
    if not files:
        raise InputError(f"{root} has no {split} shards under data/")
    for path in files:
        parquet = pq.ParquetFile(path)
        for batch in parquet.iter_batches(batch_size=64, columns=columns):
            yield from batch.to_pylist()
