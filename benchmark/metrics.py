"""Every metric of one (reference, prediction) pair, as counts that add up over a corpus.

Each rate is a ratio of sums over rows (errors over reference tokens, matches over
keywords, ...), so a corpus figure, a breakdown and a bootstrap resample all come from
the same per-row numerators and denominators. Each tokenization is aligned once per
pair; WER, insertion rate and the keyword-position errors read that one alignment.

Alignments use rapidfuzz's Levenshtein opcodes, as jiwer does, so substitution,
deletion and insertion counts equal jiwer's on the same strings.
"""

from __future__ import annotations

import ast
import shlex
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from devspeech.benchmark.normalize import (
    code_tokens,
    squash_whitespace,
    standard_text,
)
from devspeech.records import Segment

LOOP_REPEATS = 4  # an n-gram said this many times in a row is a decoding loop
LOOP_MAX_N = 4


@dataclass(frozen=True)
class Alignment:
    """The edit operations turning a reference into a hypothesis."""

    hits: int
    substitutions: int
    deletions: int
    insertions: int
    ref_ops: tuple[str, ...]  # per reference token: "=" hit, "S" substituted, "D" deleted
    inserted: tuple[str, ...]  # hypothesis tokens with no reference counterpart

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    @property
    def reference_length(self) -> int:
        return self.hits + self.substitutions + self.deletions


def align(reference: Sequence[str], hypothesis: Sequence[str]) -> Alignment:
    from rapidfuzz.distance import Levenshtein

    ops: list[str] = []
    inserted: list[str] = []
    counts = {"equal": 0, "replace": 0, "delete": 0, "insert": 0}
    for tag, i1, i2, j1, j2 in Levenshtein.opcodes(list(reference), list(hypothesis)):
        if tag == "equal":
            ops += ["="] * (i2 - i1)
            counts[tag] += i2 - i1
        elif tag == "replace":  # rapidfuzz gives equal spans on both sides for a replace
            ops += ["S"] * (i2 - i1)
            counts[tag] += i2 - i1
        elif tag == "delete":
            ops += ["D"] * (i2 - i1)
            counts[tag] += i2 - i1
        else:
            inserted += hypothesis[j1:j2]
            counts[tag] += j2 - j1
    return Alignment(
        counts["equal"],
        counts["replace"],
        counts["delete"],
        counts["insert"],
        tuple(ops),
        tuple(inserted),
    )


def _occurrences(tokens: Sequence[str], needle: Sequence[str]) -> list[int]:
    """Start positions of non-overlapping occurrences of `needle` in `tokens`."""
    found: list[int] = []
    if not needle:
        return found
    i, n = 0, len(needle)
    while i + n <= len(tokens):
        if list(tokens[i : i + n]) == list(needle):
            found.append(i)
            i += n
        else:
            i += 1
    return found


class Vocabulary:
    """The biasing terms in play, as code-token sequences indexed by their first token."""

    def __init__(self, needles: Iterable[tuple[str, ...]] = ()) -> None:
        self.by_first: dict[str, set[tuple[str, ...]]] = {}
        self.tokens: set[str] = set()
        for needle in needles:
            if needle:
                self.by_first.setdefault(needle[0], set()).add(needle)
                # names, not the dots and brackets between them: an inserted "." is no term
                self.tokens.update(t for t in needle if any(c.isalnum() for c in t))

    @classmethod
    def of(cls, terms: Iterable[str]) -> Vocabulary:
        return cls(tuple(code_tokens(term)) for term in dict.fromkeys(terms))

    def with_terms(self, needles: Iterable[tuple[str, ...]]) -> Vocabulary:
        extra = [n for n in needles if n and n not in self.by_first.get(n[0], ())]
        if not extra:
            return self
        joined = Vocabulary(extra)
        for first, group in self.by_first.items():
            joined.by_first.setdefault(first, set()).update(group)
        joined.tokens |= self.tokens
        return joined

    def needles(self) -> list[tuple[str, ...]]:
        return sorted(n for group in self.by_first.values() for n in group)

    def candidates(self, tokens: Sequence[str]) -> list[tuple[str, ...]]:
        """The terms whose first token occurs in `tokens` (in a stable order)."""
        found = {n for t in set(tokens) for n in self.by_first.get(t, ())}
        return sorted(found)

    def has_token(self, token: str) -> bool:
        return token in self.tokens


def python_ast(text: str) -> str | None:
    """A dump of the code's AST (positions left out), or None when it does not parse.

    A lone block header (`for i in range(10):`) is valid code once it has a body.
    """
    source = text.strip()
    for candidate in (source, source + "\n    pass"):
        try:
            return ast.dump(ast.parse(candidate))
        except (SyntaxError, ValueError):
            if not source.endswith(":"):
                return None
    return None


def shell_words(text: str) -> list[str] | None:
    try:
        return shlex.split(text)
    except ValueError:
        return None


