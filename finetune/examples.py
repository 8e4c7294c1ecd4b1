"""Training examples: which rows are trained with timestamps or a prompt, and in what order.

Every choice is drawn from the seed and the row id, so a resumed run sees the very
same batches: the order of an epoch is a seeded permutation, and batch `n` of the whole
run is a pure function of `n`. A share of every batch comes from the general set
(ordinary English) against forgetting.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from devspeech.benchmark.data import EvalItem, MissingSplit, is_recordings_dir, load_eval_set
from devspeech.records import Segment
from devspeech.seeding import derive_seed, item_rng


@dataclass(frozen=True)
class Example:
    """One row as the model is trained on it."""

    id: str
    audio: bytes  # encoded; decoded when its batch is built
    text: str  # the written form: the target is never the spoken words
    segments: tuple[Segment, ...]
    timestamps: bool = False
    prompt: str | None = None
    general: bool = False
    keywords: tuple[str, ...] = ()
    vocabulary_prompt: bool = False  # prompted with a term list drawn anew at every step

    @property
    def long_form(self) -> bool:
        return len(self.segments) > 1


def read_split(location: str, split: str, allow_partial: bool = False) -> list[EvalItem]:
    """Every row of a split: of a devspeech dataset folder (finished, unless `allow_partial`),
    a Hub id or a folder `datasets` reads, or (whatever the split) a folder of recordings."""
    return list(
        load_eval_set(location, None, split, strict=True, allow_partial=allow_partial).items()
    )


def optional_split(location: str, split: str, allow_partial: bool = False) -> list[EvalItem]:
    """Like read_split, but an empty list when the source has no such split."""
    if Path(location).expanduser().is_dir() and is_recordings_dir(Path(location).expanduser()):
        return []  # a folder of recordings is one split, the one trained on
    try:
        return read_split(location, split, allow_partial)
    except MissingSplit:  # any other problem (unreadable, unfinished) is the user's to see
        return []


def _example(item: EvalItem, general: bool = False) -> Example:
    return Example(item.id, item.audio, item.reference, item.labels.segments, general=general,
                   keywords=tuple(item.labels.keywords))  # fmt: skip


def plan_examples(
    rows: Sequence[EvalItem],
    seed: int,
    timestamp_fraction: float,
    prompt_fraction: float,
    glossary: str,
    vocabulary_prompt_fraction: float = 0.0,
) -> list[Example]:
    """Examples of the training rows, with timestamps on `timestamp_fraction` of them
    (packed long-form rows first), a vocabulary prompt (vocab_prompts.py) on about
    `vocabulary_prompt_fraction` of the rest, and a previous-text prompt on
    `prompt_fraction` of the others: the glossary sentence, or another utterance of the
    same kind."""
    examples = [_example(row) for row in rows]
    order = sorted(
        range(len(examples)),
        key=lambda i: (not examples[i].long_form, derive_seed(seed, "timestamps", rows[i].id)),
    )
    timed = set(order[: round(timestamp_fraction * len(examples))])
    by_kind: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        by_kind.setdefault(row.labels.kind, []).append(i)
    planned = []
    for i, example in enumerate(examples):
        rng = item_rng(seed, "prompt", example.id)
        prompt = None
        if i not in timed and rng.random() < prompt_fraction:
            neighbours = [j for j in by_kind[rows[i].labels.kind] if j != i]
            if neighbours and rng.random() < 0.5:
                prompt = rows[neighbours[rng.randrange(len(neighbours))]].reference
            else:
                prompt = glossary
        draw = item_rng(seed, "vocabulary", example.id).random()
        listed = i not in timed and draw < vocabulary_prompt_fraction
        planned.append(dataclasses.replace(example, timestamps=i in timed,
                                           prompt=None if listed else prompt,
                                           vocabulary_prompt=listed))  # fmt: skip
    return planned


def general_examples(rows: Iterable[EvalItem]) -> list[Example]:
    return [_example(row, general=True) for row in rows]


@dataclass(frozen=True)
class Schedule:
    """Which examples make up each batch of the run: `batch(n)` for n = 0, 1, 2, ..."""

    train: int  # how many training examples there are
    general: int  # how many general examples there are
    batch_size: int
    general_per_batch: int
    seed: int

    @property
    def train_per_batch(self) -> int:
        return self.batch_size - self.general_per_batch

    def batch(self, n: int) -> list[tuple[bool, int]]:
        """(is general, index) of every example in batch `n`."""
        picks = [(False, i) for i in self._take("train", self.train, self.train_per_batch, n)]
        if self.general and self.general_per_batch:
            picks += [
                (True, i) for i in self._take("general", self.general, self.general_per_batch, n)
            ]
        return picks

    def _take(self, name: str, count: int, per_batch: int, n: int) -> list[int]:
        """Items n*per_batch ... of an endless stream of seeded permutations of range(count)."""
        out = []
        for position in range(n * per_batch, (n + 1) * per_batch):
            epoch, offset = divmod(position, count)
            out.append(_permutation(self.seed, name, epoch, count)[offset])
        return out


_PERMUTATIONS: dict[tuple[int, str, int, int], list[int]] = {}


def _permutation(seed: int, name: str, epoch: int, count: int) -> list[int]:
    key = (seed, name, epoch, count)
    if key not in _PERMUTATIONS:
        if len(_PERMUTATIONS) > 8:
            _PERMUTATIONS.clear()
        order = list(range(count))
        random.Random(derive_seed(seed, name, "epoch", epoch)).shuffle(order)
        _PERMUTATIONS[key] = order
    return _PERMUTATIONS[key]
