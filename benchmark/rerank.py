"""Choosing among beam search's n-best by what a developer would have meant (`+rerank`).

Beam search keeps several hypotheses and returns the likeliest; for code the likeliest is
often one letter or bracket off the one that parses, or spells a name of the repository
one word at a time. Serenade reranks an n-best list with code context in the same spirit.
Each hypothesis here scores its beam score (the length-normalised log-probability
transformers reports) plus:

- `NAME_BONUS` for each distinct term of the vocabulary in play that it writes, whole;
- `PARSE_BONUS` when it looks like code (brackets, `=`, `_`, a dotted name) and parses as
  Python;
- minus `QUOTE_PENALTY` when shell could not split it into words (an unclosed quote).

The bonuses are relative: a hypothesis gains only against the others of the same clip, so
prose, where none looks like code, is ranked by its beam score and names alone. The
highest total wins; a tie goes to the beam's own order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from devspeech.benchmark.metrics import python_ast, shell_words

NAME_BONUS = 0.1
PARSE_BONUS = 0.2
QUOTE_PENALTY = 0.2
_CODE_LIKE = re.compile(r"[()\[\]{}=_]|\w\.\w")


@dataclass(frozen=True)
class Hypothesis:
    text: str
    score: float  # the beam's length-normalised log-probability


@dataclass(frozen=True)
class Reranker:
    terms: tuple[str, ...] = ()
    name_bonus: float = NAME_BONUS
    parse_bonus: float = PARSE_BONUS
    quote_penalty: float = QUOTE_PENALTY

    @cached_property
    def _pattern(self) -> re.Pattern[str] | None:
        """Every term, longest first, standing alone (not inside a longer word or name)."""
        terms = sorted({t for t in self.terms if t.strip()}, key=len, reverse=True)
        if not terms:
            return None
        alternatives = "|".join(re.escape(t) for t in terms)
        return re.compile(rf"(?<![\w.])(?:{alternatives})(?!\w)")

    def names(self, text: str) -> set[str]:
        """The distinct vocabulary terms `text` writes."""
        return set() if self._pattern is None else set(self._pattern.findall(text))

    def bonus(self, text: str) -> float:
        total = self.name_bonus * len(self.names(text))
        if _CODE_LIKE.search(text) and python_ast(text) is not None:
            total += self.parse_bonus
        if shell_words(text) is None:
            total -= self.quote_penalty
        return total

    def choose(self, hypotheses: Sequence[Hypothesis]) -> int:
        """The index of the hypothesis to keep."""
        if not hypotheses:
            raise ValueError("nothing to rerank")
        totals = [h.score + self.bonus(h.text) for h in hypotheses]
        return max(range(len(totals)), key=lambda i: (totals[i], -i))
