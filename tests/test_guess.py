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
        ("source .venv/bin/activate", "shell"),
        (". .venv/bin/activate", "shell"),
        ("export PATH=$HOME/.local/bin:$PATH", "shell"),
        ("Refactor the useState hook in App.tsx.", "prose"),
    ],
)
def test_guess_kind(text: str, kind: str) -> None:
    assert guess_kind(text) == kind


def test_a_path_in_a_shell_command_is_said_as_a_path_in_every_style() -> None:
    from devspeech.corpus.verbalize import speak_variants

    said = speak_variants("source .venv/bin/activate", "shell", seed=0, count=12)
    assert len(said) >= 2
    for variant in said:
        words = variant.spoken.split()
        assert words[0] == "source" and words[-4:] == ["slash", "bin", "slash", "activate"]
        assert "binary" not in words and "divided" not in words
