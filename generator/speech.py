"""Records of synthesized speech: audio at 16 kHz and the time span of each spoken word."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

SAMPLE_RATE = 16_000


@dataclass(frozen=True, slots=True)
class WordTiming:
    """A word and where it is heard in the clip, in seconds."""

    word: str
    start: float
    end: float

    def shifted(self, offset: float) -> WordTiming:
        return replace(self, start=self.start + offset, end=self.end + offset)

    def scaled(self, factor: float) -> WordTiming:
        return replace(self, start=self.start * factor, end=self.end * factor)

    def to_dict(self) -> dict[str, object]:
        return {"word": self.word, "start": round(self.start, 3), "end": round(self.end, 3)}


@dataclass(frozen=True, slots=True)
class Speaker:
    """Who said it: the engine, the voice, its accent and the prosody it was asked for."""

    engine: str
    voice: str
    accent: str
    rate: float
    pitch: float

    def to_dict(self) -> dict[str, object]:
        return {
            "engine": self.engine,
            "voice": self.voice,
            "accent": self.accent,
            "rate": round(self.rate, 3),
            "pitch": round(self.pitch, 3),
        }


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
