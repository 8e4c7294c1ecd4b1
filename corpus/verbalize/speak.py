"""Entry points: one text of a kind into one or several spoken variants."""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass

from devspeech.corpus.verbalize.chooser import Chooser
from devspeech.corpus.verbalize.code import say_code
from devspeech.corpus.verbalize.pieces import Unspeakable
from devspeech.corpus.verbalize.prose import say_prose
from devspeech.corpus.verbalize.shell import say_shell
from devspeech.corpus.verbalize.style import Style
from devspeech.quality import unbalanced_brackets
from devspeech.records import utterance_id
from devspeech.seeding import derive_seed, item_rng


class UnbalancedBrackets(Unspeakable):
    """A spoken form that opens a bracket it never closes (or the reverse)."""


SPOKEN_RE = re.compile(r"[a-z]+(?:'[a-z]+)*(?: [a-z]+(?:'[a-z]+)*)*")

__all__ = ["SPOKEN_RE", "Spoken", "Unspeakable", "speak", "speak_variants"]


def fold_accents(text: str) -> str:
    """Latin letters with diacritics as their base letters: "café" -> "cafe"."""
    if text.isascii():
        return text
    folded = []
    for char in text:
        base = unicodedata.normalize("NFKD", char)[0] if not char.isascii() else char
        folded.append(base if base.isascii() and base.isalpha() else char)
    return "".join(folded)


@dataclass(frozen=True, slots=True)
class Spoken:
    """One way of saying a text, and the conventions it followed."""

    spoken: str
    style: Style


def speak(text: str, kind: str, style: Style, rng_seed: int = 0) -> str:
    """Say `text` of `kind` (code, shell or prose) under `style`; Unspeakable if it can't be."""
    chooser = Chooser(style, random.Random(derive_seed(rng_seed, text)))
    text = fold_accents(text)
    if kind == "code":
        said = say_code(text, chooser)
    elif kind == "shell":
        said = say_shell(text, chooser)
    elif kind == "prose":
        said = say_prose(text, chooser)
    else:
        raise ValueError(f"unknown kind {kind!r}")
    spoken = " ".join(said.lower().split())
    if not SPOKEN_RE.fullmatch(spoken):
        raise Unspeakable(f"no clean spoken form for {text!r} (got {spoken!r})")
    if kind != "prose" and unbalanced_brackets(spoken):
        raise UnbalancedBrackets(f"{text!r} said under {style} leaves a bracket open or unopened")
    return spoken


def speak_variants(text: str, kind: str, seed: int, count: int = 1) -> list[Spoken]:
    """`count` spoken variants with sampled styles, seeded by (seed, utterance id, variant)."""
    item = utterance_id(kind, text)
    variants: list[Spoken] = []
    seen: set[str] = set()
    for index in range(count):
        chosen: Spoken | None = None
        problem: UnbalancedBrackets | None = None
        for attempt in range(8):
            rng = item_rng(seed, item, index, attempt)
            style = Style.sample(rng)
            try:
                chosen = Spoken(speak(text, kind, style, rng.getrandbits(32)), style)
            except UnbalancedBrackets as error:  # another style may close what this one leaves
                problem = error
                continue
            if chosen.spoken not in seen:
                break
        if chosen is None:
            raise problem or Unspeakable(f"no spoken form for {text!r}")
        seen.add(chosen.spoken)
        variants.append(chosen)
    return variants
