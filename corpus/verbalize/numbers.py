"""Numbers, versions, hex and scientific notation as words (num2words does the counting)."""

from __future__ import annotations

import random
import re

from devspeech.corpus.verbalize.style import Style

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")

HEX_RE = re.compile(r"0[xX]([0-9a-fA-F_]+)")
BIN_RE = re.compile(r"0[bB]([01_]+)")
OCT_RE = re.compile(r"0[oO]([0-7_]+)")
SCI_RE = re.compile(r"(\d[\d_]*(?:\.\d+)?|\.\d+)[eE]([+-]?)(\d+)")
VERSION_RE = re.compile(r"\d+(?:\.\d+)+")
INT_RE = re.compile(r"\d[\d_]*")
NUMBER_RE = re.compile(
    r"0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+"
    r"|(?:\d[\d_]*(?:\.\d+)?|\.\d+)[eE][+-]?\d+"
    r"|\d[\d_]*(?:\.\d+)+|\.\d+|\d[\d_]*"
)


def cardinal(value: int) -> str:
    """42 -> "forty two" (American: no "and", no hyphens or commas)."""
    from num2words import num2words

    words = num2words(value, lang="en")
    return words.replace("-", " ").replace(",", "").replace(" and ", " ")


def digits(text: str) -> str:
    """ "8080" -> "eight zero eight zero"."""
    return " ".join(DIGIT_WORDS[int(c)] for c in text if c.isdigit())


def say_integer(text: str, style: Style, rng: random.Random) -> str:
    """An integer literal, by the style's number convention."""
    clean = text.replace("_", "")
    if style.numbers == "digits" and len(clean) > 1:
        return digits(clean)
    if (len(clean) > 1 and clean.startswith("0")) or len(clean) > 7:
        return digits(clean)
    value = int(clean)
    if 1000 <= value <= 9999 and value % 1000 >= 10 and value % 100 != 0 and rng.random() < 0.5:
        # "eighty eighty" for 8080, "eighty six oh one" for 8601, as years and ports are said
        low = value % 100
        return cardinal(value // 100) + (" oh " if low < 10 else " ") + cardinal(low)
    return cardinal(value)


def say_decimal(text: str, style: Style, rng: random.Random) -> str:
    """ "3.14" -> "three point one four"; ".5" -> "point five"."""
    whole, _, fraction = text.partition(".")
    head = say_integer(whole, style, rng) + " " if whole else ""
    return f"{head}point {digits(fraction)}"


def say_version(text: str, style: Style, rng: random.Random) -> str:
    """ "3.11" -> "three point eleven" (natural) or "three point one one" (digits)."""
    parts = text.split(".")
    if style.numbers == "digits":
        return " point ".join(digits(p) if len(p) > 1 else cardinal(int(p)) for p in parts)
    return " point ".join(
        digits(p) if len(p) > 1 and p.startswith("0") else cardinal(int(p)) for p in parts
    )


def spell_alnum(text: str) -> str:
    """Hex digits and letters one by one: "1F" -> "one f"."""
    return " ".join(DIGIT_WORDS[int(c)] if c.isdigit() else c.lower() for c in text if c != "_")


def say_number(text: str, style: Style, rng: random.Random, *, version: bool = False) -> str:
    """Any numeric literal; `version` reads dotted numbers as versions rather than decimals."""
    if m := HEX_RE.fullmatch(text):
        prefix = "hex" if style.names == "canonical" or rng.random() < 0.6 else "zero x"
        return f"{prefix} {spell_alnum(m.group(1))}"
    if m := BIN_RE.fullmatch(text):
        return f"binary {spell_alnum(m.group(1))}"
    if m := OCT_RE.fullmatch(text):
        return f"octal {spell_alnum(m.group(1))}"
    if m := SCI_RE.fullmatch(text):
        mantissa, sign, exponent = m.groups()
        said_sign = {"-": "minus ", "+": "plus ", "": ""}[sign]
        return f"{say_number(mantissa, style, rng)} e {said_sign}{cardinal(int(exponent))}"
    if VERSION_RE.fullmatch(text):
        if version or text.count(".") > 1:
            return say_version(text, style, rng)
        return say_decimal(text, style, rng)
    if text.startswith(".") and text[1:].isdigit():
        return say_decimal(text, style, rng)
    if INT_RE.fullmatch(text):
        return say_integer(text, style, rng)
    raise ValueError(f"not a number: {text!r}")
