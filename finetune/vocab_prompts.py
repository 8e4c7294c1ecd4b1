"""Vocabulary prompts for training: teach the model to copy names from its prompt.

A row trained with a vocabulary prompt is conditioned on a list of terms (the previous-text
prompt Whisper already reads, masked out of the loss): each of the row's own keywords with
probability `keep` (so the model also learns to write names missing from the list), among
0 to `max_distractors` other terms, shuffled. Half the distractors come from the training
data's own vocabulary, half are made up in every naming style (snake_case, camelCase,
PascalCase, dotted paths, flags, SCREAMING_CASE, kebab-case), so a list is never a
giveaway and copying pays where memorising does not (B-Whisper, arXiv 2502.11572, and
KG-Whisper, arXiv 2406.02649, train with true and distractor terms the same way).

The list is drawn anew at every step from (seed, row, step), so the made-up names are
renewed as training goes and a resumed run sees the very same prompts. The prompt is
written exactly as `bench`'s vocabulary condition writes one: terms joined by ", ".
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from devspeech.seeding import item_rng

SEPARATOR = ", "
# parts of made-up names: the words identifiers are built of
_WORDS = """
    account action adapter agent alert api app archive array asset async audio auth backend
    batch bench binary block bucket buffer build bundle cache call channel chart check chunk
    client cluster code column command commit config connection context controller count
    cursor data database date debug decode default delta device dict diff digest dispatch
    document domain draft driver edge emit encode engine entry error event export field file
    filter flag flush format frame graph grid group guard handler hash header heap hook host
    index input item job json key label layer layout lease limit line link list loader lock
    log loop manager map marker match memory merge message meta metric mode model module mount
    node note offset option order output owner packet page pair parse parser patch path peer
    pipe plan plugin point policy pool port post prefix print process profile prompt proxy
    query queue range rate reader record redis refresh region registry render repo request
    resolve result retry role route router row rule runner sample scale schema scope score
    search secret segment select send server service session shard signal size slot socket
    source span split stack stage state status step store stream string style sync table tag
    task template tensor text theme thread ticket timer token tool trace track tree trigger
    type unit update upload user value vector version view volume wait watch widget window
    worker writer zone
"""
NAME_WORDS = tuple(_WORDS.split())
STYLES = ("snake", "camel", "pascal", "dotted", "flag", "screaming", "kebab")


def made_up_name(rng: random.Random) -> str:
    """A plausible name no repository need have, in a random naming style."""
    words = [rng.choice(NAME_WORDS) for _ in range(rng.choice((1, 2, 2, 3)))]
    style = rng.choice(STYLES)
    if style == "snake":
        return "_".join(words)
    if style == "camel":
        return words[0] + "".join(w.capitalize() for w in words[1:])
    if style == "pascal":
        return "".join(w.capitalize() for w in words)
    if style == "dotted":
        return ".".join([rng.choice(NAME_WORDS)[: rng.choice((2, 3, 6))], *words])
    if style == "flag":
        return "--" + "-".join(words)
    if style == "screaming":
        return "_".join(w.upper() for w in words)
    return "-".join(words)


@dataclass(frozen=True)
class VocabularyPrompts:
    """Draws the vocabulary prompt of a row at a step."""

    pool: tuple[str, ...]  # the training data's vocabulary (distractors are drawn from it)
    seed: int
    keep: float = 0.8
    max_distractors: int = 24
    max_tokens: int = 200

    def terms(self, keywords: Sequence[str], row_id: str, step: int) -> list[str]:
        """The row's kept keywords among distractors, shuffled (before any length cut)."""
        rng = item_rng(self.seed, "vocabulary-prompt", row_id, step)
        own = list(dict.fromkeys(keywords))
        kept = [k for k in own if rng.random() < self.keep]
        count = rng.randint(0, self.max_distractors)
        others = [t for t in self.pool if t not in own]
        from_pool = rng.sample(others, min(len(others), count // 2 + count % 2))
        made_up = [made_up_name(rng) for _ in range(count - len(from_pool))]
        distractors = [t for t in dict.fromkeys(from_pool + made_up) if t not in own]
        terms = kept + distractors
        rng.shuffle(terms)
        return terms

    def prompt(
        self, keywords: Sequence[str], row_id: str, step: int, count_tokens: Callable[[str], int]
    ) -> str:
        """The prompt text, at most `max_tokens` tokens (distractors are dropped first)."""
        terms = self.terms(keywords, row_id, step)
        own = set(keywords)
        while terms and count_tokens(SEPARATOR.join(terms)) > self.max_tokens:
            spare = [i for i, t in enumerate(terms) if t not in own]
            del terms[spare[-1] if spare else -1]
        return SEPARATOR.join(terms)
