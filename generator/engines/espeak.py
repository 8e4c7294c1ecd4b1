"""espeak-ng in-process through ctypes, with the library and data from `espeakng-loader`.

Word timings come from the library's word events (start of each word in the audio);
a word ends where its sound fades before the next word starts.
"""

from __future__ import annotations

import ctypes
import random
import threading
from pathlib import Path

import numpy as np

from devspeech.audio import SAMPLE_RATE, resample
from devspeech.generator.engines.base import SynthesisError, Voice
from devspeech.generator.levels import voiced_end
from devspeech.generator.speech import Speech
from devspeech.records import Speaker, WordTiming

# espeak_AUDIO_OUTPUT, espeak_EVENT_TYPE, espeak_PARAMETER and flag values of speak_lib.h
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_RATE, _PITCH, _RANGE = 1, 3, 4
_DEFAULT_RATE_WPM = 175
_DEFAULT_PITCH = 50

# English accents shipped in espeak-ng-data/lang/gmw and their spoken-accent labels.
ACCENTS: dict[str, str] = {
    "en-us": "us",
    "en-us-nyc": "us-nyc",
    "en": "gb",
    "en-gb-x-rp": "gb-rp",
    "en-gb-scotland": "gb-scotland",
    "en-gb-x-gbclan": "gb-lancashire",
    "en-gb-x-gbcwmd": "gb-west-midlands",
    "en-029": "caribbean",
}
# Variants that still sound like a person (robotic and whispering ones are left out).
VARIANTS: tuple[str, ...] = (
    "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8",
    "f1", "f2", "f3", "f4", "f5",
    "klatt", "klatt2", "klatt3", "klatt4",
    "adam", "alex", "andy", "annie", "david", "ed", "edward", "gene", "ian", "john",
    "linda", "max", "michael", "paul", "quincy", "rob", "robert", "steph", "travis", "victor",
)  # fmt: skip


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),
    ]


_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


class _Library:
    """The process-wide espeak-ng instance.

    The C library keeps synthesis state in globals that outlive `espeak_Terminate`
    (a repeat of the same line comes out a few samples different), so `fresh` loads a
    new copy of the shared object, whose globals start as a new process's do; with the
    library's random generator seeded per clip, that makes a run of clips repeatable.
    """

    _lock = threading.Lock()
    _instance: _Library | None = None

    def __init__(self, fresh_copy: bool = False) -> None:
        try:
            import espeakng_loader
        except ImportError as error:  # pragma: no cover - depends on the environment
            raise SynthesisError(
                "espeak-ng needs the tts extra: pip install 'devspeech[tts]'"
            ) from error
        library = espeakng_loader.get_library_path()
        self.lib = _load_copy(library) if fresh_copy else ctypes.CDLL(library)
        data = Path(espeakng_loader.get_data_path())
        self.lib.espeak_Initialize.restype = ctypes.c_int
        self.rate = self.lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, str(data.parent).encode(), 0
        )
        if self.rate <= 0:
            raise SynthesisError(f"espeak-ng failed to initialise with data in {data}")
        self._chunks: list[np.ndarray] = []
        self._events: list[tuple[int, int, int]] = []
        self._callback = _CALLBACK(self._collect)
        self.lib.espeak_SetSynthCallback(self._callback)
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]

    @classmethod
    def get(cls) -> _Library:
        with cls._lock:
            if cls._instance is None:
                cls._instance = _Library()
            return cls._instance

    @classmethod
    def fresh(cls) -> None:
        """Replace the instance by a newly loaded copy of the library (a fresh state)."""
        with cls._lock:
            old, cls._instance = cls._instance, _Library(fresh_copy=True)
        if old is not None:
            old.close()

    def close(self) -> None:
        import _ctypes

        self.lib.espeak_Terminate()
        _ctypes.dlclose(self.lib._handle)

    def _collect(self, wav: ctypes.Array, count: int, events: ctypes.Array) -> int:
        if count > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        index = 0
        while events[index].type != _EVENT_LIST_TERMINATED:
            event = events[index]
            if event.type == _EVENT_WORD:
                self._events.append((event.text_position, event.length, event.sample))
            index += 1
        return 0

    def speak(
        self, text: str, voice: str, rate_wpm: int, pitch: int, pitch_range: int, seed: int
    ) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
        """int16 samples at `self.rate` and (char position, length, sample) word events.

        `seed` seeds the library's own random generator (breathy voices draw noise from
        it), which it otherwise seeds from the clock.
        """
        with self._lock:
            if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise SynthesisError(f"espeak-ng has no voice {voice!r}")
            self.lib.espeak_ng_SetRandSeed(seed)
            self.lib.espeak_SetParameter(_RATE, rate_wpm, 0)
            self.lib.espeak_SetParameter(_PITCH, pitch, 0)
            self.lib.espeak_SetParameter(_RANGE, pitch_range, 0)
            self._chunks, self._events = [], []
            data = text.encode()
            status = self.lib.espeak_Synth(
                data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
            )
            self.lib.espeak_Synchronize()
            if status != 0:
                raise SynthesisError(f"espeak-ng refused the text (status {status})")
            audio = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
            return audio, self._events


