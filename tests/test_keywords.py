"""Keywords: technical terms ranked first, common English never."""

import pytest

from devspeech.corpus.keywords import extract_keywords

CASES = [
    ("code", 'df.groupby("user_id").mean()', ("df", "groupby")),
    ("code", "async def fetch(session, url):", ("async", "def", "url")),
    ("code", "return self.__init__(*args, **kwargs)", ("__init__", "args", "kwargs")),
    ("code", "with open('config.yaml') as fh:", ("config.yaml", "fh")),
    ("code", "if value is None:", ("None",)),
    ("shell", 'git commit -m "fix typo"', ("git", "-m")),
    ("shell", "pip install numpy==1.26.0 --dry-run", ("pip", "--dry-run", "numpy==1.26.0")),
    ("shell", "kubectl get pods -n kube-system", ("kubectl", "kube-system", "-n")),
    (
        "prose",
        "Refactor the useState hook in App.tsx to use useReducer.",
        ("useState", "useReducer", "App.tsx", "Refactor"),
    ),
    ("prose", "Return the value of os.path.join() for the given path.", ("os.path.join",)),
    ("prose", "Requires Python 3.11 or newer.", ("Python", "3.11")),
    ("prose", "The quick brown fox jumps over the lazy dog.", ()),
    # contractions, abbreviations of ordinary English and bare numbers are not terms
    ("prose", "Here's how useState helps, e.g. at 0.61 or -3.", ("useState",)),
    ("prose", "Let's pin numpy 1.26.4, i.e. not v2.", ("numpy", "1.26.4", "v2")),
]


@pytest.mark.parametrize(("kind", "text", "expected"), CASES)
def test_keywords(kind: str, text: str, expected: tuple[str, ...]) -> None:
    assert extract_keywords(text, kind) == expected


def test_common_english_words_are_not_keywords() -> None:
    assert extract_keywords("items = list(range(count))", "code") == ()
