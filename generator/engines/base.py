"""The interface every speech engine implements, and the voices it offers."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Protocol

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


def words_from_spans(
    spoken: str, spans: list[tuple[int, int]], rate: int, source: str
) -> tuple[WordTiming, ...]:
    """Pair each word of `spoken` with its (start, end) sample span; `source` names the
    engine part that grouped the spans, for the error when the counts differ."""
    words = spoken.split()
    if len(spans) != len(words):
        raise SynthesisError(
            f"{source} joined or split words ({len(spans)} groups for {len(words)} words)"
        )
    return tuple(WordTiming(w, s / rate, e / rate) for w, (s, e) in zip(words, spans, strict=True))
