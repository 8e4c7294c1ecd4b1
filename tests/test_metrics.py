"""Exact metric values on hand-made pairs, and parity with jiwer."""

from __future__ import annotations

import dataclasses
import random

import pytest

from devspeech.benchmark.metrics import (
    RATES,
    Segment,
    align,
    corpus_rate,
    has_loop,
    python_ast,
    score_pair,
)
from devspeech.benchmark.normalize import code_tokens, standard_text


def rate(metric: str, *pairs, **kwargs) -> float | None:
    return corpus_rate([score_pair(r, p, **kwargs) for r, p in pairs], metric)


def test_whisper_normalizer_destroys_code_and_the_code_tokenizer_keeps_it():
    assert standard_text("x = np.array(values)") == "x np array"
    assert code_tokens("x = np.array(values)") == ["x", "=", "np", ".", "array", "(", "values", ")"]
    assert code_tokens("kubectl get pods --dry-run=client") == [
        "kubectl", "get", "pods", "--", "dry", "-", "run", "=", "client"
    ]  # fmt: skip
    assert code_tokens("if a == 1.5e3 and b != c:") == [
        "if",
        "a",
        "==",
        "1.5e3",
        "and",
        "b",
        "!=",
        "c",
        ":",
    ]
    assert code_tokens("useState", casefold=True) == ["usestate"]


def test_empty_reference_and_prediction_edge_cases():
    empty = score_pair("", "")
    assert empty.counts["std_errors"] == 0 and empty.counts["std_ref"] == 0
    assert corpus_rate([empty], "wer") is None  # nothing to score, not zero
    inserted = score_pair("", "hello there")
    assert (inserted.insertions, inserted.counts["std_ref"]) == (2, 0)
    assert rate("wer", ("red green", ""), ("", "hello there")) == 2.0  # (2 D + 2 I) / 2 words
    nothing = score_pair("use the cache", "")
    assert (nothing.deletions, nothing.counts["empty"]) == (3, 1)
    assert rate("empty_rate", ("use the cache", ""), ("a b", "a b")) == 0.5


def test_all_insertions_and_substitutions_are_counted_apart():
    row = score_pair("run it", "please run it now thanks")
    assert (row.substitutions, row.deletions, row.insertions) == (0, 0, 3)
    assert corpus_rate([row], "insertion_rate") == 1.5
    assert corpus_rate([row], "wer") == 1.5


def test_casing_counts_only_in_the_case_sensitive_code_wer():
    pairs = [("call useState here", "call usestate here")]
    assert rate("wer", *pairs) == 0.0  # the normalizer lowercases
    assert rate("code_wer", *pairs) == pytest.approx(1 / 3)
    assert rate("code_wer_folded", *pairs) == 0.0


def test_code_wer_sees_what_the_standard_wer_cannot():
    pairs = [("x = np.array(values)", "x = np.array(value)")]
    assert rate("wer", *pairs) == 0.0  # "x np array" both ways
    assert rate("code_wer", *pairs) == pytest.approx(1 / 8)


def test_keywords_at_the_start_and_end_and_biased_wer():
    row = score_pair(
        "kubectl get pods -n prod", "cube control get pods -n prod", keywords=("kubectl", "prod")
    )
    assert (row.counts["kw_tp"], row.counts["kw_ref"], row.counts["kw_hyp"]) == (1, 2, 1)
    assert corpus_rate([row], "keyword_recall") == 0.5
    assert corpus_rate([row], "keyword_precision") == 1.0
    assert corpus_rate([row], "keyword_f1") == pytest.approx(2 / 3)
    # kubectl substituted (1 error on 2 keyword tokens); "control" inserted off the keyword list
    assert corpus_rate([row], "biased_wer") == 0.5
    assert corpus_rate([row], "unbiased_wer") == pytest.approx(1 / 4)
    # a keyword said but not in the reference costs precision
    extra = score_pair("get pods", "get pods prod", keywords=("prod",))
    assert (extra.counts["kw_tp"], extra.counts["kw_hyp"], extra.counts["bias_errors"]) == (0, 1, 1)
    assert corpus_rate([extra], "keyword_precision") == 0.0


