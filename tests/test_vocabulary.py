"""Vocabularies: the file a person can write by hand, and the one `corpus vocab` mines."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from devspeech.cli import cli
from devspeech.corpus.vocab import build_vocabulary, term_kind
from devspeech.errors import InputError
from devspeech.records import Utterance, utterance_id
from devspeech.vocabulary import Term, parse_vocabulary, read_vocabulary, write_vocabulary


def _utterance(text: str, kind: str, keywords: tuple[str, ...]) -> Utterance:
    return Utterance(utterance_id(kind, text), text, "", kind, "", keywords, "", "t", "MIT")


def test_a_hand_written_file_needs_only_one_term_a_line() -> None:
    vocabulary = parse_vocabulary(
        "# my project\nuseState\n\nkubectl\tkube control; kube cuddle\n"
        "np.array\t\t2.5\tapi\t7\nuseState\n"
    )
    assert vocabulary.texts == ("useState", "kubectl", "np.array")  # the repeat is dropped
    assert vocabulary.terms[0] == Term("useState")
    assert vocabulary.terms[1].spoken == ("kube control", "kube cuddle")
    assert vocabulary.terms[2] == Term("np.array", (), 2.5, "api", 7)


def test_written_files_read_back_to_the_same_terms(tmp_path: Path) -> None:
    terms = [Term("np.array", ("n p dot array", "numpy dot array"), 1.0, "api", 12),
             Term("--dry-run", ("dash dash dry run",), 0.5, "flag", 1), Term("useState")]  # fmt: skip
    write_vocabulary(tmp_path / "v.txt", terms)
    assert read_vocabulary(tmp_path / "v.txt").terms == tuple(terms)
    lines = (tmp_path / "v.txt").read_text(encoding="utf-8").splitlines()
    assert lines[2:] == ["np.array\tn p dot array; numpy dot array\t1\tapi\t12",
                         "--dry-run\tdash dash dry run\t0.5\tflag\t1", "useState"]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ok\nuse state\n", r"v.txt:2: a term is one name without spaces \('use state'\); put "
                            r"the words a person says for it in the second"),
        ("ok\nx\t\theavy\n", r"v.txt:2: the weight 'heavy' is not a positive number"),
        ("x\t\t-1\n", r"v.txt:1: the weight '-1' is not a positive number"),
        ("x\t\t1\tmacro\n", r"v.txt:1: unknown kind 'macro'; one of identifier, api, tool"),
        ("x\t\t1\tapi\tmany\n", r"v.txt:1: the count 'many' is not a whole number"),
        ("x\ta\t1\tapi\t2\textra\n", r"v.txt:1: 6 tab-separated fields; a line holds at most 5"),
        ("# only a comment\n\n", r"the vocabulary .*v.txt holds no terms; one term a line"),
    ],
)  # fmt: skip
def test_a_bad_vocabulary_file_is_one_line_naming_where_and_what(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "v.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_vocabulary(path)


def test_a_missing_or_binary_vocabulary_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no vocabulary file at .*nope.txt; write one with "
                                         r"devspeech corpus vocab, or by hand"):  # fmt: skip
        read_vocabulary(tmp_path / "nope.txt")
    (tmp_path / "b.txt").write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(InputError, match=r"b.txt is not a UTF-8 text file; a vocabulary is plain"):
        read_vocabulary(tmp_path / "b.txt")


def test_terms_are_classified_by_what_they_are_in_their_utterance() -> None:
    shell = _utterance("kubectl get pods --all-namespaces | grep web", "shell", ())
    code = _utterance("np.array(x) # see README.md and src/app.py", "code", ())
    assert [term_kind(t, shell) for t in ("kubectl", "grep", "--all-namespaces", "pods")] == [
        "tool", "tool", "flag", "word"]  # fmt: skip
    assert [term_kind(t, code) for t in ("np.array", "README.md", "src/app.py", "total_bytes",
                                         "useState", "numpy")] == [
        "api", "path", "path", "identifier", "identifier", "word"]  # fmt: skip


def test_the_vocabulary_counts_kinds_and_says_each_term() -> None:
    utterances = [
        _utterance("x = np.array(values)", "code", ("np.array",)),
        _utterance("y = np.array(other)", "code", ("np.array", "other")),
        _utterance("git push --dry-run", "shell", ("git", "--dry-run")),
    ]
    terms = {t.text: t for t in build_vocabulary(utterances)}
    assert list(terms) == ["np.array", "--dry-run", "git", "other"]  # most used, then a-z
    assert terms["np.array"].count == 2 and terms["np.array"].kind == "api"
    assert "n p dot array" in terms["np.array"].spoken
    assert terms["--dry-run"].kind == "flag" and all(
        s.startswith(("dash dash", "double dash")) for s in terms["--dry-run"].spoken
    )
    assert terms["git"].kind == "tool"


def test_corpus_vocab_mines_a_repository_and_mine_writes_the_same_vocabulary(
    project: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    done = runner.invoke(cli, ["corpus", "vocab", str(project), "-o", str(tmp_path / "v.txt")])
    assert done.exit_code == 0, done.output
    vocabulary = read_vocabulary(tmp_path / "v.txt")
    assert {"useState", "sphinx-build", "parse_args"} <= set(vocabulary.texts)
    assert f"wrote {tmp_path / 'v.txt'} ({len(vocabulary)} terms)" in done.output
    done = runner.invoke(cli, ["corpus", "mine", str(project), "-o", str(tmp_path / "u.jsonl"),
                               "--vocab-out", str(tmp_path / "m.txt")])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert (tmp_path / "m.txt").read_bytes() == (tmp_path / "v.txt").read_bytes()
    done = runner.invoke(cli, ["corpus", "vocab", "--utterances", str(tmp_path / "u.jsonl"),
                               "-o", str(tmp_path / "u.txt")])  # fmt: skip
    assert (tmp_path / "u.txt").read_bytes() == (tmp_path / "v.txt").read_bytes()
    done = runner.invoke(cli, ["corpus", "vocab", "-o", str(tmp_path / "x.txt")])
    assert done.exit_code != 0 and "give sources to mine" in done.output
