"""Scoring: predictions to results, every rate with its bootstrap interval, breakdowns per
label and a paired comparison against the first result."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

from devspeech.benchmark.bootstrap import bootstrap, paired_bootstrap
from devspeech.benchmark.metrics import RATES, RowScore, Vocabulary, score_pair
from devspeech.benchmark.predict import VOCABULARIES_DIR, read_predictions, recorded_vocabulary
from devspeech.benchmark.results import machine, versions
from devspeech.errors import InputError
from devspeech.records import (
    Breakdown,
    Comparison,
    Counts,
    Difference,
    Estimate,
    Prediction,
    Result,
)

BREAKDOWNS = ("kind", "engine", "noise")
BREAKDOWN_METRICS = ("wer", "code_wer", "keyword_recall", "exact_match")
COMPARED_METRICS = (
    "wer",
    "code_wer",
    "keyword_recall",
    "python_ast_match",
    "shell_match",
    "exact_match",
    "timestamp_well_formed",
)


def dataset_vocabulary(lines: Iterable[Prediction]) -> Vocabulary:
    """Every keyword of the predicted rows: the biasing terms a model could write."""
    return Vocabulary.of(k for line in lines for k in line.labels.keywords)


def terms_in_play(
    vocabulary: Vocabulary,
    prompt: str | None,
    merged: dict[tuple[str | None, str], Vocabulary] | None = None,
    extra: tuple[str, Vocabulary] = ("", Vocabulary()),
) -> Vocabulary:
    """`vocabulary` with the prompt's terms and a recorded vocabulary's (`extra`: its
    fingerprint and terms); `merged` keeps one merge per distinct prompt and vocabulary."""
    key = (prompt, extra[0])
    if merged is not None and key in merged:
        return merged[key]
    terms = vocabulary.with_terms(Vocabulary.of(prompt_terms(prompt)).needles())
    terms = terms.with_terms(extra[1].needles())
    if merged is not None:
        merged[key] = terms
    return terms


def prompt_terms(prompt: str | None) -> tuple[str, ...]:
    """The terms of a glossary or keyword prompt (comma-separated)."""
    return tuple(t.strip() for t in (prompt or "").split(",") if t.strip())


def row_score(line: Prediction, vocabulary: Vocabulary | None = None) -> RowScore:
    """Every metric of one prediction; `vocabulary` is the biasing terms in play besides the
    row's own keywords and its prompt's (see `terms_in_play`)."""
    labels = line.labels
    terms = vocabulary if vocabulary is not None else terms_in_play(Vocabulary(), line.prompt)
    return score_pair(
        line.reference,
        line.prediction,
        keywords=labels.keywords,
        vocabulary=terms,
        kind=labels.kind,
        language=labels.language,
        duration_s=labels.duration_s or line.audio_s,
        reference_segments=labels.segments,
        predicted_segments=line.segments,
        seen=line.seen_keywords,
    )


def _metrics(
    scores: Sequence[RowScore], names: Iterable[str], resamples: int, seed: int
) -> dict[str, Estimate]:
    return {name: bootstrap(scores, name, resamples, seed) for name in names}


def score_predictions(
    lines: Sequence[Prediction],
    resamples: int = 1000,
    seed: int = 0,
    failures: dict[str, int] | None = None,
    failed: tuple[str, ...] = (),
    vocabularies: dict[str, Vocabulary] | None = None,
) -> list[Result]:
    """One result per (model, backend, decoding, condition) of the predictions, in first-seen
    order. `vocabularies` are the recorded vocabularies in play, by fingerprint: their terms
    count for precision wherever they are written unsaid."""
    groups: dict[tuple[str, str, str, str], list[Prediction]] = defaultdict(list)
    for line in lines:
        groups[(line.model, line.backend, line.decoding, line.condition)].append(line)
    datasets = {line.dataset for line in lines}
    if len(datasets) > 1:
        raise InputError(f"the predictions mix datasets: {', '.join(sorted(datasets))}")
    results = []
    host, software = machine(), versions()
    baseline: dict[str, RowScore] | None = None
    baseline_label = ""
    vocabulary = dataset_vocabulary(lines)
    merged: dict[tuple[str | None, str], Vocabulary] = {}  # a glossary is one prompt for all
    recorded = vocabularies or {}

    def in_play(line: Prediction) -> Vocabulary:
        extra = (line.vocabulary, recorded.get(line.vocabulary, Vocabulary()))
        return terms_in_play(vocabulary, line.prompt, merged, extra)

    for (model, backend, decoding, condition), group in groups.items():
        scores = [row_score(line, in_play(line)) for line in group]
        by_id = {line.id: score for line, score in zip(group, scores, strict=True)}
        compared = None
        if baseline is None:
            baseline, baseline_label = by_id, f"{model} [{condition}, {backend}, {decoding}]"
        else:
            compared = _compare(by_id, baseline, baseline_label, resamples, seed)
        audio_s = sum(line.audio_s for line in group)
        elapsed_s = sum(_wall_s(line) for line in group)
        results.append(
            Result(
                model=model,
                backend=backend,
                condition=condition,
                decoding=decoding,
                data=group[0].data,
                dataset=group[0].dataset,
                split=group[0].split,
                rows=len(group),
                failures=dict(failures or {}),
                failed=tuple(failed),
                model_revision=group[0].model_revision,
                metrics=_metrics(scores, RATES, resamples, seed),
                counts=Counts(
                    substitutions=sum(s.substitutions for s in scores),
                    deletions=sum(s.deletions for s in scores),
                    insertions=sum(s.insertions for s in scores),
                    reference_words=int(sum(s.counts["std_ref"] for s in scores)),
                ),
                audio_s=round(audio_s, 3),
                elapsed_s=round(elapsed_s, 3),
                rtfx=round(audio_s / elapsed_s, 2) if elapsed_s else None,
                breakdowns=_breakdowns(group, scores, resamples, seed),
                compared=compared,
                versions=software,
                machine=host,
            )
        )
    return results


def _wall_s(line: Prediction) -> float:
    """The row's part of the run's decoding wall time (older files carry only elapsed_s)."""
    if line.wall_share_s is not None:
        return line.wall_share_s
    return line.elapsed_s or 0.0


def _breakdowns(
    group: Sequence[Prediction], scores: Sequence[RowScore], resamples: int, seed: int
) -> dict[str, dict[str, Breakdown]]:
    out: dict[str, dict[str, Breakdown]] = {}
    for axis in BREAKDOWNS:
        buckets: dict[str, list[RowScore]] = defaultdict(list)
        for line, score in zip(group, scores, strict=True):
            buckets[str(getattr(line.labels, axis) or "unknown")].append(score)
        out[axis] = {
            value: Breakdown(len(bucket), _metrics(bucket, BREAKDOWN_METRICS, resamples, seed))
            for value, bucket in sorted(buckets.items())
        }
    return out


def _compare(
    scores: dict[str, RowScore],
    baseline: dict[str, RowScore],
    label: str,
    resamples: int,
    seed: int,
) -> Comparison | None:
    """Paired bootstrap of this result minus the first one, on the rows both have."""
    shared = [i for i in scores if i in baseline]
    if not shared:
        return None
    differences = {}
    for metric in COMPARED_METRICS:
        result = paired_bootstrap(
            [scores[i] for i in shared], [baseline[i] for i in shared], metric, resamples, seed
        )
        d = result.difference
        differences[metric] = Difference(d.value, d.low, d.high, result.p_value)
    return Comparison(label, len(shared), differences)


def score_file(
    path: Path,
    resamples: int = 1000,
    seed: int = 0,
    failures: dict[str, int] | None = None,
    failed: tuple[str, ...] = (),
    expect_dataset: str | None = None,
) -> list[Result]:
    lines = list(read_predictions(path))
    if not lines:
        raise InputError(f"{path} holds no predictions")
    if expect_dataset is not None and lines[0].dataset != expect_dataset:
        raise InputError(
            f"{path} holds predictions for {lines[0].dataset}, not for {expect_dataset}"
        )
    vocabularies = load_vocabularies(lines, path)
    return score_predictions(lines, resamples, seed, failures, failed, vocabularies)


def load_vocabularies(lines: Iterable[Prediction], path: Path) -> dict[str, Vocabulary]:
    """The recorded vocabularies the predictions in `path` were made with, by fingerprint."""
    vocabularies = {}
    for digest in sorted({line.vocabulary for line in lines if line.vocabulary}):
        found = recorded_vocabulary(path, digest)
        if found is None:
            raise InputError(
                f"{path} was predicted with a vocabulary ({digest}) that is not in "
                f"{path.parent / VOCABULARIES_DIR}; keep that folder beside the predictions"
            )
        vocabularies[digest] = Vocabulary.of(found.texts)
    return vocabularies
