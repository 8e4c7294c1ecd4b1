"""Predicting: prompts for each condition, batches of decoded clips, and predictions.jsonl.

Predictions are appended as each batch finishes, raw (before any normalization), so a
killed run resumes where it stopped and `score` can re-score them without a model.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import time
from collections.abc import Collection, Iterable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from devspeech.benchmark.data import Clip
from devspeech.benchmark.vocab_rank import PROMPT_TERMS, second_pass_kept, vocabulary_prompt
from devspeech.errors import InputError, RecordError
from devspeech.files import write_text_atomic
from devspeech.jsonl import text_lines
from devspeech.records import Prediction, RowLabels
from devspeech.seeding import item_rng
from devspeech.vocabulary import HEADER, Vocabulary, parse_vocabulary, read_vocabulary

CONDITIONS = ("none", "glossary", "oracle", "vocabulary")
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


@functools.cache
def distractor_pool() -> Vocabulary:
    """Names of other projects (shipped), for runs with a set number of terms in play."""
    text = resources.files("devspeech.benchmark").joinpath("data/distractors.txt")
    return parse_vocabulary(text.read_text("utf-8"), "the shipped distractor pool")


def with_distractors(vocabulary: Vocabulary, count: int, seed: int) -> Vocabulary:
    """`vocabulary` and `count` names from the pool that it lacks, drawn by `seed`."""
    spare = [t for t in distractor_pool().terms if t.text not in vocabulary]
    if count > len(spare):
        raise InputError(f"--distractors {count}: the shipped pool has {len(spare)} names "
                         "besides the vocabulary's; ask for fewer")  # fmt: skip
    drawn = item_rng(seed, "distractors", count).sample(spare, count)
    return vocabulary.extended(drawn)


VOCABULARIES_DIR = "vocabularies"


def record_vocabulary(output: Path, vocabulary: Vocabulary) -> str:
    """Keep the terms in play beside the predictions (scoring reads them for precision);
    returns their fingerprint, which every prediction made with them records."""
    text = "".join(t.line() + "\n" for t in vocabulary.terms)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    path = output / VOCABULARIES_DIR / f"{digest}.txt"
    if not path.is_file():
        write_text_atomic(path, HEADER + text)
    return digest


def recorded_vocabulary(predictions: Path, digest: str) -> Vocabulary | None:
    path = predictions.parent / VOCABULARIES_DIR / f"{digest}.txt"
    return read_vocabulary(path) if digest and path.is_file() else None


def check_conditions(conditions: Iterable[str]) -> None:
    for condition in conditions:
        if condition not in CONDITIONS:
            raise InputError(f"unknown condition {condition!r}; available: {', '.join(CONDITIONS)}")


def prompt_for(condition: str, labels: RowLabels, glossary: str) -> str | None:
    """The prompt of a one-pass condition (`vocabulary` is two passes: predict_two_pass)."""
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


PREDICTIONS_WHAT = "a predictions file"
PREDICTIONS_HINT = "give the predictions.jsonl a bench run wrote"


def read_predictions(path: Path) -> Iterator[Prediction]:
    """Every prediction of a file; a half-written last line (a killed run) is skipped."""
    for number, raw in text_lines(path, PREDICTIONS_WHAT, PREDICTIONS_HINT):
        if not raw.strip():
            continue
        try:
            yield Prediction.from_dict(json.loads(raw))
        except json.JSONDecodeError:
            if not raw.endswith("\n"):  # the last line of a killed run: redone on resume
                continue
            raise InputError(
                f"{path}:{number}: not valid JSON, so not {PREDICTIONS_WHAT}; {PREDICTIONS_HINT}"
            ) from None
        except RecordError as error:
            raise InputError(
                f"{path}:{number}: not a prediction ({error}); {PREDICTIONS_HINT}"
            ) from None


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
    backend: Any,
    batch: list[Clip],
    prompt: str | None,
    labels: dict[str, str],
    seen: Collection[str] | None = None,
) -> list[Prediction]:
    """Predictions of one batch, raw text; `labels` name model, backend, decoding, condition
    and data.

    A clip's own `elapsed_s` is recorded only when it was decoded alone; in a batch each row
    carries its share of the batch's wall time instead, for the run's RTFx. `seen` are the
    names the model trained on, where known: each row records which of its keywords they are.
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
            vocabulary=labels.get("vocabulary", ""),
            seen_keywords=None
            if seen is None
            else tuple(k for k in clip.labels.keywords if k in seen),
        )
        for clip, transcript in zip(batch, transcripts, strict=True)
    ]


def predict_two_pass(
    backend: Any,
    batch: list[Clip],
    vocabulary: Vocabulary,
    labels: dict[str, str],
    seen: Collection[str] | None = None,
    limit: int = PROMPT_TERMS,
) -> list[Prediction]:
    """The `vocabulary` condition: the batch decoded without a prompt, then each clip again
    with the vocabulary's terms that sound or read most like its first pass as its prompt;
    a second pass that loops where the first did not gives way to the first (the prompt
    stays recorded). Each row's wall share is its share of the first pass plus its own
    second pass."""
    started = time.perf_counter()
    first = backend.transcribe([c.audio for c in batch], None, batch[0].long_form)
    shared = (time.perf_counter() - started) / len(batch)
    out = []
    for clip, heard in zip(batch, first, strict=True):
        began = time.perf_counter()
        prompt = vocabulary_prompt(heard.text, vocabulary, limit) or None
        (line,) = predict_batch(backend, [clip], prompt, labels, seen)
        if not second_pass_kept(heard.text, line.prediction):  # it looped: the first pass
            line = dataclasses.replace(line, prediction=heard.text,
                                       segments=heard.segments)  # fmt: skip
        spent = shared + time.perf_counter() - began
        alone = round(spent, 6) if len(batch) == 1 else None
        out.append(dataclasses.replace(line, elapsed_s=alone, wall_share_s=round(spent, 6)))
    return out


def append_predictions(sink: Any, predictions: Iterable[Prediction]) -> None:
    for line in predictions:
        sink.write(json.dumps(line.to_dict(), ensure_ascii=False) + "\n")
    sink.flush()
