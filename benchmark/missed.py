"""The names a model misses most: per keyword of the predicted rows, how often it was said
and how often each model failed to write it (counted as keyword recall counts)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from devspeech.benchmark.metrics import keyword_hits
from devspeech.records import Prediction


def misses(
    lines: Iterable[Prediction], model: str, condition: str = "none"
) -> tuple[Counter[str], Counter[str]]:
    """(times each keyword was said, times `model` did not write it) over its rows of
    `condition`."""
    said: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    for line in lines:
        if line.model != model or line.condition != condition:
            continue
        for name, (found, count) in keyword_hits(line.reference, line.prediction,
                                                 line.labels.keywords).items():  # fmt: skip
            said[name] += count
            missed[name] += count - found
    return said, missed


def most_missed(
    lines: Sequence[Prediction], before: str, after: str, top: int = 10, condition: str = "none"
) -> str:
    """A Markdown table of the `top` names missed most by the two models together, with
    how often each missed them (ties: the names said most, then by name); one line when
    neither missed any."""
    said, first = misses(lines, before, condition)
    _, second = misses(lines, after, condition)
    names = sorted((n for n in said if first[n] or second[n]),
                   key=lambda n: (-first[n] - second[n], -said[n], n))[:top]  # fmt: skip
    if not names:
        return "No keyword was missed by either model."
    rows = ["| name | said | missed before | missed after |", "|---|---|---|---|"]
    rows += [f"| `{n}` | {said[n]} | {first[n]} | {second[n]} |" for n in names]
    return "\n".join(rows)
