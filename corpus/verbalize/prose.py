"""Developer prose: plain words stay words, the technical tokens in it are verbalized."""

from __future__ import annotations

import re

from devspeech.corpus.verbalize.chooser import Chooser
from devspeech.corpus.verbalize.identifiers import identifier_case, say_identifier
from devspeech.corpus.verbalize.lexicon import OPENERS, OPERATORS, PROSE_ABBREVIATIONS
from devspeech.corpus.verbalize.numbers import NUMBER_RE, say_number
from devspeech.corpus.verbalize.pieces import say_pieces

_TYPOGRAPHY = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u00a0": " ",
    }
)
_WRAPPED_RE = re.compile(r"(?P<pre>[\"'(\[{<*]*)(?P<core>.*?)(?P<post>[\"')\]}>.,;:!?*]*)", re.S)
_PLAIN_RE = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*")
_ACRONYM_PLURAL_RE = re.compile(r"[A-Z]{2,}s")
_HYPHENATED_RE = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)+")
_SPOKEN_SYMBOLS = {"&": "and", "+": "plus", "=": "equals", "%": "percent", "@": "at", "#": "hash"}


def normalize_typography(text: str) -> str:
    """Curly quotes, dashes and ellipses as their ASCII forms."""
    return text.translate(_TYPOGRAPHY)


def _unwrap(token: str) -> tuple[str, str]:
    match = _WRAPPED_RE.fullmatch(token)
    assert match is not None  # the pattern matches any string
    core, post = match.group("core"), match.group("post")
    for opener, closer in OPENERS.items():
        while core.count(opener) > core.count(closer) and post.startswith(closer):
            core, post = core + closer, post[1:]
    return core, post


def say_prose(text: str, chooser: Chooser) -> str:
    """A sentence: words lower-cased, sentence punctuation dropped, code tokens said."""
    out: list[str] = []
    for raw in normalize_typography(text).split():
        core, post = _unwrap(raw)
        abbreviation = (core + post[:1]).lower() if post.startswith(".") else core.lower()
        if abbreviation in PROSE_ABBREVIATIONS:
            out.append(PROSE_ABBREVIATIONS[abbreviation])
            continue
        if not core or set(core) <= {"-"}:
            continue
        if core in _SPOKEN_SYMBOLS:
            out.append(_SPOKEN_SYMBOLS[core])
        elif core in OPERATORS:
            out.append(chooser.pick(OPERATORS[core]))
        elif _PLAIN_RE.fullmatch(core):
            acronyms = _ACRONYM_PLURAL_RE.fullmatch(core) is not None
            plain = not acronyms and (
                identifier_case(core.replace("'", "")) in ("flat",) or core.istitle()
            )
            out.append(core.lower() if plain else say_identifier(core, chooser))
        elif _HYPHENATED_RE.fullmatch(core):
            out.append(" ".join(part.lower() for part in core.split("-")))
        elif NUMBER_RE.fullmatch(core):
            out.append(say_number(core, chooser.style, chooser.rng, version=True))
        elif core[0] in "-+" and NUMBER_RE.fullmatch(core[1:]):
            sign = "minus" if core[0] == "-" else "plus"
            out.append(f"{sign} {say_number(core[1:], chooser.style, chooser.rng, version=True)}")
        else:
            if core.endswith("()") and chooser.style.punct == "implied":
                core = core[:-2]
            out.append(say_pieces(core, chooser, versions=True))
    return " ".join(w for w in out if w)