def test_python_validity_accepts_block_headers_and_compares_trees():
    assert python_ast("for i in range(10):") == python_ast("for i in range(10) :")
    assert python_ast("for i in range(10)") is None
    code = {"kind": "code", "language": "python"}
    same = score_pair("for i in range(10):", "for i in range( 10 ):", **code)
    assert (same.counts["py_parses"], same.counts["py_ast_equal"], same.counts["exact"]) == (
        1,
        1,
        0,
    )
    wrong = score_pair("x = np.array(values)", "x = np.array(value)", **code)
    assert (wrong.counts["py_parses"], wrong.counts["py_ast_equal"]) == (1, 0)
    broken = score_pair("print(x)", "print x)", **code)
    assert (broken.counts["py_rows"], broken.counts["py_parses"]) == (1, 0)
    fragment = score_pair("else", "else", **code)  # a reference that is no program scores nothing
    assert fragment.counts["py_rows"] == 0


def test_shell_match_uses_shell_words():
    assert (
        score_pair("git commit -m 'a b'", 'git commit -m "a b"', kind="shell").counts["shell_equal"]
        == 1
    )
    assert score_pair("ls -la /tmp", "ls -l a /tmp", kind="shell").counts["shell_equal"] == 0
    assert score_pair("echo 'open", "echo x", kind="shell").counts["shell_rows"] == 0


def test_loops_are_repeated_ngrams_the_reference_does_not_have():
    assert has_loop(["the", "end", "the", "end", "the", "end", "the", "end"])
    assert not has_loop(["the", "end", "the", "end", "the", "end"])
    assert score_pair("ok", "thank you thank you thank you thank you").counts["loops"] == 1
    assert score_pair("no no no no", "no no no no").counts["loops"] == 0


def test_timestamps_on_long_form_rows():
    reference = [Segment("a", 0.5, 2.0), Segment("b", 2.6, 4.0)]
    good = [Segment("a", 0.4, 2.0), Segment("b", 2.8, 4.1)]
    row = score_pair("a b", "a b", duration_s=4.5, reference_segments=reference,
                     predicted_segments=good)  # fmt: skip
    assert row.counts["ts_well_formed"] == 1
    assert corpus_rate([row], "timestamp_mae_s") == pytest.approx((0.1 + 0.2 + 0.0 + 0.1) / 4)
    backwards = [Segment("a", 2.0, 1.0)]
    row = score_pair("a b", "a b", duration_s=4.5, reference_segments=reference,
                     predicted_segments=backwards)  # fmt: skip
    assert (row.counts["ts_rows"], row.counts["ts_well_formed"]) == (1, 0)
    short = score_pair("a", "a", reference_segments=reference[:1], predicted_segments=good)
    assert short.counts["ts_rows"] == 0  # one segment is not a long-form row


def test_word_and_char_counts_equal_jiwer_on_random_text():
    import jiwer

    rng = random.Random(7)
    vocabulary = ["the", "cache", "use", "state", "numpy", "array", "git", "push", "a", "to"]
    references, predictions = [], []
    for _ in range(200):
        ref = [rng.choice(vocabulary) for _ in range(rng.randint(1, 12))]
        hyp = list(ref)
        for _ in range(rng.randint(0, 4)):
            action = rng.random()
            if action < 0.33 and hyp:
                hyp.pop(rng.randrange(len(hyp)))
            elif action < 0.66:
                hyp.insert(rng.randrange(len(hyp) + 1), rng.choice(vocabulary))
            elif hyp:
                hyp[rng.randrange(len(hyp))] = rng.choice(vocabulary)
        references.append(" ".join(ref))
        predictions.append(" ".join(hyp))
    scores = [score_pair(r, p) for r, p in zip(references, predictions, strict=True)]
    expected = jiwer.process_words(references, predictions)
    assert sum(s.substitutions for s in scores) == expected.substitutions
    assert sum(s.deletions for s in scores) == expected.deletions
    assert sum(s.insertions for s in scores) == expected.insertions
    assert corpus_rate(scores, "wer") == pytest.approx(expected.wer, abs=1e-12)
    assert corpus_rate(scores, "cer") == pytest.approx(
        jiwer.cer(references, predictions), abs=1e-12
    )


def test_alignment_marks_each_reference_token():
    result = align(["a", "b", "c"], ["a", "x", "c", "d"])
    assert result.ref_ops == ("=", "S", "=")
    assert result.inserted == ("d",)
    assert set(RATES) >= {"wer", "cer", "code_wer", "keyword_f1", "timestamp_mae_s"}


