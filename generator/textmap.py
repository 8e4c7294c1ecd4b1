"""Word timings carried from the spoken words onto the written tokens that correspond.

A whitespace token of `text` corresponds to a run of one to four consecutive spoken words
when both spell the same letters and digits, case and punctuation aside: "Use" is "use",
"useState" is "use state", "counter." is "counter", "README" is "readme". The matching
moves forward only, and may pass over a few spoken words that the text writes as symbols
("open paren"), more after written tokens that matched nothing. Tokens with no such
counterpart (`np.array(x)` said as "n p dot array open paren x close paren", `==`, `10`
said as "ten") are left out rather than guessed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from devspeech.records import WordTiming

MAX_WORDS = 4  # spoken words one written token may span
MAX_SKIP = 6  # spoken words the match may pass over to find a token's first word ...
SKIP_PER_MISS = 10  # ... and more for each written token before it that matched nothing
_NON_ALNUM = re.compile(r"[^0-9a-z]")


def _key(text: str) -> str:
    return _NON_ALNUM.sub("", text.lower())


def text_word_timings(text: str, words: Sequence[WordTiming]) -> tuple[WordTiming, ...]:
    """Timings of the tokens of `text` that correspond to spoken words, in order."""
    keys = [_key(w.word) for w in words]
    out: list[WordTiming] = []
    position = misses = 0
    for token in text.split():
        target = _key(token)
        if not target:
            continue
        match = None
        reach = position + MAX_SKIP + SKIP_PER_MISS * misses + 1
        for start in range(position, min(len(words), reach)):
            spelled = ""
            for end in range(start, min(len(words), start + MAX_WORDS)):
                spelled += keys[end]
                if spelled == target:
                    match = (start, end)
                    break
                if not target.startswith(spelled):
                    break
            if match:
                break
        if match is not None:
            first, last = match
            out.append(WordTiming(token, words[first].start, words[last].end))
            position, misses = last + 1, 0
        else:
            misses += 1
    return tuple(out)