class EspeakEngine:
    """espeak-ng: every English accent times every natural-sounding variant."""

    name = "espeak"

    def __init__(self, rate_range: tuple[float, float] = (0.8, 1.25)) -> None:
        self.rate_range = rate_range

    def fresh_state(self) -> None:
        _Library.fresh()

    def voices(self) -> list[Voice]:
        return [
            Voice(self.name, f"{language}+{variant}", accent)
            for language, accent in ACCENTS.items()
            for variant in VARIANTS
        ]

    def draw_speaker(self, voice: Voice, rng: random.Random) -> Speaker:
        return Speaker(
            engine=self.name,
            voice=voice.name,
            accent=voice.accent,
            rate=rng.uniform(*self.rate_range),
            pitch=rng.uniform(0.7, 1.4),
        )

    def synthesize(self, spoken: str, speaker: Speaker, rng: random.Random) -> Speech:
        library = _Library.get()
        raw, events = library.speak(
            spoken,
            speaker.voice,
            rate_wpm=round(_DEFAULT_RATE_WPM * speaker.rate),
            pitch=max(0, min(99, round(_DEFAULT_PITCH * speaker.pitch))),
            pitch_range=rng.randint(35, 80),
            seed=rng.getrandbits(31),
        )
        if raw.size == 0:
            raise SynthesisError("espeak-ng produced no audio")
        audio = raw.astype(np.float32) / 32768.0
        words = _word_timings(spoken, events, audio, library.rate)
        return Speech(resample(audio, library.rate, SAMPLE_RATE), words)


def _load_copy(library: str) -> ctypes.CDLL:
    """A new, independent copy of a shared library: the loader shares a path's globals."""
    import os
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory(prefix="devspeech-espeak-") as folder:
        copy = Path(folder) / Path(library).name
        shutil.copyfile(library, copy)
        return ctypes.CDLL(str(copy), mode=os.RTLD_LOCAL)


def _word_timings(
    spoken: str, events: list[tuple[int, int, int]], audio: np.ndarray, rate: int
) -> tuple[WordTiming, ...]:
    """Map word events (1-based character positions) onto the words of `spoken`."""
    offsets: list[int] = []
    position = 0
    words = spoken.split()
    for word in words:
        position = spoken.index(word, position)
        offsets.append(position)
        position += len(word)
    starts: dict[int, int] = {}
    for text_position, _, sample in events:
        index = _word_at(offsets, text_position - 1)
        if index is not None and index not in starts:
            starts[index] = sample
    if not starts:
        raise SynthesisError("espeak-ng gave no word events")
    # espeak-ng joins some short words to the word before ("of the" is one event): such
    # words share the span of the word that has the event, split by letters.
    groups: list[list[int]] = []
    leading: list[int] = []
    for index in range(len(words)):
        if index in starts:
            groups.append([*leading, index])
            leading = []
        elif groups:
            groups[-1].append(index)
        else:
            leading.append(index)
    group_starts = [starts[next(i for i in group if i in starts)] for group in groups]
    for i in range(1, len(group_starts)):
        group_starts[i] = max(group_starts[i], group_starts[i - 1])
    timings: list[WordTiming] = []
    for g, group in enumerate(groups):
        begin = group_starts[g]
        stop = group_starts[g + 1] if g + 1 < len(groups) else len(audio)
        end = max(begin, voiced_end(audio, begin, stop, rate))
        letters = [len(words[i]) for i in group]
        edges = np.round(begin + (end - begin) * np.cumsum([0, *letters]) / sum(letters))
        for k, i in enumerate(group):
            timings.append(WordTiming(words[i], float(edges[k]) / rate, float(edges[k + 1]) / rate))
    return tuple(timings)


def _word_at(offsets: list[int], char_index: int) -> int | None:
    """Index of the word whose first character is at or just before `char_index`."""
    found = None
    for index, offset in enumerate(offsets):
        if offset <= char_index:
            found = index
        else:
            break
    return found
