"""English word knowledge: how common a word is, and splitting run-together words."""

from __future__ import annotations

from functools import lru_cache

COMMON_ZIPF = 4.0  # "file", "list", "return": too common to be a keyword
KNOWN_ZIPF = 2.5  # a real English word, said as written


@lru_cache(maxsize=200_000)
def zipf(word: str) -> float:
    """Zipf frequency of a lower-cased word in English (0 when unknown, 7 for "the")."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word.lower(), "en", wordlist="best", minimum=0.0)


def is_word(word: str, threshold: float = KNOWN_ZIPF) -> bool:
    """Whether `word` is an English word at least as common as `threshold`."""
    return zipf(word) >= threshold


@lru_cache(maxsize=100_000)
def split_compound(word: str) -> tuple[str, ...]:
    """Split run-together words ("isinstance" -> is, instance) when every piece is a real word."""
    import wordninja

    if len(word) < 6 or is_word(word, 3.0):
        return (word,)
    parts = tuple(wordninja.split(word))
    if 2 <= len(parts) <= 3 and all(len(p) >= 2 and is_word(p, 3.0) for p in parts):
        return parts
    return (word,)
