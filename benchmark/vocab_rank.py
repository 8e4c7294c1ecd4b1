"""Which of a vocabulary's terms a clip may hold, judged from a first-pass transcript.

A term is said, not written: `np.array` is heard as "numpy dot array" or "n p dot array",
and a model that does not know it writes something that sounds or reads alike ("NP.array",
"Numpy Direct"). Each term is compared with the first pass through its spoken forms (from
the vocabulary file, or its parts when it has none: `useState` -> "use state") and its
written form, against every run of as many first-pass words (one more or one fewer),
both as letters (fuzzy) and as a rough sound key (phonetic: vowels dropped, sound-alike
consonants merged), and ranked by its best match. The top terms become the prompt of a
second pass (the `vocabulary` condition).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from devspeech.benchmark.decoding import Decoding
from devspeech.vocabulary import Term, Vocabulary

PROMPT_TERMS = 24  # terms a second pass is prompted with
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_SOUNDS = (
    ("ph", "f"), ("ck", "k"), ("qu", "kw"), ("q", "k"), ("x", "ks"), ("c", "k"), ("z", "s"),
    ("v", "f"), ("d", "t"), ("b", "p"), ("g", "k"), ("w", ""), ("h", ""),
)  # fmt: skip
MIN_KEY = 3  # sound keys shorter than this match too much ("todo" and "the" are both "t")
FULL_LENGTH = 8  # forms this long or longer count in full; shorter ones match by chance more


def words_of(text: str) -> list[str]:
    """Lower-case words of a transcript or a name: camelCase, snake_case and dotted names
    split into their parts."""
    return [w for w in _NON_WORD.split(_CAMEL.sub(" ", text).lower()) if w]


def sound_key(words: Sequence[str]) -> str:
    """A rough key of how words sound: vowels (after a word's first letter) dropped, alike
    consonants merged, doubled letters collapsed ("kube control" and "cube controll" agree)."""
    keys = []
    for word in words:
        first, rest = word[:1], word[1:]
        for a, b in _SOUNDS:
            rest = rest.replace(a, b)
            first = first.replace(a, b) if len(a) == 1 else first
        rest = re.sub(r"[aeiouy]", "", rest)
        key = re.sub(r"(.)\1+", r"\1", first + rest)
        keys.append(key)
    return " ".join(keys)


@dataclass(frozen=True)
class _Form:
    words: int
    text: str
    key: str  # empty when too short to compare by sound
    weight: float  # short forms are discounted: they match some word by chance


@functools.lru_cache(maxsize=1 << 16)
def _forms(term: Term) -> tuple[_Form, ...]:
    said = [s.split() for s in term.spoken] or [words_of(term.text)]
    unique = {tuple(f): f for f in [*said, words_of(term.text)] if f}
    forms = []
    for words in unique:
        key = sound_key(words)
        weight = min(1.0, len("".join(words)) / FULL_LENGTH) ** 0.5
        forms.append(_Form(len(words), " ".join(words), key if len(key) >= MIN_KEY else "", weight))
    return tuple(forms)


class _Windows:
    """Every run of 1..n consecutive first-pass words, as text and as a sound key."""

    def __init__(self, words: Sequence[str]) -> None:
        self.words = list(words)
        self.by_size: dict[int, list[tuple[str, str]]] = {}

    def of(self, size: int) -> list[tuple[str, str]]:
        if size not in self.by_size:
            size_ = min(size, len(self.words))
            runs = [self.words[i : i + size_] for i in range(len(self.words) - size_ + 1)]
            self.by_size[size] = [(" ".join(r), sound_key(r)) for r in runs]
        return self.by_size[size]


def term_score(term: Term, hypothesis: Sequence[str] | _Windows) -> float:
    """0-100: how well the best run of first-pass words matches one of the term's forms, as
    letters or as sounds (sounds count 0.9), discounted for short forms, which match some
    word of any transcript by chance."""
    from rapidfuzz.fuzz import ratio

    windows = hypothesis if isinstance(hypothesis, _Windows) else _Windows(hypothesis)
    best = 0.0
    for form in _forms(term):
        for size in {max(1, form.words - 1), form.words, form.words + 1}:
            for text, key in windows.of(size):
                letters = ratio(form.text, text)
                sound = 0.9 * ratio(form.key, key) if form.key else 0.0
                best = max(best, form.weight * max(letters, sound))
    return best


def rank_terms(first_pass: str, vocabulary: Vocabulary, limit: int = PROMPT_TERMS) -> list[Term]:
    """The `limit` terms most like something in `first_pass`, best first (ties: heavier,
    more used, then in file order)."""
    hypothesis = words_of(first_pass)
    if not hypothesis:
        return []
    windows = _Windows(hypothesis)
    scored = [(term_score(t, windows), t.weight, t.count, -i, t)
              for i, t in enumerate(vocabulary.terms)]  # fmt: skip
    scored.sort(key=lambda s: s[:4], reverse=True)
    return [s[4] for s in scored[:limit]]


def compression_ratio(text: str) -> float:
    """How much better than itself a text compresses: Whisper's loop detector (openai-whisper
    and faster-whisper call a transcript above 2.4 a repetition loop)."""
    import zlib

    data = text.encode("utf-8")
    return len(data) / max(1, len(zlib.compress(data))) if data else 0.0


def second_pass_kept(first: str, second: str) -> bool:
    """Whether the prompted second pass is kept: not when it loops (compresses better than
    temperature fallback allows) where the first did not (a term list in the prompt can
    start the model writing lists: `__new__, __new__, ...`)."""
    threshold = Decoding.COMPRESSION_RATIO_THRESHOLD
    return compression_ratio(second) <= max(threshold, compression_ratio(first))


def vocabulary_prompt(first_pass: str, vocabulary: Vocabulary, limit: int = PROMPT_TERMS) -> str:
    """The second pass's prompt: the ranked terms joined as training writes them."""
    return ", ".join(t.text for t in rank_terms(first_pass, vocabulary, limit))
