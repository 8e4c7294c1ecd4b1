"""`+rerank`: the n-best of beam search, and the hypothesis a developer meant."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest
from click.testing import CliRunner
from speech_data import spoken_dataset

from devspeech.benchmark.decoding import Decoding
from devspeech.benchmark.rerank import NAME_BONUS, PARSE_BONUS, Hypothesis, Reranker
from devspeech.cli import cli
from devspeech.errors import InputError

pytestmark = pytest.mark.usefixtures("use_model_cache")


def test_a_name_of_the_vocabulary_wins_over_a_slightly_likelier_misspelling() -> None:
    reranker = Reranker(("get_redirect_target", "np.array"))
    heard = [Hypothesis("url = self.get redirect target(resp)", -0.20),
             Hypothesis("url = self.get_redirect_target(resp)", -0.25)]  # fmt: skip
    assert reranker.choose(heard) == 1
    far = [heard[0], Hypothesis(heard[1].text, -0.20 - NAME_BONUS - PARSE_BONUS - 0.01)]
    assert reranker.choose(far) == 0  # a bonus tips close calls, not clear ones
    assert reranker.names("np.arrays and xnp.array, np.array(x)") == {"np.array"}  # whole only


def test_code_that_parses_wins_and_prose_is_ranked_by_the_beam() -> None:
    reranker = Reranker()
    code = [Hypothesis("print(x", -0.10), Hypothesis("print(x)", -0.15)]
    assert reranker.choose(code) == 1
    prose = [Hypothesis("Import this.", -0.10), Hypothesis("import this", -0.12)]
    assert reranker.choose(prose) == 0  # not code-like: no parse bonus for "import this"
    quotes = [Hypothesis('git commit -m "fix', -0.10), Hypothesis('git commit -m "fix"', -0.25)]
    assert reranker.choose(quotes) == 1  # an unclosed quote is not a shell command
    tie = [Hypothesis("a b", -0.3), Hypothesis("a c", -0.3)]
    assert reranker.choose(tie) == 0  # a tie keeps the beam's order


def test_rerank_is_recorded_in_the_decoding_and_needs_beam_search() -> None:
    decoding = Decoding.parse("beam:4+trie+rerank")
    assert decoding == Decoding("beam", 4, "trie", rerank=True)
    assert str(decoding) == "beam:4+trie+rerank"
    assert str(Decoding.parse("beam:3", rerank=True)) == "beam:3+rerank"
    with pytest.raises(InputError, match=r"--rerank chooses among beam search's hypotheses, "
                                         r"and greedy keeps one; use --decoding beam:N"):  # fmt: skip
        Decoding.parse("greedy+rerank")


LINES = [("prose", "", "Run the tests before you push.", "run the tests before you push", ())]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return spoken_dataset(tmp_path_factory.mktemp("rerank"), LINES, count=1)


class _Recording(Reranker):
    """Keeps every n-best list it is shown and chooses the last hypothesis."""

    seen: ClassVar[list[list[Hypothesis]]] = []

    def choose(self, hypotheses):  # type: ignore[no-untyped-def, override]
        self.seen.append(list(hypotheses))
        return len(hypotheses) - 1


def test_tiny_en_reranks_its_n_best_whose_first_is_whispers_beam_result(dataset: Path) -> None:
    from devspeech.audio import decode_16k
    from devspeech.benchmark.backends import DecodeOptions, TransformersBackend
    from devspeech.benchmark.data import load_eval_set
    from devspeech.benchmark.models import parse_spec

    (row,) = load_eval_set(str(dataset), None, "train", 1, ()).items()
    audio = decode_16k(row.audio)
    spec = parse_spec("bundled:tiny.en")
    beam = TransformersBackend(spec, DecodeOptions(decoding=Decoding("beam", 3)))
    reranked = TransformersBackend(spec, DecodeOptions(decoding=Decoding("beam", 3, rerank=True)))
    (best,) = beam.transcribe([audio], None, False)
    _Recording.seen.clear()
    reranked.reranker = _Recording()
    (chosen,) = reranked.transcribe([audio], None, False)
    (hypotheses,) = _Recording.seen
    assert len(hypotheses) == 3 and len({h.text for h in hypotheses}) == 3
    assert [h.score for h in hypotheses] == sorted((h.score for h in hypotheses), reverse=True)
    assert hypotheses[0].text == best.text  # the n-best starts with Whisper's own beam result
    assert chosen.text == hypotheses[-1].text  # and the reranker's choice is what comes back
    assert "test" in best.text.lower()


def test_rerank_where_it_cannot_run_is_one_line_and_a_non_zero_exit(
    dataset: Path, tmp_path: Path
) -> None:
    base = ["bench", "--model", "bundled:tiny.en", "--data", str(dataset), "--split", "train",
            "-o", str(tmp_path / "b"), "--rerank"]  # fmt: skip
    cases = [
        (["--backend", "faster-whisper", "--decoding", "beam:3"],
         "--rerank needs every hypothesis of beam search, and faster-whisper returns one"),
        ([], "--rerank chooses among beam search's hypotheses, and greedy keeps one"),
    ]  # fmt: skip
    for extra, message in cases:
        done = CliRunner().invoke(cli, [*base, *extra])
        assert done.exit_code != 0
        assert message in done.output and "Traceback" not in done.output
        assert len(done.output.strip().splitlines()) == 1, done.output
