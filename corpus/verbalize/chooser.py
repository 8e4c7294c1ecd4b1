"""The per-utterance source of choices: a style plus a seeded RNG."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from devspeech.corpus.verbalize.style import Style


@dataclass(slots=True)
class Chooser:
    """Picks among ways to say a thing: the canonical one, or a weighted draw when varied."""

    style: Style
    rng: random.Random

    def pick(self, options: Sequence[tuple[str, float]]) -> str:
        """One of weighted options; the first under `names=canonical`."""
        if self.style.names == "canonical" or len(options) == 1:
            return options[0][0]
        words, weights = zip(*options, strict=True)
        return self.rng.choices(words, weights)[0]

    def pick_form(self, forms: Sequence[str]) -> str:
        """One of several forms, the first weighted as the most usual."""
        return self.pick([(form, 1.0 if i == 0 else 0.5) for i, form in enumerate(forms)])
