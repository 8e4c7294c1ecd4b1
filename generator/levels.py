"""Level and silence of a clip: RMS, peak normalisation, where the voice fades."""

from __future__ import annotations

import numpy as np


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
