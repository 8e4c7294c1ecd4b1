"""Path-like words (paths, file names, dotted names, flags, URLs) said piece by piece."""

from __future__ import annotations

import re
import unicodedata

from devspeech.corpus.verbalize.chooser import Chooser
from devspeech.corpus.verbalize.identifiers import say_identifier
from devspeech.corpus.verbalize.lexicon import BRACKETS, EXTENSIONS, OPERATORS
from devspeech.corpus.verbalize.numbers import DIGIT_WORDS, say_number


class Unspeakable(ValueError):
    """The text holds something with no spoken form (an emoji, a CJK character, an arrow)."""


_PIECE_RE = re.compile(
    r"\d+(?:\.\d+)+(?![\w])|[A-Za-z_]+(?:[A-Za-z_]|\d+(?=[A-Za-z_]))*\d*(?!\.\d)|\d+|.", re.S
)
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_IPV4_RE = re.compile(r"(?:\d{1,3}\.){3}\d{1,3}")

SEPARATORS: dict[str, str] = {
    ".": "dot",
    "/": "slash",
    "-": "dash",
    "_": "underscore",
    "~": "tilde",
    ":": "colon",
    "@": "at",
    "=": "equals",
    ",": "comma",
    "+": "plus",
    "*": "star",
    "$": "dollar",
    "%": "percent",
    "#": "hash",
    "!": "bang",
    "?": "question mark",
    "^": "caret",
    "&": "ampersand",
    "'": "quote",
    '"': "quote",
    "\\": "backslash",
    "<": "less than",
    ">": "greater than",
    "|": "pipe",
    ";": "semicolon",
    "`": "backtick",
}


def say_quotes(quote: str, chooser: Chooser) -> tuple[str, str]:
    """How the opening and closing quotes of a string are said."""
    if len(quote) == 3:
        return "triple quote", "triple quote"
    opening = "quote" if quote == '"' else chooser.pick((("quote", 1.0), ("single quote", 0.4)))
    return opening, "end quote" if chooser.style.punct == "full" else "quote"


def say_char(char: str, chooser: Chooser) -> str:
    """A single character that is not part of a word or number."""
    if char in BRACKETS[chooser.style.brackets]:
        return BRACKETS[chooser.style.brackets][char]
    if char in SEPARATORS:
        return SEPARATORS[char]
    if char in OPERATORS:
        return chooser.pick(OPERATORS[char])
    if char.isspace():
        return ""
    folded = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
    if folded.isalpha():
        return folded.lower()
    raise Unspeakable(f"no spoken form for {char!r} (U+{ord(char):04X})")


def say_ipv4(address: str) -> str:
    """127.0.0.1 -> "one two seven dot zero dot zero dot one"."""
    return " dot ".join(" ".join(DIGIT_WORDS[int(c)] for c in part) for part in address.split("."))


# Directories of a file system said as written when they stand between slashes, whatever
# the abbreviation style: nobody says /usr/bin as "user binary".
PATH_DIRECTORIES = frozenset({"bin", "sbin", "lib", "lib64", "opt", "var", "etc"})


def say_pieces(word: str, chooser: Chooser, *, versions: bool) -> str:
    """A path-like word: names, numbers and separators, each said in turn."""
    pieces = _PIECE_RE.findall(word)
    out: list[str] = []
    for index, piece in enumerate(pieces):
        before = pieces[index - 1] if index else ""
        after = pieces[index + 1] if index + 1 < len(pieces) else ""
        if _NAME_RE.fullmatch(piece):
            ext = piece.lower()
            if before == "." and ext in EXTENSIONS and not (after[:1].isalnum()):
                letters, spoken = EXTENSIONS[ext]
                out.append(spoken if chooser.style.abbrev == "expanded" else letters)
            elif "/" in (before, after) and ext in PATH_DIRECTORIES:
                out.append(ext)  # `.venv/bin/activate`: "bin", never "binary"
            else:
                out.append(say_identifier(piece, chooser))
        elif _IPV4_RE.fullmatch(piece):
            out.append(say_ipv4(piece))
        elif piece[0].isdigit():
            out.append(say_number(piece, chooser.style, chooser.rng, version=versions))
        elif (
            piece == "-"
            and before[:1].isalnum()
            and after[:1].isalnum()
            and not (before[:1].isdigit() and after[:1].isdigit())
        ):
            # "dry-run", "8-bit", "utf-8": the dash is said only by those who say symbols;
            # between two numbers (dates, ranges) it is always said
            if chooser.style.case != "words":
                out.append("dash")
        else:
            out.append(say_char(piece, chooser))
    return " ".join(w for w in out if w)
