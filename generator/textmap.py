"""Word timings carried from the spoken words onto the written tokens that correspond.

The written tokens are the word-like pieces of `text` without punctuation: `np.array(x),`
gives `np.array` and `x`; `"options,"` gives `options`. A piece corresponds to a run of
consecutive spoken words that spell the same letters and digits, case aside ("useState"
is "use state", "README" is "readme"), where spoken separator words ("dot", "underscore",
"dash", "slash") may stand for the piece's own separators ("max_length" is "max
underscore length") and a number may be said as a cardinal, digit by digit, or in pairs
("448" is "four hundred forty eight", "8080" is "eighty eighty"). A dotted piece that
matches nowhere as a whole is tried part by part (`np.array` said "numpy dot array" still
times `array`). The matching moves forward only and may pass over a few spoken words
("open paren"), more after pieces that matched nothing. Pieces with no counterpart
(`np` said "numpy", `==`) are left out rather than guessed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from devspeech.records import WordTiming

MAX_WORDS = 10  # spoken words one written piece may span
MAX_SKIP = 6  # spoken words the match may pass over to find a piece's first word ...
SKIP_PER_MISS = 10  # ... and more for each written piece before it that matched nothing
_NON_ALNUM = re.compile(r"[^0-9a-z]")
_PIECE_RE = re.compile(r"[A-Za-z0-9_]+(?:['.\-/:][A-Za-z0-9_]+)*")
_RUN_RE = re.compile(r"\d+|\D+")
_SPLIT_RE = re.compile(r"[.\-/:]+")
_SEPARATORS = frozenset({"dot", "underscore", "dash", "hyphen", "slash", "colon", "point"})
_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _key(text: str) -> str:
    return _NON_ALNUM.sub("", text.lower())


def _cardinal(value: int) -> str:
    """ "fourhundredfortyeight" for 448: American, without "and"."""
    from num2words import num2words

    return _key(num2words(value).replace(" and ", " "))


@cache
def _number_keys(digits: str) -> frozenset[str]:
    """Ways a run of digits is said, as keys: cardinal, digit by digit, in pairs (8080)."""
    keys = {digits, "".join(_DIGITS[int(c)] for c in digits)}
    keys.add("".join("oh" if c == "0" else _DIGITS[int(c)] for c in digits))
    value = int(digits)
    if len(digits) < 16:
        keys.add(_cardinal(value))
    if len(digits) == 4 and value % 100:
        high, low = _cardinal(value // 100), _cardinal(value % 100)
        keys.add(high + ("oh" if value % 100 < 10 else "") + low)
    return frozenset(keys)


def _targets(piece: str) -> frozenset[str]:
    """The keys a written piece may be spelled as; each run of digits in it has several."""
    targets = {""}
    for run in _RUN_RE.findall(_key(piece)):
        options = _number_keys(run) if run.isdigit() else (run,)
        targets = {t + o for t in targets for o in options}
        if len(targets) > 64:
            return frozenset({_key(piece)})
    return frozenset(targets)


def _match(
    targets: frozenset[str], keys: Sequence[str], position: int, reach: int
) -> tuple[int, int] | None:
    """The first run of spoken words from `position` (starting before `reach`) that spells
    one of `targets`; separator words inside the run may be left out of the spelling."""
    longest = max(len(t) for t in targets)
    for start in range(position, min(len(keys), reach)):
        if not any(t.startswith(keys[start]) for t in targets if keys[start]):
            continue
        spellings = {keys[start]}
        for end in range(start, min(len(keys), start + MAX_WORDS)):
            if end > start:
                word = keys[end]
                grown = {s + word for s in spellings}
                if word in _SEPARATORS:
                    grown |= spellings  # "max underscore length" spells "maxlength"
                spellings = {s for s in grown if len(s) <= longest}
            if spellings & targets:
                return start, end
            if not any(t.startswith(s) for s in spellings for t in targets):
                break
    return None


def text_word_timings(text: str, words: Sequence[WordTiming]) -> tuple[WordTiming, ...]:
    """Timings of the written pieces of `text` that correspond to spoken words, in order."""
    keys = [_key(w.word) for w in words]
    out: list[WordTiming] = []
    position = misses = 0
    for token in text.split():
        for piece in _PIECE_RE.findall(token):
            # the whole piece, else (for a dotted or dashed one) each of its parts
            attempts = [[piece]]
            if not piece.isdigit() and _SPLIT_RE.search(piece):
                attempts.append([p for p in _SPLIT_RE.split(piece) if _key(p)])
            found = False
            for parts in attempts:
                for part in parts:
                    reach = position + MAX_SKIP + SKIP_PER_MISS * misses + 1
                    match = _match(_targets(part), keys, position, reach) if _key(part) else None
                    if match is not None:
                        first, last = match
                        out.append(WordTiming(part, words[first].start, words[last].end))
                        position, misses, found = last + 1, 0, True
                if found:
                    break
            misses += not found
    return tuple(out)
