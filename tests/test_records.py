"""Records at the seams: round trips through parquet and JSON, and errors naming the field."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from devspeech.dataset import arrow_schema, features, read_records, write_shard
from devspeech.errors import InputError, RecordError
from devspeech.records import (
    AudioData,
    Augmentation,
    Breakdown,
    Comparison,
    Counts,
    DatasetRow,
    Difference,
    Estimate,
    Machine,
    Prediction,
    Result,
    RowLabels,
    Segment,
    Speaker,
    Utterance,
    WordTiming,
    utterance_id,
)

ROW = DatasetRow(
    id="abc",
    audio=AudioData(b"fLaC\x00\x01", "abc.flac"),
    text="np.array(x)",
    spoken="n p dot array of x",
    kind="code",
    language="python",
    keywords=("np.array",),
    words=(WordTiming("n", 0.25, 0.5), WordTiming("p", 0.5, 0.75)),
    text_words=(),
    segments=(Segment("np.array(x)", 0.25, 1.5),),
    speaker=Speaker("espeak", "en-us+m1", "us", 1.125, 0.875),
    augmentation=Augmentation("room007", 0.5, 12.5, "pink", ("room(room007)", "noise(pink)")),
    duration_s=1.75,
    source="demo/a.py:1",
    license="MIT",
)
PREDICTION = Prediction(
    id="abc", model="bundled:tiny.en", backend="transformers", condition="none",
    decoding="greedy", reference="np.array(x)", prediction="np array x", audio_s=1.75,
    elapsed_s=0.5, dataset="dir:0:test", data="ds", split="test",
    labels=RowLabels("code", "python", ("np.array",), "espeak", "clean", 1.75, ROW.segments),
    segments=(Segment("np array x", 0.0, 1.5),),
)  # fmt: skip
ESTIMATE = Estimate(0.5, 0.25, 0.75)
RESULT = Result(
    model="bundled:tiny.en", backend="transformers", condition="none", decoding="greedy",
    data="ds", dataset="dir:0:test", split="test", rows=1, failures={"corrupt audio": 2},
    metrics={"wer": ESTIMATE, "cer": Estimate(None, None, None)},
    counts=Counts(1, 0, 2, 3), audio_s=1.75, elapsed_s=0.5, rtfx=3.5,
    breakdowns={"kind": {"code": Breakdown(1, {"wer": ESTIMATE})}},
    compared=Comparison("base [none]", 1, {"wer": Difference(0.25, 0.0, 0.5, 0.5)}),
    versions={"devspeech": "0.1"}, machine=Machine("Linux", 2, "x86_64"),
)  # fmt: skip


def test_a_dataset_row_survives_parquet(tmp_path: Path):
    other = replace(ROW, id="long-1", augmentation=Augmentation(), segments=(
        Segment("a", 0.0, 1.0), Segment("b", 1.5, 2.0)))  # fmt: skip
    write_shard(tmp_path / "data" / "test-00000-of-00001.parquet", [ROW, other])
    back = list(read_records(tmp_path, "test"))
    assert back == [ROW, other]  # every float above is exact in float32
    assert back[1].augmentation.snr_db is None and back[1].long_form


@pytest.mark.parametrize("record", [PREDICTION, RESULT], ids=["prediction", "result"])
def test_predictions_and_results_survive_json(record):
    assert type(record).from_dict(json.loads(json.dumps(record.to_dict()))) == record


def test_an_utterance_survives_json():
    text = "kubectl get pods"
    utterance = Utterance(utterance_id("shell", text), text, "kube control get pods", "shell",
                          "bash", ("kubectl",), "test", "x:1", "MIT")  # fmt: skip
    assert Utterance.from_dict(json.loads(json.dumps(utterance.to_dict()))) == utterance


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"words": [{"word": "n", "start": "soon", "end": 1.0}]},
            "field 'words[0].start' must be a number",
        ),
        (
            {"speaker": {"engine": "espeak"}},
            "speaker: missing field(s): voice, accent, rate, pitch",
        ),
        ({"keywords": "np.array"}, "field 'keywords' must be a list"),
        (
            {"augmentation": {**ROW.augmentation.to_dict(), "chain": [1]}},
            "field 'augmentation.chain[0]' must be a string",
        ),
        ({"segments": []}, "row abc: field 'segments' must not be empty"),
        ({"duration_s": True}, "field 'duration_s' must be a number"),
    ],
)
def test_a_broken_row_names_its_field(change: dict, message: str):
    with pytest.raises(RecordError) as error:
        DatasetRow.from_dict({**ROW.to_dict(), **change})
    assert str(error.value) == message


def test_broken_predictions_and_results_name_their_field():
    with pytest.raises(RecordError, match=r"^field 'labels.keywords\[0\]' must be a string$"):
        Prediction.from_dict({**PREDICTION.to_dict(), "labels": {"keywords": [3]}})
    broken = {**RESULT.to_dict(), "metrics": {"wer": {"value": 0.5, "low": 0.25}}}
    with pytest.raises(RecordError, match=r"^metrics\['wer'\]: missing field\(s\): high$"):
        Result.from_dict(broken)


def test_a_shard_with_a_broken_row_names_shard_row_and_field(tmp_path: Path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    good = ROW.to_dict()
    bad = {**good, "id": "def", "text": "   "}
    path = tmp_path / "data" / "test-00000-of-00001.parquet"
    path.parent.mkdir()
    pq.write_table(pa.Table.from_pylist([good, bad], schema=arrow_schema()), path)
    with pytest.raises(
        InputError, match=r"test-00000-of-00001.parquet: row 1: row def: field 'text'"
    ):
        list(read_records(tmp_path, "test"))
    with pytest.raises(InputError, match=r"has no validation shards under data/ \(it has test\)"):
        list(read_records(tmp_path, "validation"))


def test_features_are_derived_from_the_row_record():
    """The exact `datasets` features every published dataset so far was written with."""

    def value(dtype: str) -> dict:
        return {"dtype": dtype, "_type": "Value"}

    def listed(feature: dict) -> dict:
        return {"feature": feature, "_type": "List"}

    timed = {"start": value("float32"), "end": value("float32")}
    assert features() == {
        "id": value("string"),
        "audio": {"sampling_rate": 16_000, "_type": "Audio"},
        "text": value("string"),
        "spoken": value("string"),
        "kind": value("string"),
        "language": value("string"),
        "keywords": listed(value("string")),
        "words": listed({"word": value("string"), **timed}),
        "text_words": listed({"word": value("string"), **timed}),
        "segments": listed({"text": value("string"), **timed}),
        "speaker": {"engine": value("string"), "voice": value("string"),
                    "accent": value("string"), "rate": value("float32"),
                    "pitch": value("float32")},
        "augmentation": {"room": value("string"), "rt60_s": value("float32"),
                         "snr_db": value("float32"), "noise": value("string"),
                         "chain": listed(value("string"))},
        "duration_s": value("float32"),
        "source": value("string"),
        "license": value("string"),
    }  # fmt: skip
