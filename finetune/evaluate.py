"""Scoring a model while it trains: greedy transcripts of validation rows, scored with the
benchmark's own metrics (corpus rates over the same per-row counts)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from devspeech.audio import SAMPLE_RATE, decode_16k
from devspeech.benchmark.metrics import RATES, RowScore, score_pair
from devspeech.records import DatasetRow

EVAL_METRICS = ("wer", "code_wer", "keyword_recall", "exact_match", "loop_rate")
EVAL_BATCH = 8
MAX_NEW_TOKENS = 160  # a looping model must not make an evaluation take minutes


@dataclass(frozen=True)
class EvalRow:
    """A validation row, decoded once and kept for every evaluation of the run."""

    row: DatasetRow
    audio: Any  # float32 at 16 kHz


def eval_rows(rows: Sequence[DatasetRow], limit: int) -> list[EvalRow]:
    """The first `limit` short rows (one utterance each) of a split, decoded."""
    chosen = [r for r in rows if not r.long_form][:limit]
    return [EvalRow(r, decode_16k(r.audio.bytes)) for r in chosen]


def corpus_rates(scores: Sequence[RowScore], names: Sequence[str] = EVAL_METRICS) -> dict:
    """Each rate as its summed numerator over its summed denominator (None when empty)."""
    out: dict[str, float | None] = {}
    for name in names:
        top, bottom = RATES[name]
        denominator = sum(s.counts[bottom] for s in scores)
        out[name] = sum(s.counts[top] for s in scores) / denominator if denominator else None
    return out


def transcribe(model: Any, processor: Any, audios: Sequence[Any], multilingual: bool) -> list[str]:
    """Greedy transcripts, a batch at a time, without timestamps or prompt."""
    import torch

    device = next(model.parameters()).device
    texts: list[str] = []
    kwargs: dict[str, Any] = {"do_sample": False, "num_beams": 1, "max_new_tokens": MAX_NEW_TOKENS}
    if multilingual:
        kwargs.update(language="en", task="transcribe")
    for start in range(0, len(audios), EVAL_BATCH):
        batch = list(audios[start : start + EVAL_BATCH])
        features = processor.feature_extractor(
            batch, sampling_rate=SAMPLE_RATE, return_tensors="pt"
        ).input_features.to(device)
        with torch.inference_mode():
            output = model.generate(input_features=features, **kwargs)
        texts += [
            t.strip() for t in processor.tokenizer.batch_decode(output, skip_special_tokens=True)
        ]
    return texts


def evaluate(model: Any, processor: Any, rows: Sequence[EvalRow], multilingual: bool) -> dict:
    """Corpus WER, code-aware WER, keyword recall, exact match and loop rate on `rows`."""
    if not rows:
        return {}
    was_training = model.training
    model.eval()
    texts = transcribe(model, processor, [r.audio for r in rows], multilingual)
    if was_training:
        model.train()
    scores = [
        score_pair(
            r.row.text, text, keywords=r.row.keywords, kind=r.row.kind, language=r.row.language,
            duration_s=r.row.duration_s,
        )
        for r, text in zip(rows, texts, strict=True)
    ]  # fmt: skip
    return corpus_rates(scores)
