"""Microphone and channel effects through audiomentations, seeded per item.

audiomentations draws from the global `random` and `numpy.random` state, so each
call saves that state, seeds it from the item, and restores it afterwards.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import numpy as np

from devspeech.audio import SAMPLE_RATE


@contextmanager
def seeded_global_rng(seed: int) -> Iterator[None]:
    """Run a block with `random` and `numpy.random` seeded, then put both back."""
    python_state = random.getstate()
    numpy_state = np.random.get_state()
    random.seed(seed)
    np.random.seed(seed % 2**32)
    try:
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)


@cache
def _chain(level: str) -> Any:
    import audiomentations as am

    strength = {"light": 0.5, "default": 1.0, "heavy": 1.5}[level]
    transforms = [
        am.Gain(min_gain_db=-6.0 * strength, max_gain_db=3.0, p=0.5),
        am.HighPassFilter(min_cutoff_freq=60.0, max_cutoff_freq=60 + 200 * strength, p=0.4),
        am.LowPassFilter(
            min_cutoff_freq=7800 - 3000 * strength, max_cutoff_freq=7900.0, p=0.3 * strength
        ),
        am.ClippingDistortion(
            min_percentile_threshold=0, max_percentile_threshold=int(4 * strength), p=0.1 * strength
        ),
    ]
    if level == "heavy":
        transforms.append(
            am.Mp3Compression(min_bitrate=16, max_bitrate=64, backend="fast-mp3-augment", p=0.3)
        )
    return am.Compose(transforms)


def apply_channel(audio: np.ndarray, level: str, seed: int) -> tuple[np.ndarray, list[str]]:
    """The processed clip and the names (with parameters) of the effects that ran."""
    if level == "none":
        return audio, []
    chain = _chain(level)
    with seeded_global_rng(seed):
        out = chain(samples=audio.astype(np.float32), sample_rate=SAMPLE_RATE)
    applied = []
    for transform in chain.transforms:
        params = transform.parameters
        if params.get("should_apply"):
            shown = ",".join(
                f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                for k, v in sorted(params.items())
                if k != "should_apply"
            )
            applied.append(f"{type(transform).__name__}({shown})")
    return np.asarray(out, dtype=np.float32), applied
