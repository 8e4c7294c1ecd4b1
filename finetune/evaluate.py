"""Scoring a model while it trains: greedy transcripts of validation rows, scored with the
benchmark's own metrics (corpus rates over the same per-row counts)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from devspeech.audio import SAMPLE_RATE, decode_16k
from devspeech.benchmark.backends import (
    CHUNK_S,
    DecodeOptions,
    Transcript,
    TransformersBackend,
)
from devspeech.benchmark.data import EvalItem
from devspeech.benchmark.metrics import RATES, RowScore, score_pair

EVAL_METRICS = ("wer", "code_wer", "keyword_recall", "exact_match", "loop_rate")
EVAL_BATCH = 8
MAX_NEW_TOKENS = 160  # a looping model must not make an evaluation take minutes
LONG_MAX_NEW_TOKENS = 320  # packed rows of up to 30 s, with their timestamp tokens
TIMESTAMP_METRICS = ("timestamp_well_formed", "timestamp_mae_s")


@dataclass(frozen=True)
class EvalRow:
    """A validation row, decoded once and kept for every evaluation of the run."""

    row: EvalItem
    audio: Any  # float32 at 16 kHz


def eval_rows(rows: Sequence[EvalItem], limit: int, long_form: bool = False) -> list[EvalRow]:
    """The first `limit` short rows (one utterance each) of a split, decoded; with
    `long_form`, the packed rows of several segments instead."""
    chosen = [r for r in rows if r.long_form == long_form][:limit]
    return [EvalRow(r, decode_16k(r.audio)) for r in chosen]


def corpus_rates(scores: Sequence[RowScore], names: Sequence[str] = EVAL_METRICS) -> dict:
    """Each rate as its summed numerator over its summed denominator (None when empty)."""
    out: dict[str, float | None] = {}
    for name in names:
        top, bottom = RATES[name]
        denominator = sum(s.counts[bottom] for s in scores)
        out[name] = sum(s.counts[top] for s in scores) / denominator if denominator else None
    return out


def transcribe(
    model: Any, processor: Any, audios: Sequence[Any], timestamps: bool = False
) -> list[Transcript]:
    """Greedy transcripts (with segments when `timestamps`), a batch at a time, no prompt,
    decoded by the benchmark's transformers backend over the model in memory."""
    limit = LONG_MAX_NEW_TOKENS if timestamps else MAX_NEW_TOKENS
    # one 30 s window a row, as the feature extractor cut them when evaluation called
    # generate itself: a packed row a little over 30 s would otherwise be decoded long-form
    window = int(CHUNK_S * SAMPLE_RATE)
    audios = [a[:window] for a in audios]
    backend = TransformersBackend.of_model(model, processor, DecodeOptions(max_new_tokens=limit))
    out: list[Transcript] = []
    for start in range(0, len(audios), EVAL_BATCH):
        out += backend.transcribe(list(audios[start : start + EVAL_BATCH]), None, timestamps)
    return out


def evaluate(
    model: Any,
    processor: Any,
    rows: Sequence[EvalRow],
    timestamps: bool = False,
) -> dict:
    """Corpus WER, code-aware WER, keyword recall, exact match and loop rate on `rows`; with
    `timestamps`, also how many rows' timestamps are well formed and their boundary error."""
    if not rows:
        return {}
    was_training = model.training
    model.eval()
    decoded = transcribe(model, processor, [r.audio for r in rows], timestamps)
    if was_training:
        model.train()
    scores = []
    for r, transcript in zip(rows, decoded, strict=True):
        labels = r.row.labels
        scores.append(score_pair(
            r.row.reference, transcript.text, keywords=labels.keywords, kind=labels.kind,
            language=labels.language, duration_s=labels.duration_s,
            reference_segments=labels.segments if timestamps else (),
            predicted_segments=transcript.segments,
        ))  # fmt: skip
    return corpus_rates(scores, (*EVAL_METRICS, *TIMESTAMP_METRICS) if timestamps else EVAL_METRICS)
