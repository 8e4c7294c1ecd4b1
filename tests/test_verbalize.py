"""Exact verbalizations of named edge cases under two fixed styles."""

import random

import pytest

from devspeech.corpus.verbalize import Style, Unspeakable, speak, speak_variants
from devspeech.corpus.verbalize.speak import SPOKEN_RE

FULL = Style()  # every symbol said, canonical names
NATURAL = Style(
    brackets="short",
    punct="implied",
    calls="of",
    case="formatter",
    abbrev="expanded",
    numbers="digits",
)

CASES = [
    (
        "nested_calls",
        "code",
        "print(len(sorted(items)))",
        "print open paren len open paren sorted open paren items close paren close paren close paren",
        "print of len of sorted of items",
    ),
    (
        "decorator",
        "code",
        "@functools.lru_cache(maxsize=None)",
        "at func tools dot l r u cache open paren max size equals none close paren",
        "at func tools dot snake l r u cache of max size equals none",
    ),
    (
        "f_string",
        "code",
        'f"{name}: {count:>4}"',
        "f quote open brace name close brace colon open brace count colon greater than four close brace end quote",
        "f quote brace name end brace colon brace count colon greater than four end brace quote",
    ),
    (
        "lambda",
        "code",
        "key=lambda pair: pair[1]",
        "key equals lambda pair colon pair open bracket one close bracket",
        "key equals lambda pair colon pair bracket one end bracket",
    ),
    (
        "slicing",
        "code",
        "tail = items[-3:]",
        "tail equals items open bracket minus three colon close bracket",
        "tail equals items bracket minus three colon end bracket",
    ),
    (
        "comprehension",
        "code",
        "{k: v for k, v in pairs if v}",
        "open brace k colon v for k comma v in pairs if v close brace",
        "brace k colon v for k v in pairs if v end brace",
    ),
    (
        "chained_methods",
        "code",
        'df.groupby("user_id").mean()',
        "d f dot group by open paren quote user i d end quote close paren dot mean open paren close paren",
        "data frame dot group by of quote snake user i d quote dot mean paren end paren",
    ),
    (
        "flag_with_value",
        "shell",
        "pytest -k test_parse --maxfail=2",
        "pie test dash k test parse dash dash max fail equals two",
        "pie test dash k snake test parse dash dash max fail equals two",
    ),
    (
        "pipe_redirect",
        "shell",
        "cat log.txt | grep -v ERROR > out.txt 2>&1",
        "cat log dot t x t pipe grep dash v error greater than out dot t x t two greater than ampersand one",
        "cat log dot text pipe grep dash v error greater than out dot text two greater than ampersand one",
    ),
    (
        "version",
        "shell",
        "pip install numpy==1.26.4",
        "pip install numpy equals equals one point twenty six point four",
        "pip install numpy equals equals one point two six point four",
    ),
    ("hex", "code", "mask = 0xFF", "mask equals hex f f", "mask equals hex f f"),
    (
        "scientific",
        "code",
        "lr = 3e-4",
        "l r equals three e minus four",
        "learning rate equals three e minus four",
    ),
    (
        "dunder",
        "code",
        "def __init__(self):",
        "def dunder init open paren self close paren colon",
        "def dunder init of self",
    ),
    (
        "camel",
        "code",
        "setCount(0)",
        "set count open paren zero close paren",
        "camel set count of zero",
    ),
    (
        "pascal",
        "code",
        "class HttpServer:",
        "class h t t p server colon",
        "class pascal h t t p server",
    ),
    ("snake", "code", "user_id = 1", "user i d equals one", "snake user i d equals one"),
    (
        "screaming",
        "code",
        "MAX_RETRIES = 5",
        "max retries equals five",
        "all caps maximum retries equals five",
    ),
    (
        "kebab",
        "shell",
        "npm run build-docs",
        "n p m run build docs",
        "n p m run build dash documentation",
    ),
    (
        "protected",
        "shell",
        "kubectl apply -f deploy.yaml",
        "kube control apply dash f deploy dot yaml",
        "kube control apply dash f deploy dot yammel",
    ),
    (
        "prose",
        "prose",
        "Refactor the useState hook in App.tsx to use useReducer.",
        "refactor the use state hook in app dot t s x to use use reducer",
        "refactor the use state hook in application dot t s x to use use reducer",
    ),
    (
        "port",
        "code",
        "port = 8080",
        "port equals eighty eighty",
        "port equals eight zero eight zero",
    ),
    (
        "python_version_prose",
        "prose",
        "Requires Python 3.11 or newer.",
        "requires python three point eleven or newer",
        "requires python three point one one or newer",
    ),
    (
        "empty_call_implied",
        "code",
        "self.close()",
        "self dot close open paren close paren",
        "self dot close paren end paren",
    ),
    (
        "path",
        "shell",
        "cd ~/src/app",
        "c d tilde slash s r c slash app",
        "c d tilde slash source slash application",
    ),
]


