"""Synthesized speech: audio at the dataset's rate and the time span of each spoken word."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from devspeech.audio import SAMPLE_RATE
from devspeech.records import WordTiming


@dataclass(frozen=True)
class Speech:
    """Mono float32 audio at `SAMPLE_RATE` with one timing per word of what was spoken."""

    audio: np.ndarray
    words: tuple[WordTiming, ...]

    @property
    def duration_s(self) -> float:
        return len(self.audio) / SAMPLE_RATE


def check_timings(words: tuple[WordTiming, ...], duration_s: float) -> None:
    """Raise ValueError unless every word lies inside the clip, in order, without overlap."""
    previous_end = 0.0
    for timing in words:
        if not (previous_end - 1e-6 <= timing.start <= timing.end <= duration_s + 1e-6):
            raise ValueError(
                f"word {timing.word!r} at {timing.start:.3f}-{timing.end:.3f} s is out of order "
                f"or outside the {duration_s:.3f} s clip"
            )
        previous_end = timing.end
