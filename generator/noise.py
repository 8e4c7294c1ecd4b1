"""Background noise mixed at a sampled signal-to-noise ratio.

Kinds: coloured noise (white, pink, brown), keyboard typing, fan and mains hum,
babble built from other voices of the same run, and files from a user folder.
Everything is drawn from the item's own numpy generator.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from devspeech.audio import SAMPLE_RATE, decode_audio, resample
from devspeech.errors import InputError
from devspeech.generator.levels import rms

log = logging.getLogger(__name__)

NOISE_SUFFIXES = frozenset({".wav", ".flac", ".ogg"})
GENERATED_KINDS = ("white", "pink", "brown", "keyboard", "hum")


def coloured(n: int, exponent: float, rng: np.random.Generator) -> np.ndarray:
    """Noise with power falling as 1/f**exponent (0 white, 1 pink, 2 brown)."""
    from scipy.fft import irfft, next_fast_len, rfft

    size = next_fast_len(n, real=True)  # a clip length with a large prime factor is slow
    spectrum = rfft(rng.standard_normal(size, dtype=np.float32))
    freqs = np.fft.rfftfreq(size).astype(np.float32)
    freqs[0] = freqs[1] if size > 1 else 1.0
    out = irfft(spectrum / freqs ** (exponent / 2), n=size)[:n]
    return _unit(out)


def keyboard(n: int, rng: np.random.Generator) -> np.ndarray:
    """Key presses: short band-limited clicks with a decay, 4-10 per second, some louder."""
    out = np.zeros(n)
    t = 0
    click = np.arange(int(0.012 * SAMPLE_RATE))
    while True:
        t += int(rng.uniform(0.08, 0.3) * SAMPLE_RATE)
        if t >= n:
            break
        burst = rng.standard_normal(len(click)) * np.exp(-click / rng.uniform(25, 60))
        burst = np.diff(burst, prepend=0.0) * rng.uniform(0.3, 1.0)  # crude high-pass
        end = min(n, t + len(burst))
        out[t:end] += burst[: end - t]
    return _unit(out)


def hum(n: int, rng: np.random.Generator) -> np.ndarray:
    """A fan: mains harmonics (50 or 60 Hz) over low-passed broadband noise."""
    t = np.arange(n) / SAMPLE_RATE
    base = rng.choice([50.0, 60.0])
    tone = sum(
        rng.uniform(0.2, 1.0) / k * np.sin(2 * np.pi * base * k * t + rng.uniform(0, 2 * np.pi))
        for k in range(1, 6)
    )
    return _unit(tone + 2.0 * coloured(n, 1.6, rng))


def babble(n: int, voices: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Three to six other talkers of this run, each at a random offset, summed."""
    if not voices:
        return coloured(n, 1.0, rng)
    out = np.zeros(n)
    for _ in range(int(rng.integers(3, 7))):
        clip = voices[int(rng.integers(len(voices)))]
        out += _loop(clip, n, rng) * rng.uniform(0.5, 1.0)
    return _unit(out)


def _loop(clip: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    if len(clip) == 0:
        return np.zeros(n)
    repeats = -(-(n + len(clip)) // len(clip))
    tiled = np.tile(clip, repeats)
    start = int(rng.integers(len(clip)))
    return tiled[start : start + n]


def _unit(noise: np.ndarray) -> np.ndarray:
    level = rms(noise)
    return (noise / level if level > 0 else noise).astype(np.float32)


@dataclass(frozen=True)
class NoiseFile:
    name: str
    audio: np.ndarray


def load_noise_dir(folder: Path) -> list[NoiseFile]:
    """Every audio file under `folder` at 16 kHz; an unreadable one is named in the error."""
    if not folder.is_dir():
        raise InputError(f"--noise-dir {folder} is not a directory")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in NOISE_SUFFIXES)
    if not files:
        raise InputError(f"--noise-dir {folder} holds no {', '.join(sorted(NOISE_SUFFIXES))} file")
    loaded = []
    for path in files:
        try:
            audio, rate = decode_audio(path.read_bytes())
        except Exception as error:  # soundfile raises its own LibsndfileError and RuntimeError
            raise InputError(f"noise file {path} cannot be read: {error}") from None
        if audio.size == 0 or rms(audio) == 0:
            raise InputError(f"noise file {path} is silent")
        loaded.append(NoiseFile(str(path.relative_to(folder)), resample(audio, rate, SAMPLE_RATE)))
    return loaded


def make_noise(
    kind: str,
    n: int,
    rng: np.random.Generator,
    babble_voices: list[np.ndarray],
    files: list[NoiseFile],
) -> tuple[np.ndarray, str]:
    """Unit-RMS noise of `kind` and its label (a file's name for kind 'file')."""
    if kind == "white":
        return coloured(n, 0.0, rng), kind
    if kind == "pink":
        return coloured(n, 1.0, rng), kind
    if kind == "brown":
        return coloured(n, 2.0, rng), kind
    if kind == "keyboard":
        return keyboard(n, rng), kind
    if kind == "hum":
        return hum(n, rng), kind
    if kind == "babble":
        return babble(n, babble_voices, rng), kind
    if kind == "file":
        chosen = files[int(rng.integers(len(files)))]
        return _unit(_loop(chosen.audio, n, rng)), f"file:{chosen.name}"
    raise ValueError(f"unknown noise kind {kind!r}")


def mix_at_snr(speech: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """speech + noise scaled so that speech power / noise power is `snr_db`."""
    scale = rms(speech) / (10 ** (snr_db / 20)) / max(rms(noise), 1e-12)
    return (speech + noise[: len(speech)] * scale).astype(np.float32)