def test_bootstrap_interval_brackets_the_corpus_rate_and_is_seeded():
    from devspeech.benchmark.bootstrap import bootstrap, paired_bootstrap

    rows = [score_pair("a b c d", "a b c d")] * 30 + [score_pair("a b c d", "a x c")] * 10
    interval = bootstrap(rows, "wer", seed=1)
    assert interval.value == pytest.approx(20 / 160)
    assert interval.low < interval.value < interval.high
    assert bootstrap(rows, "wer", seed=1) == interval
    assert bootstrap([score_pair("", "")], "wer").value is None
    assert bootstrap([score_pair("a", "a")] * 5, "wer").to_dict() == {
        "value": 0.0, "low": 0.0, "high": 0.0
    }  # fmt: skip

    better = [score_pair("a b c d", "a b c d")] * 40
    compared = paired_bootstrap(rows, better, "wer", seed=1)
    assert compared.difference.value == pytest.approx(20 / 160)
    assert compared.difference.low > 0 and compared.p_value < 0.01
    same = paired_bootstrap(rows, rows, "wer")
    assert same.difference.value == 0 and same.p_value == 1.0
    with pytest.raises(ValueError, match="same rows"):
        paired_bootstrap(rows, better[:3], "wer")


def _line(
    row_id: str,
    reference: str,
    prediction: str,
    keywords: tuple[str, ...],
    prompt: str | None = None,
):  # type: ignore[no-untyped-def]
    from devspeech.records import Prediction, RowLabels

    return Prediction(
        id=row_id, model="m", backend="transformers", condition="glossary" if prompt else "none",
        decoding="greedy", reference=reference, prediction=prediction, audio_s=2.0,
        elapsed_s=None, dataset="dir:x:test", data="ds", split="test",
        labels=RowLabels(kind="prose", keywords=keywords), prompt=prompt,
    )  # fmt: skip


def test_a_prompt_induced_false_keyword_lowers_precision():
    from devspeech.benchmark.score import score_predictions

    reference = "Run the tests with pytest before you push."
    written = "Run the tests with pytest before you push useState."  # a glossary term, unsaid
    # against the row's own keywords alone, precision could never fall
    alone = score_pair(reference, written, keywords=("pytest",))
    assert corpus_rate([alone], "keyword_precision") == 1.0
    lines = [
        _line("a", reference, written, ("pytest",), prompt="useState, kubectl, pytest"),
        _line("b", "Call kubectl to list pods.", "Call kubectl to list pods.", ("kubectl",),
              prompt="useState, kubectl, pytest"),
    ]  # fmt: skip
    result = score_predictions(lines, resamples=50)[0]
    # pytest and kubectl written where said; useState written where nobody said it
    assert result.metrics["keyword_precision"].value == pytest.approx(2 / 3)
    assert result.metrics["keyword_recall"].value == 1.0
    assert result.metrics["keyword_f1"].value == pytest.approx((2 + 2) / (2 + 3))
    # a keyword of another row of the dataset written here counts too, prompt or not
    crossed = [_line("a", reference, reference + " kubectl", ("pytest",)),
               _line("b", "Call kubectl to list pods.", "Call kubectl.", ("kubectl",))]  # fmt: skip
    assert score_predictions(crossed, resamples=50)[0].metrics[
        "keyword_precision"
    ].value == pytest.approx(2 / 3)


def test_the_names_most_often_missed_before_and_after_in_one_table():
    from devspeech.benchmark.missed import most_missed

    rows = [
        _line("a", "Call parse_args() then np.array(x).", "Call parse args then np.array(x).",
              ("parse_args", "np.array")),
        _line("b", "Run kubectl twice: kubectl get pods.", "Run cube control get pods.",
              ("kubectl",)),
        _line("c", "Use useState here.", "Use useState here.", ("useState",)),
    ]  # fmt: skip
    tuned = [dataclasses.replace(r, model="t", prediction=r.reference) for r in rows]
    tuned[1] = dataclasses.replace(tuned[1], prediction="Run kubectl twice: get pods.")
    assert most_missed([*rows, *tuned], "m", "t", top=2).splitlines() == [
        "| name | said | missed before | missed after |",
        "|---|---|---|---|",
        "| `kubectl` | 2 | 2 | 1 |",
        "| `parse_args` | 1 | 1 | 0 |",
    ]
    assert most_missed(tuned[2:], "m", "t") == "No keyword was missed by either model."
