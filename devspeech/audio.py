"""Audio as the dataset stores it: 16 kHz mono, FLAC bytes through soundfile, resampling.

Every stage reads and writes audio through here, never through torchcodec, so a
dataset can be written and read on a machine without FFmpeg.
"""

from __future__ import annotations

import io
from functools import cache
from math import gcd

import numpy as np

from devspeech.dataset import SAMPLE_RATE
from devspeech.errors import InputError

__all__ = ["SAMPLE_RATE", "decode_16k", "decode_audio", "encode_flac", "resample", "resample_ratio"]


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


def encode_flac(audio: np.ndarray, rate: int = SAMPLE_RATE) -> bytes:
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


def decode_16k(data: bytes) -> np.ndarray:
    """Mono float32 at `SAMPLE_RATE` from encoded bytes; InputError when they do not decode."""
    try:
        audio, rate = decode_audio(data)
    except Exception as error:  # soundfile raises its own and RuntimeError types
        # libsndfile's own words ("Format not recognised."), not "Error opening <_io.BytesIO
        # object at 0x...>: ...", which names a buffer nobody can look for
        why = getattr(error, "error_string", None) or str(error)
        raise InputError(f"audio does not decode ({why})") from None
    return resample(audio, rate, SAMPLE_RATE)
