"""Voice perturbation that widens every engine's speaker pool.

- speed: resampling, like Kaldi's speed perturbation; tempo and pitch move together
  and word times scale by 1/factor;
- pitch: a phase-vocoder time stretch followed by resampling, so duration and word
  times stay put;
- vocal-tract length: the spectrum's frequency axis is warped piecewise-linearly
  (Jaitly & Hinton, 2013), which moves formants and keeps timing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from devspeech.audio import SAMPLE_RATE, resample_ratio

_N_FFT = 512
_HOP = 128


@dataclass(frozen=True)
class PerturbOptions:
    """Ranges each perturbation draws from, and how often each is applied."""

    speed: tuple[float, float] = (0.9, 1.1)
    semitones: tuple[float, float] = (-2.0, 2.0)
    warp: tuple[float, float] = (0.9, 1.1)
    probability: float = 0.5


@dataclass(frozen=True)
class Perturbation:
    """What was done to one clip: 1.0 / 0.0 mean untouched."""

    speed: float = 1.0
    semitones: float = 0.0
    warp: float = 1.0

    @property
    def is_identity(self) -> bool:
        return self.speed == 1.0 and self.semitones == 0.0 and self.warp == 1.0

    def describe(self) -> list[str]:
        steps = []
        if self.speed != 1.0:
            steps.append(f"speed({self.speed:.3f})")
        if self.semitones != 0.0:
            steps.append(f"pitch({self.semitones:+.2f}st)")
        if self.warp != 1.0:
            steps.append(f"vtlp({self.warp:.3f})")
        return steps


def draw_perturbation(options: PerturbOptions, rng: random.Random) -> Perturbation:
    """Each perturbation independently with `options.probability`."""
    speed = round(rng.uniform(*options.speed), 2) if rng.random() < options.probability else 1.0
    semitones = (
        round(rng.uniform(*options.semitones), 2) if rng.random() < options.probability else 0.0
    )
    warp = round(rng.uniform(*options.warp), 3) if rng.random() < options.probability else 1.0
    return Perturbation(speed=speed, semitones=semitones, warp=warp)


def apply_perturbation(audio: np.ndarray, perturbation: Perturbation) -> tuple[np.ndarray, float]:
    """The perturbed clip and the factor that maps old times onto new ones."""
    ratio = 1.0
    if perturbation.warp != 1.0:
        audio = vtlp(audio, perturbation.warp)
    if perturbation.semitones != 0.0:
        audio = pitch_shift(audio, perturbation.semitones)
    if perturbation.speed != 1.0:
        audio, ratio = change_speed(audio, perturbation.speed)
    return audio.astype(np.float32), ratio


def change_speed(audio: np.ndarray, factor: float) -> tuple[np.ndarray, float]:
    """Play `factor` times faster; returns the audio and the exact time ratio new/old."""
    ratio = Fraction(1 / factor).limit_denominator(100)
    out = resample_ratio(audio, ratio.numerator, ratio.denominator)
    return out, len(out) / max(1, len(audio))


_WINDOW = np.hanning(_N_FFT + 1)[:-1].astype(np.float32)


def _stft(audio: np.ndarray) -> np.ndarray:
    """Hann-windowed frames in single precision (complex64): half the work of float64."""
    from scipy.fft import rfft

    padded = np.pad(audio.astype(np.float32, copy=False), (_N_FFT // 2, _N_FFT // 2 + _HOP))
    count = 1 + (len(padded) - _N_FFT) // _HOP
    index = np.arange(_N_FFT)[None, :] + _HOP * np.arange(count)[:, None]
    return rfft(padded[index] * _WINDOW, axis=1)


def _istft(spectrum: np.ndarray, length: int) -> np.ndarray:
    from scipy.fft import irfft

    window = _WINDOW
    frames = irfft(spectrum.astype(np.complex64, copy=False), n=_N_FFT, axis=1) * window
    parts = _N_FFT // _HOP
    count = len(frames) + parts - 1
    out = np.zeros((count, _HOP))
    norm = np.zeros((count, _HOP))
    pieces = frames.reshape(len(frames), parts, _HOP)
    window_pieces = (window**2).reshape(parts, _HOP)
    for part in range(parts):  # overlap-add: piece k of frame i lands in block i + k
        out[part : part + len(frames)] += pieces[:, part]
        norm[part : part + len(frames)] += window_pieces[part]
    flat = (out / np.maximum(norm, 1e-8)).reshape(-1)[_N_FFT // 2 :]
    return np.pad(flat, (0, max(0, length - len(flat))))[:length]


def time_stretch(audio: np.ndarray, rate: float) -> np.ndarray:
    """Phase-vocoder stretch: `rate` > 1 is shorter, pitch unchanged."""
    spectrum = _stft(audio)
    steps = np.arange(0, len(spectrum) - 1, rate)
    low = steps.astype(int)
    blend = (steps - low)[:, None].astype(np.float32)
    level, angle = np.abs(spectrum), np.angle(spectrum)
    magnitude = (1 - blend) * level[low] + blend * level[low + 1]
    expected = np.linspace(0, np.pi * _HOP, spectrum.shape[1])
    advance = angle[low + 1] - angle[low] - expected
    advance -= 2 * np.pi * np.round(advance / (2 * np.pi))
    increments = np.vstack([angle[:1], (expected + advance)[:-1]])
    # accumulate in float64 (the sum grows large), then wrap for a single-precision phasor
    phase = np.mod(np.cumsum(increments, axis=0), 2 * np.pi).astype(np.float32)
    phasor = np.cos(phase) + 1j * np.sin(phase)
    return _istft(magnitude * phasor, round(len(audio) / rate))


def pitch_shift(audio: np.ndarray, semitones: float) -> np.ndarray:
    """Shift pitch (and formants) by `semitones`, keeping the length."""
    factor = 2.0 ** (semitones / 12.0)
    stretched = time_stretch(audio, 1 / factor)
    ratio = Fraction(1 / factor).limit_denominator(100)
    out = resample_ratio(stretched, ratio.numerator, ratio.denominator)
    return np.pad(out, (0, max(0, len(audio) - len(out))))[: len(audio)].astype(np.float32)


def vtlp(audio: np.ndarray, alpha: float, boundary_hz: float = 4800.0) -> np.ndarray:
    """Warp frequencies by `alpha` below `boundary_hz`, linearly to Nyquist above it."""
    spectrum = _stft(audio)
    nyquist = SAMPLE_RATE / 2
    freqs = np.linspace(0, nyquist, spectrum.shape[1])
    cut = boundary_hz * min(alpha, 1.0) / alpha
    warped = np.where(
        freqs <= cut,
        freqs * alpha,
        nyquist - (nyquist - alpha * cut) / (nyquist - cut) * (nyquist - freqs),
    )
    # each output bin takes the input bin that maps onto it
    source = np.interp(freqs, warped, freqs) / nyquist * (spectrum.shape[1] - 1)
    low = np.clip(np.floor(source).astype(int), 0, spectrum.shape[1] - 2)
    blend = (source - low).astype(np.float32)
    level = np.abs(spectrum)
    magnitude = (1 - blend) * level[:, low] + blend * level[:, low + 1]
    # the phase of the nearest source bin, as a unit phasor (no angle/exp round trip)
    nearest = np.rint(source).astype(int)
    phasor = spectrum[:, nearest] / np.maximum(level[:, nearest], 1e-12)
    return _istft(magnitude * phasor, len(audio)).astype(np.float32)
