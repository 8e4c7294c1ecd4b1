"""Audio helpers: resampling, level, silence, and FLAC bytes through soundfile."""

from __future__ import annotations

import io
from functools import cache
from math import gcd

import numpy as np


@cache
def _lowpass(up: int, down: int) -> np.ndarray:
    """The anti-aliasing filter resample_poly designs by default, designed once per ratio."""
    from scipy.signal import firwin

    rate = max(up, down)
    return firwin(2 * 10 * rate + 1, 1.0 / rate, window=("kaiser", 5.0))


def resample_ratio(audio: np.ndarray, up: int, down: int) -> np.ndarray:
    """Polyphase resampling by up/down, exactly as scipy's resample_poly defaults, float32."""
    from scipy.signal import resample_poly

    if up == down:
        return audio.astype(np.float32, copy=False)
    return resample_poly(audio, up, down, window=_lowpass(up, down)).astype(np.float32)


def resample(audio: np.ndarray, source_rate: int, target_rate: int) -> np.ndarray:
    """Polyphase resampling (anti-aliased) from one integer rate to another, as float32."""
    divisor = gcd(source_rate, target_rate)
    return resample_ratio(audio, target_rate // divisor, source_rate // divisor)


def rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))) if audio.size else 0.0


def peak_normalize(audio: np.ndarray, peak: float = 0.9) -> np.ndarray:
    """Scale so the loudest sample is `peak`; silence stays silence."""
    top = float(np.max(np.abs(audio))) if audio.size else 0.0
    if top < 1e-9:
        return audio.astype(np.float32)
    return (audio * (peak / top)).astype(np.float32)


def voiced_end(audio: np.ndarray, start: int, stop: int, rate: int, floor_db: float = -40.0) -> int:
    """The sample after the last 10 ms frame in [start, stop) louder than `floor_db` of the peak."""
    segment = audio[start:stop]
    frame = max(1, rate // 100)
    if segment.size < frame:
        return stop
    count = segment.size // frame
    energy = np.sqrt(np.mean(np.square(segment[: count * frame].reshape(count, frame)), axis=1))
    threshold = float(np.max(np.abs(audio))) * 10 ** (floor_db / 20) if audio.size else 0.0
    loud = np.nonzero(energy > threshold)[0]
    if loud.size == 0:
        return start
    return min(stop, start + (int(loud[-1]) + 1) * frame)


def encode_flac(audio: np.ndarray, rate: int) -> bytes:
    """16-bit FLAC bytes of a float clip (clipped to [-1, 1])."""
    import soundfile as sf

    buffer = io.BytesIO()
    sf.write(buffer, np.clip(audio, -1.0, 1.0), rate, format="FLAC", subtype="PCM_16")
    return buffer.getvalue()


def decode_audio(data: bytes) -> tuple[np.ndarray, int]:
    """Float32 mono samples and rate of encoded audio bytes (FLAC, WAV, OGG)."""
    import soundfile as sf

    audio, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    return audio.mean(axis=1), int(rate)
