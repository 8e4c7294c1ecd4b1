"""Predicting: prompts for each condition, batches of decoded clips, and predictions.jsonl.

Predictions are appended as each batch finishes, raw (before any normalization), so a
killed run resumes where it stopped and `score` can re-score them without a model.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from devspeech.benchmark.data import Clip
from devspeech.errors import InputError, RecordError
from devspeech.records import Prediction, RowLabels

CONDITIONS = ("none", "glossary", "oracle")
PREDICTIONS_FILE = "predictions.jsonl"
# what identifies one prediction: model, backend, decoding, condition, row id
Key = tuple[str, str, str, str, str]


def default_glossary() -> str:
    return resources.files("devspeech.benchmark").joinpath("data/glossary.txt").read_text("utf-8")


def read_glossary(path: Path | None) -> str:
    """The glossary prompt: the file's non-comment lines joined by commas (of a vocabulary
    file, the terms: the first tab-separated field of each line)."""
    text = path.read_text(encoding="utf-8") if path is not None else default_glossary()
    terms = [line.split("#", 1)[0].split("\t", 1)[0].strip() for line in text.splitlines()]
    prompt = ", ".join(t for t in terms if t)
    if not prompt:
        raise InputError(f"the glossary {path} holds no terms")
    return prompt


def check_conditions(conditions: Iterable[str]) -> None:
    for condition in conditions:
        if condition not in CONDITIONS:
            raise InputError(f"unknown condition {condition!r}; available: {', '.join(CONDITIONS)}")


def prompt_for(condition: str, labels: RowLabels, glossary: str) -> str | None:
    if condition == "none":
        return None
    if condition == "glossary":
        return glossary
    if condition == "oracle":
        return ", ".join(labels.keywords) or None
    raise InputError(f"unknown condition {condition!r}; available: {', '.join(CONDITIONS)}")


def drop_partial_line(path: Path) -> None:
    """Cut a line a killed run left half-written, so appending starts on a fresh line."""
    if not path.is_file():
        return
    with path.open("rb+") as handle:
        data = handle.read()
        if data and not data.endswith(b"\n"):
            handle.truncate(data.rfind(b"\n") + 1)


def read_predictions(path: Path) -> Iterator[Prediction]:
    """Every prediction of a file; a half-written last line (a killed run) is skipped."""
    with path.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            try:
                yield Prediction.from_dict(json.loads(raw))
            except json.JSONDecodeError:
                if not raw.endswith("\n"):  # the last line of a killed run: redone on resume
                    continue
                raise InputError(f"{path}:{number} is not JSON") from None
            except RecordError as error:
                raise InputError(f"{path}:{number}: not a prediction ({error})") from None


def done_keys(path: Path, fingerprint: str) -> tuple[set[Key], dict[str, str]]:
    """Predictions already made, and the model revision each model's came from, in one read
    of the file; refuses a file from another dataset."""
    done: set[Key] = set()
    revisions: dict[str, str] = {}
    if not path.is_file():
        return done, revisions
    for line in read_predictions(path):
        if line.dataset != fingerprint:
            raise InputError(
                f"{path} holds predictions for another dataset ({line.dataset}, this is "
                f"{fingerprint}); write to another folder"
            )
        done.add((line.model, line.backend, line.decoding, line.condition, line.id))
        revisions[line.model] = line.model_revision
    return done, revisions


def batches(clips: Iterable[Clip], size: int) -> Iterator[list[Clip]]:
    """`size` clips at a time, short and long-form rows apart (one decodes with timestamps);
    holds at most two partial batches, whatever the number of rows."""
    pending: dict[bool, list[Clip]] = {False: [], True: []}
    for clip in clips:
        group = pending[clip.long_form]
        group.append(clip)
        if len(group) == size:
            yield group
            pending[clip.long_form] = []
    for group in pending.values():
        if group:
            yield group


def predict_batch(
    backend: Any, batch: list[Clip], prompt: str | None, labels: dict[str, str]
) -> list[Prediction]:
    """Predictions of one batch, raw text; `labels` name model, backend, decoding, condition
    and data.

    A clip's own `elapsed_s` is recorded only when it was decoded alone; in a batch each row
    carries its share of the batch's wall time instead, for the run's RTFx.
    """
    started = time.perf_counter()
    transcripts = backend.transcribe([c.audio for c in batch], prompt, batch[0].long_form)
    elapsed = time.perf_counter() - started
    alone = len(batch) == 1
    return [
        Prediction(
            id=clip.id,
            model=labels["model"],
            backend=labels["backend"],
            condition=labels["condition"],
            decoding=labels["decoding"],
            reference=clip.reference,
            prediction=transcript.text,
            audio_s=round(clip.audio_s, 3),
            elapsed_s=round(elapsed, 6) if alone else None,
            wall_share_s=round(elapsed / len(batch), 6),
            dataset=labels["dataset"],
            data=labels["data"],
            split=labels["split"],
            labels=clip.labels,
            segments=transcript.segments,
            prompt=prompt,
            model_revision=labels.get("model_revision", ""),
        )
        for clip, transcript in zip(batch, transcripts, strict=True)
    ]


def append_predictions(sink: Any, predictions: Iterable[Prediction]) -> None:
    for line in predictions:
        sink.write(json.dumps(line.to_dict(), ensure_ascii=False) + "\n")
    sink.flush()
