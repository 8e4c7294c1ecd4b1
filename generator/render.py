"""Build one dataset row from its plan: speak, pack, augment, time-align, encode."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from devspeech.audio import SAMPLE_RATE, encode_flac
from devspeech.generator.augment import LEVELS, Acoustics, augment
from devspeech.generator.engines.base import SynthesisError, Voice
from devspeech.generator.noise import load_noise_dir
from devspeech.generator.plan import LONGFORM_MAX_S, RowPlan
from devspeech.generator.rooms import room_bank
from devspeech.generator.speech import check_timings
from devspeech.generator.textmap import text_word_timings
from devspeech.generator.voices import VoicePools, get_engine
from devspeech.records import AudioData, DatasetRow, Segment, Speaker, WordTiming
from devspeech.seeding import item_rng

_LONGFORM_SPEECH_S = LONGFORM_MAX_S * 0.88  # room for the slowest speed perturbation
_BABBLE: dict[tuple[object, ...], tuple[np.ndarray, ...]] = {}  # this process's babble clips


@dataclass(frozen=True)
class RenderSetup:
    """Everything a worker needs to build any row; small enough to send to each process."""

    seed: int
    augment: str
    clean_fraction: float
    pools: VoicePools
    rooms: int
    cache_dir: Path
    noise_dir: Path | None
    babble_lines: tuple[str, ...]
    engine_weights: tuple[tuple[str, float], ...] = ()  # train-side voices; () is uniform


@dataclass(frozen=True)
class Rendered:
    """A finished row, or the reason the row could not be built."""

    row: DatasetRow | None
    failure: str = ""


class Renderer:
    """One unit's state: engines reset, the room bank, babble talkers and noise files."""

    def __init__(self, setup: RenderSetup) -> None:
        engines = sorted({v.engine for v in (*setup.pools.seen, *setup.pools.heldout)})
        self.setup = setup
        self.level = LEVELS[setup.augment]
        rooms = room_bank(setup.seed, setup.rooms, setup.cache_dir) if setup.rooms else []
        noise = load_noise_dir(setup.noise_dir) if setup.noise_dir else []
        babble = self._babble()
        # rows start from the state a new process has, whether the babble was spoken now
        # or kept from an earlier shard of this process
        for name in engines:
            get_engine(name).fresh_state()
        self.acoustics = Acoustics(tuple(rooms), babble, tuple(noise))

    def _babble(self) -> tuple[np.ndarray, ...]:
        """Other voices of this run, spoken once per process from a fixed list of lines."""
        voices = [v for v in self.setup.pools.seen if v.engine == "espeak"] or list(
            self.setup.pools.seen
        )
        key = (self.setup.seed, self.setup.babble_lines, tuple(v.key for v in voices))
        if key not in _BABBLE:
            _BABBLE.clear()  # one run's babble at a time
            for name in sorted({v.engine for v in voices}):
                get_engine(name).fresh_state()
            _BABBLE[key] = self._speak_babble(voices)
        return _BABBLE[key]

    def _speak_babble(self, voices: list[Voice]) -> tuple[np.ndarray, ...]:
        clips = []
        for i, line in enumerate(self.setup.babble_lines):
            rng = item_rng(self.setup.seed, "babble", i)
            voice = voices[rng.randrange(len(voices))]
            engine = get_engine(voice.engine)
            try:
                clips.append(engine.synthesize(line, engine.draw_speaker(voice, rng), rng).audio)
            except SynthesisError:
                continue
        return tuple(clips)

    def pool(self, split: str) -> tuple[Voice, ...]:
        return self.setup.pools.heldout if split == "test_heldout" else self.setup.pools.seen

    def render(self, plan: RowPlan) -> Rendered:
        try:
            return Rendered(self._render(plan))
        except SynthesisError as error:
            return Rendered(None, str(error))

    def _render(self, plan: RowPlan) -> DatasetRow:
        rng = item_rng(self.setup.seed, "row", plan.row_id)
        weights = () if plan.split == "test_heldout" else self.setup.engine_weights
        voice = _choose_voice(self.pool(plan.split), rng, dict(weights))
        engine = get_engine(voice.engine)
        speaker = engine.draw_speaker(voice, rng)
        try:
            audio, words, segments = self._speak(plan, engine, speaker, rng)
        except SynthesisError as error:  # counted per engine and reason
            raise SynthesisError(f"{voice.engine}: {error}") from None
        clean = rng.random() < self.setup.clean_fraction
        result = augment(audio, self.level, clean, self.acoustics, rng)
        duration = len(result.audio) / SAMPLE_RATE
        words = _remap(words, result.ratio, result.offset, duration)
        segments = _remap(segments, result.ratio, result.offset, duration)
        check_timings(words, duration)
        members = plan.utterances[: len(segments)]
        first = members[0]
        text = " ".join(u.text for u in members)
        same_language = all(u.language == first.language for u in members)
        return DatasetRow(
            id=plan.row_id,
            audio=AudioData(encode_flac(result.audio, SAMPLE_RATE), f"{plan.row_id}.flac"),
            text=text,
            spoken=" ".join(u.spoken for u in members),
            kind=first.kind,
            language=first.language if same_language else "",
            keywords=tuple(dict.fromkeys(k for u in members for k in u.keywords)),
            words=words,
            text_words=tuple(w.rounded() for w in text_word_timings(text, words)),
            segments=tuple(
                Segment(u.text, s.start, s.end) for u, s in zip(members, segments, strict=True)
            ),
            speaker=speaker.rounded(),
            augmentation=result.record,
            duration_s=round(duration, 3),
            source=" | ".join(dict.fromkeys(u.source for u in members)),
            license=" AND ".join(dict.fromkeys(u.license for u in members)),
        )

    def _speak(
        self, plan: RowPlan, engine: Any, speaker: Speaker, rng: random.Random
    ) -> tuple[np.ndarray, tuple[WordTiming, ...], tuple[WordTiming, ...]]:
        """Speech for each utterance, joined by natural pauses; one segment per utterance."""
        pieces: list[np.ndarray] = []
        words: list[WordTiming] = []
        segments: list[WordTiming] = []
        position = 0.0
        for index, utterance in enumerate(plan.utterances):
            speech = engine.synthesize(utterance.spoken, speaker, rng)
            if index and position + speech.duration_s > _LONGFORM_SPEECH_S:
                break
            pieces.append(speech.audio)
            words += [w.shifted(position) for w in speech.words]
            segments.append(
                WordTiming(
                    utterance.text,
                    position + speech.words[0].start,
                    position + speech.words[-1].end,
                )
            )
            position += speech.duration_s
            if index + 1 < len(plan.utterances):
                pause = np.zeros(int(rng.uniform(0.3, 1.2) * SAMPLE_RATE), dtype=np.float32)
                pieces.append(pause)
                position += len(pause) / SAMPLE_RATE
        return np.concatenate(pieces), tuple(words), tuple(segments)


def _choose_voice(pool: tuple[Voice, ...], rng: random.Random, weights: dict[str, float]) -> Voice:
    """An engine (uniformly, or by `weights`), then one of its voices uniformly, so one
    engine with many voices does not drown the rest."""
    engines = sorted({v.engine for v in pool})
    if weights:
        engine = rng.choices(engines, weights=[weights[e] for e in engines])[0]
    else:
        engine = engines[rng.randrange(len(engines))]
    own = [v for v in pool if v.engine == engine]
    return own[rng.randrange(len(own))]


def _remap(
    spans: tuple[WordTiming, ...], ratio: float, offset: float, duration: float
) -> tuple[WordTiming, ...]:
    """Move spans through t -> t * ratio + offset, rounded to ms, kept in order and in the clip."""
    out: list[WordTiming] = []
    floor = 0.0
    limit = int(duration * 1000) / 1000
    for span in spans:
        start = min(max(round(span.start * ratio + offset, 3), floor), limit)
        end = min(max(round(span.end * ratio + offset, 3), start), limit)
        out.append(WordTiming(span.word, start, end))
        floor = end
    return tuple(out)
