"""The interface every speech engine implements, and the voices it offers."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from devspeech.generator.speech import Speech
from devspeech.records import Speaker, WordTiming


@dataclass(frozen=True, slots=True)
class Voice:
    """One voice of an engine: a name users pass to `--voices` and the accent it speaks."""

    engine: str
    name: str
    accent: str

    @property
    def key(self) -> str:
        return f"{self.engine}:{self.name}"


class SynthesisError(Exception):
    """An engine could not speak one utterance; the item is skipped and counted."""


class Engine(Protocol):
    """A TTS engine: lists its voices and speaks a line with word timings at 16 kHz."""

    name: str

    def voices(self) -> list[Voice]: ...

    def fresh_state(self) -> None:
        """Return to the state a new process has; called before every unit of work."""
        ...

    def draw_speaker(self, voice: Voice, rng: random.Random) -> Speaker:
        """Prosody for one item (rate, pitch and any engine knobs), drawn from `rng`."""
        ...

    def synthesize(self, spoken: str, speaker: Speaker, rng: random.Random) -> Speech:
        """Speak `spoken` (lowercase words and spaces); one timing per word, in order."""
        ...


Span = tuple[int, int]
"""A (start, end) sample span."""

_MISMATCH_COST = 0.25  # a joined or split group costs this on top of its count difference


def words_from_groups(
    spoken: str,
    groups: Sequence[Sequence[Span]],
    rate: int,
    phoneme_counts: Callable[[list[str]], list[int]],
) -> tuple[WordTiming, ...]:
    """Word timings from the engine's phoneme groups (its phonemes cut at word breaks).

    A phonemizer may join words ("in the" -> one group) or split one ("s3" -> "ess three").
    Then each word is said alone to count its phonemes (`phoneme_counts`), words and groups
    are matched by those counts, a joined group is cut among its words by phoneme, and a
    split word spans its groups. `groups` holds one (start, end) span per phoneme.
    """
    words = spoken.split()
    groups = [g for g in groups if g]
    if not words or not groups:
        raise SynthesisError("the engine produced no phonemes for the words")
    if len(groups) == len(words):
        return tuple(
            WordTiming(w, g[0][0] / rate, g[-1][1] / rate)
            for w, g in zip(words, groups, strict=True)
        )
    expected = phoneme_counts(words)
    blocks = match_counts(expected, [len(g) for g in groups])
    timings: list[WordTiming] = []
    for (w0, w1), (g0, g1) in blocks:
        if w1 - w0 == 1:
            start, end = groups[g0][0][0], groups[g1 - 1][-1][1]
            timings.append(WordTiming(words[w0], start / rate, end / rate))
            continue
        phonemes = groups[g0]
        counts = np.maximum(np.asarray(expected[w0:w1], dtype=float), 1.0)
        edges = np.round(np.cumsum([0.0, *counts]) / counts.sum() * len(phonemes)).astype(int)
        for k, word in enumerate(words[w0:w1]):
            first = min(int(edges[k]), len(phonemes) - 1)
            last = max(first, int(edges[k + 1]) - 1)
            timings.append(WordTiming(word, phonemes[first][0] / rate, phonemes[last][1] / rate))
    return tuple(timings)


def match_counts(
    expected: Sequence[int], actual: Sequence[int], widest: int = 8
) -> list[tuple[Span, Span]]:
    """Match words (phoneme counts said alone) to groups, in order: blocks of one word to
    one or more groups, or several words to one group, of least total count difference.

    Returns ((first word, end word), (first group, end group)) per block.
    """
    n, m = len(expected), len(actual)
    inf = float("inf")
    cost = [[inf] * (m + 1) for _ in range(n + 1)]
    back: list[list[Span]] = [[(0, 0)] * (m + 1) for _ in range(n + 1)]
    cost[0][0] = 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            here = cost[i][j]
            if here == inf:
                continue
            for k in range(1, widest + 1):
                for di, dj in ((1, k), (k, 1)) if k > 1 else ((1, 1),):
                    if i + di > n or j + dj > m:
                        continue
                    said, got = sum(expected[i : i + di]), sum(actual[j : j + dj])
                    step = abs(said - got) / max(said, got, 1) + _MISMATCH_COST * (k > 1)
                    if here + step < cost[i + di][j + dj]:
                        cost[i + di][j + dj] = here + step
                        back[i + di][j + dj] = (di, dj)
    if cost[n][m] == inf:
        raise SynthesisError(f"cannot match {n} words to {m} phoneme groups")
    blocks: list[tuple[Span, Span]] = []
    i, j = n, m
    while i or j:
        di, dj = back[i][j]
        blocks.append(((i - di, i), (j - dj, j)))
        i, j = i - di, j - dj
    return blocks[::-1]
