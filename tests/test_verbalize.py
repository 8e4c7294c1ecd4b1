"""Exact verbalizations of named edge cases under two fixed styles."""

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
        "print of length of sorted of items",
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
        "f quote brace name end brace colon brace count colon greater than four quote",
    ),
    (
        "lambda",
        "code",
        "key=lambda pair: pair[1]",
        "key equals lambda pair colon pair open bracket one close bracket",
        "key equals lambda pair colon pair bracket one",
    ),
    (
        "slicing",
        "code",
        "tail = items[-3:]",
        "tail equals items open bracket minus three colon close bracket",
        "tail equals items bracket minus three",
    ),
    (
        "comprehension",
        "code",
        "{k: v for k, v in pairs if v}",
        "open brace k colon v for k comma v in pairs if v close brace",
        "brace k colon v for k v in pairs if v",
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
