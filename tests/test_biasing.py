"""Trie shallow fusion over a vocabulary, and prompts longer than Whisper takes."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from devspeech.benchmark.backends import DecodeOptions, fit_prompt
from devspeech.benchmark.biasing import TokenTrie, TrieLogitsProcessor
from devspeech.benchmark.decoding import Decoding
from devspeech.errors import InputError

pytestmark = pytest.mark.usefixtures("use_model_cache")
BONUS = 2.0


@pytest.fixture(scope="module")
def tokenizer(model_cache: Path):  # type: ignore[no-untyped-def]
    import os

    from transformers import WhisperTokenizer

    from devspeech.benchmark.models import parse_spec, transformers_location
    from devspeech.cache import CACHE_ENV

    os.environ[CACHE_ENV] = str(model_cache)
    return WhisperTokenizer.from_pretrained(transformers_location(parse_spec("random:80")))


def _ids(tokenizer, text: str) -> list[int]:  # type: ignore[no-untyped-def]
    return list(tokenizer.encode(text, add_special_tokens=False))


def _prefix(tokenizer) -> list[int]:  # type: ignore[no-untyped-def]
    return [tokenizer.convert_tokens_to_ids(t) for t in ("<|startoftranscript|>",
                                                         "<|notimestamps|>")]  # fmt: skip


def test_a_term_is_favoured_token_by_token_until_it_is_complete(tokenizer) -> None:  # type: ignore[no-untyped-def]
    trie = TokenTrie.of_terms(tokenizer, ["np.array"])
    spaced = _ids(tokenizer, " np.array")
    assert len(spaced) >= 3  # " np", ".", "array": a term of several tokens
    size = len(tokenizer)
    written = [*_prefix(tokenizer), *_ids(tokenizer, " call")]
    for k, token in enumerate(spaced):
        shift = trie.adjustment(written, size, BONUS)
        assert shift[token] == BONUS  # the next token of the term
        assert shift[_ids(tokenizer, " the")[0]] == -BONUS * k  # leaving takes back k bonuses
        written.append(token)
    shift = trie.adjustment(written, size, BONUS)  # complete: nothing pending
    assert shift[_ids(tokenizer, " the")[0]] == 0.0
    assert shift[tokenizer.convert_tokens_to_ids("<|endoftext|>")] == 0.0
    assert shift[spaced[0]] == 0.0  # the same term again at once is not pushed (no loops)
    written.append(_ids(tokenizer, " and")[0])
    assert trie.adjustment(written, size, BONUS)[spaced[0]] == BONUS / 2  # later, half as much
    written += [*spaced, _ids(tokenizer, " and")[0]]
    shift = trie.adjustment(written, size, BONUS)
    assert shift[spaced[0]] == BONUS / 4  # no list of the same name to the token limit
    assert shift[_ids(tokenizer, "np.array")[0]] == BONUS  # written glued: another start


def test_a_false_start_is_revoked_in_beam_search_and_forgotten_after(tokenizer) -> None:  # type: ignore[no-untyped-def]
    import torch

    trie = TokenTrie.of_terms(tokenizer, ["np.array"])
    processor = TrieLogitsProcessor(trie, BONUS)
    spaced = _ids(tokenizer, " np.array")
    the = _ids(tokenizer, " the")[0]
    started = [*_prefix(tokenizer), spaced[0], spaced[1]]  # " np." then it goes elsewhere
    rows = torch.tensor([started, [*_prefix(tokenizer), *_ids(tokenizer, " call it")]])
    scores = torch.zeros((2, len(tokenizer)))
    out = processor(rows, scores)
    assert out[0, the].item() == -2 * BONUS  # both bonuses the false start earned, taken back
    assert out[0, spaced[2]].item() == BONUS  # "array" would have completed it
    assert out[1, the].item() == 0.0 and out[1, spaced[0]].item() == BONUS
    node, depth = trie.state([*started, the])
    assert node is trie.root and depth == 0  # once abandoned, nothing more is taken
    assert trie.adjustment([*started, the], len(tokenizer), BONUS)[the] == 0.0


def test_a_term_glued_to_what_precedes_it_is_favoured_too(tokenizer) -> None:  # type: ignore[no-untyped-def]
    trie = TokenTrie.of_terms(tokenizer, ["useState"])
    spaced, glued = _ids(tokenizer, " useState"), _ids(tokenizer, "useState")
    assert spaced[0] != glued[0]  # " use" after a space, "use" after "("
    shift = trie.adjustment([*_prefix(tokenizer), *_ids(tokenizer, " x =")], len(tokenizer), BONUS)
    assert shift[spaced[0]] == BONUS and shift[glued[0]] == BONUS
    after_paren = [*_prefix(tokenizer), *_ids(tokenizer, " f("), *glued[:-1]]
    assert trie.adjustment(after_paren, len(tokenizer), BONUS)[glued[-1]] == BONUS
    assert trie.size == 2
    prompt = [tokenizer.convert_tokens_to_ids("<|startofprev|>"), *spaced]
    begun = [*prompt, *_prefix(tokenizer), *_ids(tokenizer, " x =")]
    assert trie.adjustment(begun, len(tokenizer), BONUS)[spaced[0]] == BONUS  # prompt: no count
    false_starts = [*begun, spaced[0], *_ids(tokenizer, " the")]
    assert trie.adjustment(false_starts, len(tokenizer), BONUS)[spaced[0]] == BONUS / 2


def test_special_tokens_end_a_term_and_bad_terms_are_refused(tokenizer) -> None:  # type: ignore[no-untyped-def]
    trie = TokenTrie.of_terms(tokenizer, ["np.array"])
    timestamp = tokenizer.convert_tokens_to_ids("<|1.00|>")
    node, depth = trie.state([*_prefix(tokenizer), _ids(tokenizer, " np.array")[0], timestamp])
    assert node is trie.root and depth == 0
    for bad in ("<|endoftext|>", " "):
        with pytest.raises(InputError, match=r"does not tokenize to text tokens; remove it"):
            TokenTrie.of_terms(tokenizer, [bad])


def test_a_prompt_longer_than_whisper_takes_is_cut_by_whole_terms_with_one_warning(
    tokenizer,  # type: ignore[no-untyped-def]
    caplog: pytest.LogCaptureFixture,
) -> None:
    terms = [f"module_{n}.function_{n}" for n in range(300)]
    prompt = ", ".join(terms)
    with caplog.at_level(logging.WARNING):
        fitted = fit_prompt(prompt, tokenizer)
        assert fit_prompt(prompt, tokenizer) == fitted  # the same prompt again: no new warning
    kept = fitted.split(", ")
    assert kept == terms[-len(kept) :] and 0 < len(kept) < 300
    assert len(_ids(tokenizer, " " + fitted)) <= 223
    assert len(_ids(tokenizer, " " + ", ".join(terms[-len(kept) - 1 :]))) > 223  # as many as fit
    (record,) = [r for r in caplog.records if "Whisper keeps the last 223" in r.getMessage()]
    assert f": {300 - len(kept)} of its 300 terms dropped from its start" in record.getMessage()
    assert fit_prompt("np.array, useState", tokenizer) == "np.array, useState"


def test_a_long_glossary_and_trie_biasing_decode_in_transformers_not_in_faster_whisper(
    tmp_path: Path,
) -> None:
    from devspeech.benchmark.backends import load_backend
    from devspeech.benchmark.models import parse_spec

    audio = np.zeros(16_000, dtype=np.float32)
    greedy = DecodeOptions(max_new_tokens=4)
    backend = load_backend("transformers", parse_spec("random:80"), greedy)
    long_prompt = ", ".join(f"name_{n}_{n}" for n in range(600))  # thousands of tokens
    assert len(backend.transcribe([audio], long_prompt, False)) == 1  # no ValueError
    trie = DecodeOptions(max_new_tokens=4, decoding=Decoding(biasing="trie"),
                         vocabulary=("np.array",))  # fmt: skip
    assert len(load_backend("transformers", parse_spec("random:80"), trie).transcribe(
        [audio], None, False)) == 1  # fmt: skip
    with pytest.raises(InputError, match=r"--biasing trie favours the terms of a vocabulary; "
                                         r"give one with --vocabulary FILE"):  # fmt: skip
        load_backend("transformers", parse_spec("random:80"),
                     DecodeOptions(decoding=Decoding(biasing="trie")))  # fmt: skip
    with pytest.raises(InputError, match=r"--biasing trie needs a logits hook, and CTranslate2's "
                                         r"Whisper \(faster-whisper\) has none"):  # fmt: skip
        load_backend("faster-whisper", parse_spec("bundled:tiny.en"), trie)


def test_decodings_carry_their_biasing() -> None:
    assert str(Decoding.parse("greedy", "trie")) == "greedy+trie"
    assert Decoding.parse("beam:4+trie") == Decoding("beam", 4, "trie")
    with pytest.raises(InputError, match=r"--biasing 'magic'; choose one of none, trie"):
        Decoding.parse("greedy", "magic")
    with pytest.raises(InputError, match=r"'magic' is neither a biasing \(none, trie\) nor rerank"):
        Decoding.parse("greedy+magic")
