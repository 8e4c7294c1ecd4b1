"""Which conventions a spoken variant follows; chosen per utterance and recorded as `style`."""

from __future__ import annotations

import random
from dataclasses import dataclass, fields
from typing import ClassVar

from devspeech.errors import InputError


@dataclass(frozen=True, slots=True)
class Style:
    """One choice per convention of SPOKEN_CODE.md; `str(style)` is what `style` records."""

    brackets: str = "open-close"  # open-close | left-right | short: names of ( [ {
    punct: str = "full"  # full | implied: trailing colons, final closers and commas left unsaid
    calls: str = "paren"  # paren | of | bare: how the parentheses of a call are said
    case: str = "words"  # words | formatter | symbols: how identifier casing is said
    abbrev: str = "letters"  # letters | expanded: np -> "n p" or "numpy"
    numbers: str = "natural"  # natural | digits: 8080 -> "eight thousand eighty" or digit by digit
    names: str = "canonical"  # canonical | varied: first name of a symbol or a weighted other

    CHOICES: ClassVar[dict[str, tuple[tuple[str, float], ...]]] = {
        "brackets": (("open-close", 0.55), ("left-right", 0.2), ("short", 0.25)),
        "punct": (("full", 0.5), ("implied", 0.5)),
        "calls": (("paren", 0.45), ("of", 0.3), ("bare", 0.25)),
        "case": (("words", 0.55), ("formatter", 0.3), ("symbols", 0.15)),
        "abbrev": (("letters", 0.5), ("expanded", 0.5)),
        "numbers": (("natural", 0.65), ("digits", 0.35)),
        "names": (("canonical", 0.5), ("varied", 0.5)),
    }

    def __post_init__(self) -> None:
        for field in fields(self):
            allowed = [name for name, _ in self.CHOICES[field.name]]
            if getattr(self, field.name) not in allowed:
                raise InputError(
                    f"style {field.name}={getattr(self, field.name)!r}: expected one of {allowed}"
                )

    def __str__(self) -> str:
        return ",".join(f"{field.name}={getattr(self, field.name)}" for field in fields(self))

    @classmethod
    def parse(cls, text: str) -> Style:
        """Read back what `str(style)` wrote; unnamed conventions keep their defaults."""
        values: dict[str, str] = {}
        for part in filter(None, text.split(",")):
            name, sep, value = part.partition("=")
            if not sep or name not in cls.CHOICES:
                raise InputError(
                    f"style {part!r}: expected NAME=VALUE with NAME in {list(cls.CHOICES)}"
                )
            values[name] = value
        return cls(**values)

    @classmethod
    def sample(cls, rng: random.Random) -> Style:
        """Draw every convention by its weight."""
        values = {}
        for name, options in cls.CHOICES.items():
            words, weights = zip(*options, strict=True)
            values[name] = rng.choices(words, weights)[0]
        return cls(**values)
