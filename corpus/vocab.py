"""A repository's vocabulary from its mined utterances: every keyword with how often it is
used, what kind of name it is, and the ways the verbalizer says it."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from devspeech.corpus.verbalize import Unspeakable, speak_variants
from devspeech.corpus.verbalize.identifiers import identifier_case
from devspeech.records import Utterance
from devspeech.vocabulary import Term

SPOKEN_VARIANTS = 6  # styles tried per term; the distinct forms are kept
_EXTENSIONS = (
    "py pyi md rst txt json yaml yml toml cfg ini sh bash js jsx ts tsx mjs cjs css html "
    "lock csv tsv xml sql go rs java c h cpp hpp rb php swift kt ipynb env log conf jsonl "
    "bin png jpg svg onnx safetensors pt npy npz whl gz zip tar"
)
FILE_EXTENSIONS = frozenset(_EXTENSIONS.split())
_COMMAND_START = re.compile(r"(?:^|[|;&(]\s*|&&\s*|\|\|\s*)(\S+)")
_IDENTIFIER_CASES = ("snake", "screaming", "camel", "pascal", "kebab", "acronym")


def term_kind(term: str, utterance: Utterance) -> str:
    """identifier, api, tool, flag, path or word: what `term` is in `utterance`."""
    if term.startswith("-"):
        return "flag"
    if utterance.kind == "shell" and term in _COMMAND_START.findall(utterance.text):
        return "tool"
    stem, dot, extension = term.rpartition(".")
    if "/" in term or (dot and stem and extension.lower() in FILE_EXTENSIONS):
        return "path"
    if "." in term.strip(".") or "::" in term:
        return "api"
    if identifier_case(term.strip("_")) in _IDENTIFIER_CASES or "_" in term:
        return "identifier"
    return "word"


def spoken_forms(term: str, kind: str, seed: int = 0, context: str = "code") -> tuple[str, ...]:
    """The distinct ways the verbalizer says `term` alone (none when it cannot); a word is
    said as in the `context` (code, shell or prose) it is most used in."""
    said_as = "shell" if kind in ("flag", "tool", "path") else context if kind == "word" else "code"
    try:
        variants = speak_variants(term, said_as, seed, count=SPOKEN_VARIANTS)
    except Unspeakable:
        return ()
    return tuple(dict.fromkeys(v.spoken for v in variants))


def build_vocabulary(utterances: Iterable[Utterance], seed: int = 0) -> list[Term]:
    """Every keyword of `utterances`, most used first: its count (utterances holding it),
    its most common kind, and its spoken forms."""
    counts: Counter[str] = Counter()
    kinds: dict[str, Counter[str]] = {}
    contexts: dict[str, Counter[str]] = {}
    for utterance in utterances:
        for keyword in dict.fromkeys(utterance.keywords):
            counts[keyword] += 1
            kinds.setdefault(keyword, Counter())[term_kind(keyword, utterance)] += 1
            contexts.setdefault(keyword, Counter())[utterance.kind] += 1
    terms = []
    for text, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        kind = kinds[text].most_common(1)[0][0]
        context = contexts[text].most_common(1)[0][0]
        terms.append(Term(text, spoken_forms(text, kind, seed, context), 1.0, kind, count))
    return terms