@pytest.mark.parametrize(
    ("name", "kind", "text", "full", "natural"), CASES, ids=[c[0] for c in CASES]
)
def test_pinned_verbalization(name: str, kind: str, text: str, full: str, natural: str) -> None:
    assert speak(text, kind, FULL) == full
    assert speak(text, kind, NATURAL) == natural


def test_identifier_split_keeps_protected_terms() -> None:
    assert speak("numpy_stdout = kubectl", "code", FULL) == "numpy standard out equals kube control"


def test_run_together_words_are_split_when_each_piece_is_a_word() -> None:
    assert speak("startswith", "code", FULL) == "starts with"


def test_symbols_with_no_spoken_form_are_unspeakable() -> None:
    with pytest.raises(Unspeakable):
        speak("x = '→'", "code", FULL)


def test_accented_letters_are_folded() -> None:
    assert speak('name = "café"', "code", FULL) == "name equals quote cafe end quote"


def test_variants_are_seeded_distinct_and_record_their_style() -> None:
    first = speak_variants("for i in range(len(items)):", "code", seed=3, count=4)
    again = speak_variants("for i in range(len(items)):", "code", seed=3, count=4)
    assert first == again
    assert len({v.spoken for v in first}) == 4
    for variant in first:
        assert Style.parse(str(variant.style)) == variant.style
        assert variant.spoken.startswith("for i in range")


def test_every_spoken_form_is_words_only() -> None:
    for _, _kind, text, full, natural in CASES:
        assert SPOKEN_RE.fullmatch(full) and SPOKEN_RE.fullmatch(natural), text


def test_style_parse_rejects_unknown_values() -> None:
    from devspeech.errors import InputError

    with pytest.raises(InputError, match="brackets"):
        Style.parse("brackets=curly")


SPOKEN_FORM_FIXES = [
    ("Exit code -11 means a segfault.", "prose", Style(), "exit code minus eleven means a segfault"),
    ("Use an 8-bit integer.", "prose", Style(), "use an eight bit integer"),
    ("Use an 8-bit integer.", "prose", Style(case="symbols"), "use an eight dash bit integer"),
    ("Encode it as utf-8 on x86-64.", "prose", Style(), "encode it as u t f eight on x eighty six sixty four"),
    ("Read pages 10-20.", "prose", Style(), "read pages ten dash twenty"),
    ("Upload the CSVs to the bucket.", "prose", Style(), "upload the c s v's to the bucket"),
    ("The APIs and GPUs.", "prose", Style(), "the a p i's and g p u's"),
    ("Pass the task_ids list.", "prose", Style(), "pass the task i d's list"),
    ("Dates use ISO8601.", "prose", Style(numbers="digits"), "dates use iso eight six zero one"),
    # builtins are said as their names, even where other names are expanded
    ("x = max(len(a), len(b))", "code", Style(abbrev="expanded", punct="implied"),
     "x equals max open paren len open paren a close paren len open paren b close paren close paren"),
    ("s = str(n)", "code", Style(abbrev="expanded"), "s equals stir open paren n close paren"),
    # a said bracket is closed, under implied punctuation too; an unmatched one is not said
    ("result = foo(bar(baz(1)))", "code", Style(punct="implied", brackets="left-right"),
     "result equals foo left paren bar left paren baz left paren one right paren right paren right paren"),
    ("result = call(a,", "code", Style(), "result equals call a comma"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "kind", "style", "spoken"), SPOKEN_FORM_FIXES)
def test_spoken_forms_a_developer_would_say(text, kind, style, spoken):
    assert speak(text, kind, style) == spoken


def test_four_digit_numbers_keep_their_zeros():
    from devspeech.corpus.verbalize.numbers import say_integer

    said = {say_integer("8601", Style(), random.Random(seed)) for seed in range(40)}
    assert said == {"eight thousand six hundred one", "eighty six oh one"}


NESTED = [
    "print(sorted(set(str(x) for x in items)))",
    "tail = items[-3:]",
    "data = {k: [f(v) for v in vs] for k, vs in groups.items()}",
    "assert foo(bar(baz(1)), [2, (3, 4)])",
    "if any(map(len, rows)):",
    "x = compute(",
    "y = a[0]) + b",
]


def test_no_sampled_style_leaves_a_bracket_unbalanced():
    from devspeech.corpus.verbalize.speak import speak_variants
    from devspeech.quality import unbalanced_brackets

    assert unbalanced_brackets("foo open paren x") and unbalanced_brackets("x close bracket")
    assert unbalanced_brackets("paren x end bracket")
    assert not unbalanced_brackets("f left paren a bracket one end bracket right paren")
    for text in NESTED:
        for seed in range(60):
            spoken = speak_variants(text, "code", seed)[0].spoken
            assert not unbalanced_brackets(spoken), (text, spoken)
