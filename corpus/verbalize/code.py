"""A line of Python, JavaScript or TypeScript, said token by token."""

from __future__ import annotations

from devspeech.corpus.verbalize.chooser import Chooser
from devspeech.corpus.verbalize.identifiers import say_identifier
from devspeech.corpus.verbalize.lexer import Token, code_tokens, split_string
from devspeech.corpus.verbalize.lexicon import ABBREVIATIONS, BRACKETS, OPENERS, OPERATORS
from devspeech.corpus.verbalize.numbers import say_number
from devspeech.corpus.verbalize.pieces import say_char, say_quotes
from devspeech.corpus.verbalize.prose import say_prose

# Python builtins a line calls by name (a fixed list: spoken forms must not change with the
# Python version that mines them)
_BUILTINS = frozenset((
    "abs", "all", "any", "ascii", "bin", "bool", "bytearray", "bytes", "callable", "chr", "dict",
    "dir", "divmod", "enumerate", "eval", "filter", "float", "format", "frozenset", "getattr",
    "globals", "hasattr", "hash", "hex", "id", "input", "int", "isinstance", "issubclass", "iter",
    "len", "list", "locals", "map", "max", "min", "next", "object", "oct", "open", "ord", "pow",
    "print", "range", "repr", "reversed", "round", "set", "setattr", "slice", "sorted", "str",
    "sum", "super", "tuple", "type", "vars", "zip",
))  # fmt: skip


def _matching_brackets(tokens: list[Token]) -> dict[int, int]:
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for index, token in enumerate(tokens):
        if token.type != "bracket":
            continue
        if token.text in OPENERS:
            stack.append(index)
        elif stack and OPENERS[tokens[stack[-1]].text] == token.text:
            opener = stack.pop()
            pairs[opener], pairs[index] = index, opener
    return pairs


def _implied(tokens: list[Token]) -> set[int]:
    """Tokens left unsaid under `punct=implied`: commas and a final colon or semicolon.

    Closers are not among them: a bracket that is said is closed where it is written.
    """
    silent = {i for i, t in enumerate(tokens) if t.type == "op" and t.text == ","}
    index = len(tokens) - 1
    while index >= 0 and tokens[index].type == "op" and tokens[index].text in (":", ";"):
        silent.add(index)
        index -= 1
    return silent


def _builtin_call(tokens: list[Token], index: int) -> bool:
    """A call of a Python builtin (`max(`, `len(`): said as its name, never expanded."""
    token = tokens[index]
    following = tokens[index + 1] if index + 1 < len(tokens) else None
    return (
        token.text in _BUILTINS
        and following is not None
        and following.text == "("
        and not (index > 0 and tokens[index - 1].text == ".")
    )


def say_string(token: str, chooser: Chooser) -> str:
    """A string literal: prefix letters, quotes, and its content as prose."""
    prefix, quote, content = split_string(token)
    words = [" ".join(prefix.lower())] if prefix else []
    opening, closing = say_quotes(quote, chooser)
    if not content and chooser.style.names == "varied" and chooser.rng.random() < 0.5:
        return " ".join([*words, "empty string"])
    words.append(opening)
    if content:
        formatted = "f" in prefix.lower() or "{" in content
        words.append(say_code(content, chooser) if formatted else say_prose(content, chooser))
    words.append(closing)
    return " ".join(w for w in words if w)


def say_name(name: str, chooser: Chooser) -> str:
    """An identifier; JavaScript's `$` is said as "dollar"."""
    if "$" not in name:
        return say_identifier(name, chooser)
    parts = [say_identifier(p, chooser) if p else "" for p in name.split("$")]
    return " dollar ".join(parts).strip()


def say_code(text: str, chooser: Chooser) -> str:
    """One line of code under the chooser's style."""
    tokens = code_tokens(text)
    pairs = _matching_brackets(tokens)
    silent = _implied(tokens) if chooser.style.punct == "implied" else set()
    # an unmatched bracket (a line cut inside a call) is left unsaid, so none dangles
    silent |= {i for i, t in enumerate(tokens) if t.type == "bracket" and i not in pairs}
    out: list[str] = []
    for index, token in enumerate(tokens):
        if index in silent:
            continue
        if token.type == "bracket":
            is_call = (
                token.text == "("
                and index > 0
                and tokens[index - 1].type == "name"
                and not token.spaced
                and pairs.get(index, index + 1) != index + 1
            )
            if is_call and chooser.style.calls != "paren" and index in pairs:
                if chooser.style.calls == "of":
                    out.append("of")
                silent.add(pairs[index])
                continue
            out.append(BRACKETS[chooser.style.brackets][token.text])
        elif token.type == "name":
            if _builtin_call(tokens, index):
                out.append(ABBREVIATIONS.get(token.text, (say_name(token.text, chooser),))[0])
            else:
                out.append(say_name(token.text, chooser))
        elif token.type == "number":
            number, suffix = token.text, ""
            if number[-1] in "jJnL" and not number.lower().startswith("0x"):
                number, suffix = number[:-1], number[-1].lower()
            out.append(
                say_number(number, chooser.style, chooser.rng) + (f" {suffix}" * bool(suffix))
            )
        elif token.type == "string":
            out.append(say_string(token.text, chooser))
        elif token.type == "template":
            inner = token.text[1:-1]
            out.append(
                " ".join(w for w in ("backtick", say_prose(inner, chooser), "backtick") if w)
            )
        elif token.type == "op":
            out.append(chooser.pick(OPERATORS[token.text]))
        else:
            out.append(say_char(token.text, chooser))
    return " ".join(w for w in out if w)
