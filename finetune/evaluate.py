"""Scoring a model while it trains: greedy transcripts of validation rows, scored with the
benchmark's own metrics (corpus rates over the same per-row counts)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from devspeech.audio import SAMPLE_RATE, decode_16k
from devspeech.benchmark.backends import Transcript, decode_tokens
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
    model: Any, processor: Any, audios: Sequence[Any], multilingual: bool, timestamps: bool = False
) -> list[Transcript]:
    """Greedy transcripts (with segments when `timestamps`), a batch at a time, no prompt."""
    import torch

    device = next(model.parameters()).device
    out: list[Transcript] = []
    limit = LONG_MAX_NEW_TOKENS if timestamps else MAX_NEW_TOKENS
    # use_cache: on whatever the config says (without it every token recomputes attention
    # over all 1,500 encoder frames); force_unique_generate_call: one call per batch, as rows
    # are at most 30 s (without it a row whose output holds <|0.00|><|0.00|> never ends)
    kwargs: dict[str, Any] = {"do_sample": False, "num_beams": 1, "return_timestamps": timestamps,
                              "max_new_tokens": limit, "use_cache": True,
                              "force_unique_generate_call": True}  # fmt: skip
    if multilingual:
        kwargs.update(language="en", task="transcribe")
    for start in range(0, len(audios), EVAL_BATCH):
        batch = list(audios[start : start + EVAL_BATCH])
        features = processor.feature_extractor(
            batch, sampling_rate=SAMPLE_RATE, return_tensors="pt"
        ).input_features.to(device)
        with torch.inference_mode():
            output = model.generate(input_features=features, **kwargs)
        sequences = output["sequences"] if isinstance(output, dict) else output
        out += [decode_tokens(processor.tokenizer, s, timestamps) for s in sequences]
    return out


def evaluate(
    model: Any,
    processor: Any,
    rows: Sequence[EvalRow],
    multilingual: bool,
    timestamps: bool = False,
) -> dict:
    """Corpus WER, code-aware WER, keyword recall, exact match and loop rate on `rows`; with
    `timestamps`, also how many rows' timestamps are well formed and their boundary error."""
    if not rows:
        return {}
    was_training = model.training
    model.eval()
    decoded = transcribe(model, processor, [r.audio for r in rows], multilingual, timestamps)
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
