"""`corpus speak --kind auto` guesses the kind of a typed text."""

import pytest

from devspeech.corpus.guess import guess_kind


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ('df.groupby("user_id").mean()', "code"),
        ("for i in range(len(items)):", "code"),
        ('git commit -m "fix typo"', "shell"),
        ("./configure --prefix=/usr", "shell"),
        ("Refactor the useState hook in App.tsx.", "prose"),
    ],
)
def test_guess_kind(text: str, kind: str) -> None:
    assert guess_kind(text) == kind
