"""Which utterances become which rows of which split and shard, fixed before any audio.

The plan depends only on the utterances and the recipe, never on workers or order,
so every shard can be built (or rebuilt) on its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from devspeech.dataset import shard_name
from devspeech.errors import InputError
from devspeech.records import Utterance
from devspeech.seeding import derive_seed, item_rng

WORDS_PER_SECOND = 2.6  # a calm dictation pace, used to estimate length before synthesis
LONGFORM_MAX_S = 30.0


@dataclass(frozen=True)
class SplitFractions:
    """The share of utterances each evaluation split gets; train has the rest."""

    validation: float = 0.05
    test: float = 0.05
    test_heldout: float = 0.05

    def __post_init__(self) -> None:
        shares = (self.validation, self.test, self.test_heldout)
        if min(shares) < 0 or sum(shares) >= 1:
            raise InputError("split fractions must be at least 0 and leave some rows to train")


@dataclass(frozen=True)
class RowPlan:
    """One row to build: its split, id and the utterance(s) it speaks."""

    split: str
    row_id: str
    utterances: tuple[Utterance, ...]

    @property
    def longform(self) -> bool:
        return len(self.utterances) > 1


@dataclass(frozen=True)
class ShardPlan:
    split: str
    index: int
    count: int
    rows: tuple[RowPlan, ...]

    @property
    def name(self) -> str:
        return shard_name(self.split, self.index, self.count)


def estimated_seconds(utterance: Utterance) -> float:
    return len(utterance.spoken.split()) / WORDS_PER_SECOND + 0.4


def _unit(*keys: str) -> float:
    digest = hashlib.sha256("\x00".join(keys).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign_split(utterance_id: str, fractions: SplitFractions, heldout: bool) -> str:
    """The split of an utterance, from a hash of its id alone (so splits are text-disjoint)."""
    x = _unit("split", utterance_id)
    if x < fractions.validation:
        return "validation"
    if x < fractions.validation + fractions.test:
        return "test"
    if x < fractions.validation + fractions.test + fractions.test_heldout:
        return "test_heldout" if heldout else "test"
    return "train"


def select(
    utterances: Sequence[Utterance], seed: int, limit: int | None, hours: float | None
) -> list[Utterance]:
    """Unique utterances in a seeded order, cut at `limit` rows or `hours` of estimated audio."""
    unique = {u.id: u for u in utterances}
    ordered = sorted(unique.values(), key=lambda u: derive_seed(seed, "order", u.id))
    if limit is not None:
        ordered = ordered[:limit]
    if hours is not None:
        budget, kept = hours * 3600, []
        for utterance in ordered:
            budget -= estimated_seconds(utterance)
            if budget < 0:
                break
            kept.append(utterance)
        ordered = kept
    return ordered


def pack_rows(
    split: str, utterances: Sequence[Utterance], seed: int, longform_fraction: float
) -> list[RowPlan]:
    """Single rows, and (for train) a share of long-form rows of same-kind utterances."""
    rows: list[RowPlan] = []
    used: set[str] = set()
    for i, first in enumerate(utterances):
        if first.id in used:
            continue
        used.add(first.id)
        rng = item_rng(seed, "longform", first.id)
        if split != "train" or rng.random() >= longform_fraction:
            rows.append(RowPlan(split, first.id, (first,)))
            continue
        target = rng.uniform(12.0, LONGFORM_MAX_S - 4.0)
        group, total = [first], estimated_seconds(first)
        for candidate in utterances[i + 1 : i + 400]:
            if len(group) >= 8 or total >= target:
                break
            if candidate.id in used or candidate.kind != first.kind:
                continue
            length = estimated_seconds(candidate) + 0.8
            if total + length > target:
                continue
            group.append(candidate)
            used.add(candidate.id)
            total += length
        row_id = hashlib.sha256(" ".join(u.id for u in group).encode()).hexdigest()[:16]
        rows.append(RowPlan(split, f"long-{row_id}", tuple(group)))
    return rows


def plan_shards(
    utterances: Sequence[Utterance],
    seed: int,
    *,
    limit: int | None,
    hours: float | None,
    longform_fraction: float,
    heldout: bool,
    rows_per_shard: int,
    fractions: SplitFractions | None = None,
) -> list[ShardPlan]:
    """Every shard of the dataset, split by split, each with its rows."""
    fractions = fractions or SplitFractions()
    chosen = select(utterances, seed, limit, hours)
    by_split: dict[str, list[Utterance]] = {}
    for utterance in chosen:
        by_split.setdefault(assign_split(utterance.id, fractions, heldout), []).append(utterance)
    shards: list[ShardPlan] = []
    for split in ("train", "validation", "test", "test_heldout"):
        rows = pack_rows(split, by_split.get(split, []), seed, longform_fraction)
        if not rows:
            continue
        count = -(-len(rows) // rows_per_shard)
        for index in range(count):
            part = tuple(rows[index * rows_per_shard : (index + 1) * rows_per_shard])
            shards.append(ShardPlan(split, index, count, part))
    return shards