def has_loop(words: Sequence[str]) -> bool:
    """Whether some 1- to 4-gram repeats LOOP_REPEATS times in a row."""
    for n in range(1, LOOP_MAX_N + 1):
        for start in range(len(words) - n * LOOP_REPEATS + 1):
            gram = words[start : start + n]
            if all(
                words[start + k * n : start + (k + 1) * n] == gram for k in range(1, LOOP_REPEATS)
            ):
                return True
    return False


def timestamps_well_formed(segments: Sequence[Segment], duration_s: float) -> bool:
    """Non-empty, each segment ordered, starts non-decreasing, all inside the audio."""
    if not segments:
        return False
    previous = 0.0
    for s in segments:
        if not (previous - 1e-6 <= s.start <= s.end <= duration_s + 0.5):
            return False
        previous = s.start
    return True


def boundary_errors(reference: Sequence[Segment], predicted: Sequence[Segment]) -> list[float]:
    """|error| of each reference start and end against the nearest predicted one of its kind."""
    if not predicted:
        return []
    starts = [s.start for s in predicted]
    ends = [s.end for s in predicted]
    errors = [min(abs(r.start - p) for p in starts) for r in reference]
    errors += [min(abs(r.end - p) for p in ends) for r in reference]
    return errors


# metric name -> (numerator key, denominator key) of RowScore.counts
RATES: dict[str, tuple[str, str]] = {
    "wer": ("std_errors", "std_ref"),
    "cer": ("char_errors", "char_ref"),
    "code_wer": ("code_errors", "code_ref"),
    "code_wer_folded": ("code_folded_errors", "code_folded_ref"),
    "keyword_recall": ("kw_tp", "kw_ref"),
    # recall of the names the model trained on, and of those it never saw (known only where
    # bench knows the model's training data: a run folder, or --train-data)
    "keyword_recall_seen": ("kw_tp_seen", "kw_ref_seen"),
    "keyword_recall_unseen": ("kw_tp_unseen", "kw_ref_unseen"),
    "keyword_precision": ("kw_hyp_tp", "kw_hyp"),
    "keyword_f1": ("kw_f1_num", "kw_f1_den"),
    "biased_wer": ("bias_errors", "bias_ref"),
    "unbiased_wer": ("unbias_errors", "unbias_ref"),
    "python_parse_rate": ("py_parses", "py_rows"),
    "python_ast_match": ("py_ast_equal", "py_rows"),
    "shell_match": ("shell_equal", "shell_rows"),
    "exact_match": ("exact", "rows"),
    "insertion_rate": ("std_insertions", "std_ref"),
    "empty_rate": ("empty", "rows"),
    "loop_rate": ("loops", "rows"),
    "timestamp_well_formed": ("ts_well_formed", "ts_rows"),
    "timestamp_mae_s": ("ts_abs_error", "ts_boundaries"),
}


@dataclass
class RowScore:
    """Counts of one pair; `counts` feeds RATES, the S/D/I fields feed the results file."""

    counts: dict[str, float] = field(default_factory=dict)
    substitutions: int = 0
    deletions: int = 0
    insertions: int = 0


def _needles(keywords: Iterable[str]) -> dict[tuple[str, ...], str]:
    """Each keyword's code tokens (what is searched for), to the keyword."""
    by_needle = {tuple(code_tokens(k)): k for k in keywords}
    by_needle.pop((), None)
    return by_needle


def _keyword_counts(
    ref_code: Sequence[str], hyp_code: Sequence[str], by_needle: dict[tuple[str, ...], str]
) -> dict[tuple[str, ...], tuple[int, int, list[int]]]:
    """Per keyword: (occurrences written, occurrences said, where each said one starts)."""
    out = {}
    for needle in by_needle:
        in_ref = _occurrences(ref_code, needle)
        out[needle] = (min(len(in_ref), len(_occurrences(hyp_code, needle))), len(in_ref), in_ref)
    return out


def keyword_hits(
    reference: str, prediction: str, keywords: Sequence[str]
) -> dict[str, tuple[int, int]]:
    """Per keyword of a row: (times written, times said), counted as keyword recall counts
    them."""
    by_needle = _needles(keywords)
    counts = _keyword_counts(code_tokens(reference), code_tokens(prediction), by_needle)
    return {by_needle[n]: (found, said) for n, (found, said, _) in counts.items()}


