"""Per-item random generators: the same (seed, keys) give the same stream in any process."""

from __future__ import annotations

import hashlib
import random


def derive_seed(seed: int, *keys: str | int) -> int:
    """Mix a global seed with item keys into a 64-bit seed, stable across runs and platforms."""
    digest = hashlib.sha256(repr((seed, *keys)).encode()).digest()
    return int.from_bytes(digest[:8], "little")


def item_rng(seed: int, *keys: str | int) -> random.Random:
    """A `random.Random` owned by one item, never the global state."""
    return random.Random(derive_seed(seed, *keys))
