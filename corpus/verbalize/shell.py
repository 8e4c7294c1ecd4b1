"""A command line: words, flags, paths, quotes and operators."""

from __future__ import annotations

import re

from devspeech.corpus.verbalize.chooser import Chooser
from devspeech.corpus.verbalize.lexer import shell_tokens
from devspeech.corpus.verbalize.lexicon import SHELL_OPERATORS
from devspeech.corpus.verbalize.pieces import say_char, say_pieces, say_quotes
from devspeech.corpus.verbalize.prose import say_prose

_SHORT_FLAGS_RE = re.compile(r"-([A-Za-z]{1,3})")


def say_shell_word(word: str, chooser: Chooser) -> str:
    """One shell word: a flag, a variable, a path or a plain name."""
    if word.startswith("--") and len(word) > 2:
        dashes = chooser.pick((("dash dash", 1.0), ("double dash", 0.6)))
        return f"{dashes} {say_pieces(word[2:], chooser, versions=True)}"
    if match := _SHORT_FLAGS_RE.fullmatch(word):
        return "dash " + " ".join(match.group(1).lower())
    if word.startswith("-") and len(word) > 1:
        return f"dash {say_pieces(word[1:], chooser, versions=True)}"
    return say_pieces(word, chooser, versions=True)


def say_shell(text: str, chooser: Chooser) -> str:
    """One command line under the chooser's style."""
    out: list[str] = []
    for token in shell_tokens(text):
        if token.type == "op":
            out.append(chooser.pick(SHELL_OPERATORS[token.text]))
        elif token.type == "string":
            quote, content = token.text[0], token.text[1:-1]
            opening, closing = say_quotes(quote, chooser)
            out.extend((opening, say_prose(content, chooser), closing))
        elif token.type == "word":
            out.append(say_shell_word(token.text, chooser))
        else:
            out.append(say_char(token.text, chooser))
    return " ".join(w for w in out if w)