def score_pair(
    reference: str,
    prediction: str,
    *,
    keywords: Sequence[str] = (),
    vocabulary: Vocabulary | None = None,
    kind: str = "prose",
    language: str = "",
    duration_s: float = 0.0,
    reference_segments: Sequence[Segment] = (),
    predicted_segments: Sequence[Segment] | None = None,
    seen: Collection[str] | None = None,
) -> RowScore:
    """All metrics of one pair, as counts; `seen` are the keywords the model trained on
    (None: not known, and recall is not split)."""
    counts: dict[str, float] = {}
    std_ref = standard_text(reference)
    std_hyp = standard_text(prediction)
    words = align(std_ref.split(), std_hyp.split())
    counts["std_errors"] = words.errors
    counts["std_ref"] = words.reference_length
    counts["std_insertions"] = words.insertions
    chars = align(list(std_ref.strip()), list(std_hyp.strip()))
    counts["char_errors"] = chars.errors
    counts["char_ref"] = chars.reference_length

    ref_code, hyp_code = code_tokens(reference), code_tokens(prediction)
    code = align(ref_code, hyp_code)
    counts["code_errors"] = code.errors
    counts["code_ref"] = code.reference_length
    folded = align([t.casefold() for t in ref_code], [t.casefold() for t in hyp_code])
    counts["code_folded_errors"] = folded.errors
    counts["code_folded_ref"] = folded.reference_length

    # keywords: occurrences in the code tokens, case-sensitive. Recall counts the row's own
    # keywords; precision counts every biasing term in play (the row's keywords and
    # `vocabulary`: the dataset's keywords and the prompt's terms), so a term written where
    # it was not said counts against it.
    tp = ref_n = 0
    split = {"seen": [0, 0], "unseen": [0, 0]}  # [found, said] of each side
    biased = [False] * len(ref_code)
    by_needle = _needles(keywords)
    own = set(by_needle)
    for needle, (found, said, starts) in _keyword_counts(ref_code, hyp_code, by_needle).items():
        for start in starts:
            for i in range(start, start + len(needle)):
                biased[i] = True
        tp += found
        ref_n += said
        if seen is not None:
            side = split["seen" if by_needle[needle] in seen else "unseen"]
            side[0] += found
            side[1] += said
    for name, (found, said) in split.items():
        counts[f"kw_tp_{name}"], counts[f"kw_ref_{name}"] = found, said
    hyp_tp = hyp_n = 0
    terms = vocabulary.with_terms(own) if vocabulary is not None else Vocabulary(own)
    for needle in terms.candidates(hyp_code):
        in_hyp = len(_occurrences(hyp_code, needle))
        hyp_tp += min(len(_occurrences(ref_code, needle)), in_hyp)
        hyp_n += in_hyp
    counts.update(kw_tp=tp, kw_ref=ref_n, kw_hyp_tp=hyp_tp, kw_hyp=hyp_n)
    counts.update(kw_f1_num=tp + hyp_tp, kw_f1_den=ref_n + hyp_n)
    bias_errors = sum(op != "=" for op, b in zip(code.ref_ops, biased, strict=True) if b)
    unbias_errors = sum(op != "=" for op, b in zip(code.ref_ops, biased, strict=True) if not b)
    bias_insertions = sum(terms.has_token(t) for t in code.inserted)
    counts["bias_errors"] = bias_errors + bias_insertions
    counts["bias_ref"] = sum(biased)
    counts["unbias_errors"] = unbias_errors + len(code.inserted) - bias_insertions
    counts["unbias_ref"] = len(biased) - sum(biased)

    counts["rows"] = 1
    counts["exact"] = int(squash_whitespace(reference) == squash_whitespace(prediction))
    counts["py_rows"] = counts["py_parses"] = counts["py_ast_equal"] = 0
    if kind == "code" and language == "python":
        expected = python_ast(reference)
        if expected is not None:  # a reference fragment that does not parse scores nothing
            got = python_ast(prediction)
            counts.update(
                py_rows=1, py_parses=int(got is not None), py_ast_equal=int(got == expected)
            )
    counts["shell_rows"] = counts["shell_equal"] = 0
    if kind == "shell":
        expected_words = shell_words(reference)
        if expected_words is not None:
            counts["shell_rows"] = 1
            counts["shell_equal"] = int(shell_words(prediction) == expected_words)
    counts["empty"] = int(not prediction.strip() and bool(reference.strip()))
    # on code tokens, so "me-me-me-me" loops as surely as "me me me me"
    counts["loops"] = int(has_loop(hyp_code) and not has_loop(ref_code))

    counts["ts_rows"] = counts["ts_well_formed"] = 0
    counts["ts_abs_error"] = counts["ts_boundaries"] = 0
    if predicted_segments is not None and len(reference_segments) > 1:
        counts["ts_rows"] = 1
        if timestamps_well_formed(predicted_segments, duration_s):
            counts["ts_well_formed"] = 1
            errors = boundary_errors(reference_segments, predicted_segments)
            counts["ts_abs_error"] = sum(errors)
            counts["ts_boundaries"] = len(errors)
    return RowScore(counts, words.substitutions, words.deletions, words.insertions)


def corpus_rate(scores: Sequence[RowScore], metric: str) -> float | None:
    """A metric over many rows: the sum of numerators over the sum of denominators."""
    numerator, denominator = RATES[metric]
    top = sum(s.counts[numerator] for s in scores)
    bottom = sum(s.counts[denominator] for s in scores)
    return top / bottom if bottom else None
