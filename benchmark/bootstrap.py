"""95% bootstrap intervals for ratio-of-sums metrics, and a paired bootstrap between models.

Rows are resampled with replacement (seeded), each resample's rate is its summed
numerator over its summed denominator, and the interval is the 2.5th and 97.5th
percentile of those rates. The paired version draws the same rows for both models,
so the interval is on their difference and the share of resamples in which the
difference changes sign is a two-sided p-value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from devspeech.benchmark.metrics import RATES, RowScore
from devspeech.records import Estimate

RESAMPLES = 1000


@lru_cache(maxsize=8)
def _indices(n: int, resamples: int, seed: int) -> np.ndarray:
    """The resamples of n rows; shared by every metric of a result (read-only)."""
    index = np.random.default_rng(seed).integers(0, n, size=(resamples, n))
    index.flags.writeable = False
    return index


def _matrix(scores: Sequence[RowScore], metric: str) -> tuple[np.ndarray, np.ndarray]:
    top, bottom = RATES[metric]
    return (
        np.array([s.counts[top] for s in scores], dtype=np.float64),
        np.array([s.counts[bottom] for s in scores], dtype=np.float64),
    )


def _rates(top: np.ndarray, bottom: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Rate of each resample; NaN where a resample has nothing to score."""
    tops, bottoms = top[index].sum(axis=1), bottom[index].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(bottoms > 0, tops / bottoms, np.nan)


def bootstrap(
    scores: Sequence[RowScore], metric: str, resamples: int = RESAMPLES, seed: int = 0
) -> Estimate:
    """The metric over all rows and its 95% percentile interval."""
    top, bottom = _matrix(scores, metric)
    if not len(scores) or bottom.sum() == 0:
        return Estimate(None, None, None)
    value = float(top.sum() / bottom.sum())
    rates = _rates(top, bottom, _indices(len(scores), resamples, seed))
    rates = rates[~np.isnan(rates)]
    low, high = np.percentile(rates, [2.5, 97.5])
    return Estimate(value, float(low), float(high))


@dataclass(frozen=True)
class PairedComparison:
    metric: str
    difference: Estimate  # a - b
    p_value: float | None
    rows: int


def paired_bootstrap(
    a: Sequence[RowScore],
    b: Sequence[RowScore],
    metric: str,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> PairedComparison:
    """Difference a - b on the same rows (given in the same order), with its interval."""
    if len(a) != len(b):
        raise ValueError("a paired bootstrap needs the same rows for both models")
    top_a, bottom_a = _matrix(a, metric)
    top_b, bottom_b = _matrix(b, metric)
    if not len(a) or bottom_a.sum() == 0 or bottom_b.sum() == 0:
        return PairedComparison(metric, Estimate(None, None, None), None, len(a))
    observed = float(top_a.sum() / bottom_a.sum() - top_b.sum() / bottom_b.sum())
    index = _indices(len(a), resamples, seed)
    differences = _rates(top_a, bottom_a, index) - _rates(top_b, bottom_b, index)
    differences = differences[~np.isnan(differences)]
    low, high = np.percentile(differences, [2.5, 97.5])
    # two-sided: how often the resampled difference lands on the other side of zero
    if observed == 0:
        p_value = 1.0
    else:
        flipped = np.mean(differences <= 0) if observed > 0 else np.mean(differences >= 0)
        p_value = float(min(1.0, 2 * flipped))
    return PairedComparison(metric, Estimate(observed, float(low), float(high)), p_value, len(a))
