"""Statistics of an utterances file: what a person checks before generating speech from it."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from devspeech.corpus.filters import estimate_seconds
from devspeech.corpus.verbalize.lexicon import technical_terms
from devspeech.corpus.verbalize.words import COMMON_ZIPF, zipf
from devspeech.quality import source_type, unbalanced_brackets
from devspeech.records import Utterance


@dataclass(frozen=True)
class Distribution:
    """Summary of a list of numbers."""

    min: float
    median: float
    p90: float
    max: float
    mean: float
    total: float

    @classmethod
    def of(cls, values: list[float]) -> Distribution:
        if not values:
            return cls(0, 0, 0, 0, 0, 0)
        ordered = sorted(values)
        p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
        return cls(
            ordered[0],
            statistics.median(ordered),
            p90,
            ordered[-1],
            round(statistics.fmean(ordered), 3),
            round(sum(ordered), 3),
        )


@dataclass(frozen=True)
class CorpusStats:
    """Counts, lengths, keywords and vocabulary of a corpus."""

    utterances: int
    by_kind: dict[str, int]
    by_language: dict[str, int]
    by_source: dict[str, int]
    by_source_type: dict[str, int]
    by_license: dict[str, int]
    by_style: dict[str, int]
    spoken_words: Distribution
    spoken_seconds: Distribution
    top_keywords: list[tuple[str, int]]
    distinct_keywords: int
    distinct_spoken_words: int
    rare_word_share: float  # share of spoken word tokens that are not common English
    lexicon_coverage: float  # share of the shipped technical terms that occur as keywords
    without_keywords: int  # rows with no keyword: nothing for keyword recall to measure
    unbalanced_brackets: int  # code and shell rows that say a bracket they never close

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _origin(source: str) -> str:
    head = source.rsplit(":", 1)[0]
    return head.split(" ", 1)[0] if " --help" in head else head.split("/", 1)[0]


def compute_stats(utterances: Iterable[Utterance], top: int = 20) -> CorpusStats:
    """Statistics of utterances, in one pass."""
    kinds: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    origins: Counter[str] = Counter()
    types: Counter[str] = Counter()
    bare = unbalanced = 0
    licenses: Counter[str] = Counter()
    styles: Counter[str] = Counter()
    keywords: Counter[str] = Counter()
    spoken_vocab: Counter[str] = Counter()
    words: list[float] = []
    seconds: list[float] = []
    for u in utterances:
        kinds[u.kind] += 1
        languages[u.language or "(prose)"] += 1
        origins[_origin(u.source)] += 1
        types[source_type(u.source)] += 1
        bare += not u.keywords
        unbalanced += u.kind != "prose" and unbalanced_brackets(u.spoken)
        licenses[u.license] += 1
        styles.update(part for part in u.style.split(",") if part.startswith(("case=", "calls=")))
        keywords.update(u.keywords)
        tokens = u.spoken.split()
        spoken_vocab.update(tokens)
        words.append(len(tokens))
        seconds.append(round(estimate_seconds(u.spoken), 3))
    total_tokens = sum(spoken_vocab.values())
    rare = sum(n for w, n in spoken_vocab.items() if zipf(w) < COMMON_ZIPF)
    lowered = {k.lower() for k in keywords}
    terms = technical_terms()
    return CorpusStats(
        utterances=sum(kinds.values()),
        by_kind=dict(kinds.most_common()),
        by_language=dict(languages.most_common()),
        by_source=dict(origins.most_common()),
        by_source_type=dict(types.most_common()),
        by_license=dict(licenses.most_common()),
        by_style=dict(sorted(styles.items())),
        spoken_words=Distribution.of(words),
        spoken_seconds=Distribution.of(seconds),
        top_keywords=keywords.most_common(top),
        distinct_keywords=len(keywords),
        distinct_spoken_words=len(spoken_vocab),
        rare_word_share=round(rare / total_tokens, 4) if total_tokens else 0.0,
        lexicon_coverage=round(len(lowered & terms.keys()) / len(terms), 4),
        without_keywords=bare,
        unbalanced_brackets=unbalanced,
    )


def format_stats(stats: CorpusStats) -> str:
    """A human-readable report."""

    def table(title: str, counts: dict[str, int], limit: int = 12) -> list[str]:
        rows = [f"{title}:"]
        for name, n in list(counts.items())[:limit]:
            share = n / stats.utterances if stats.utterances else 0
            rows.append(f"  {name:<40} {n:>8}  {share:6.1%}")
        if len(counts) > limit:
            rows.append(f"  ... and {len(counts) - limit} more")
        return rows

    w, s = stats.spoken_words, stats.spoken_seconds
    lines = [f"utterances: {stats.utterances}"]
    lines += table("by kind", stats.by_kind)
    lines += table("by language", stats.by_language)
    lines += table("by source", stats.by_source)
    lines += table("by source type", stats.by_source_type)
    lines += table("by license", stats.by_license)
    lines.append(
        f"spoken words: min {w.min:g}, median {w.median:g}, p90 {w.p90:g}, max {w.max:g}, "
        f"mean {w.mean:g}"
    )
    lines.append(
        f"estimated seconds: median {s.median:g}, p90 {s.p90:g}, max {s.max:g}; "
        f"total {s.total / 3600:.2f} h"
    )
    lines.append(
        f"vocabulary: {stats.distinct_spoken_words} distinct spoken words, "
        f"{stats.rare_word_share:.1%} of spoken tokens beyond common English"
    )
    lines.append(
        f"keywords: {stats.distinct_keywords} distinct; technical lexicon coverage "
        f"{stats.lexicon_coverage:.1%}"
    )
    share = stats.without_keywords / stats.utterances if stats.utterances else 0.0
    lines.append(f"rows without keywords: {stats.without_keywords} ({share:.1%})")
    lines.append(f"code and shell rows with an unbalanced bracket: {stats.unbalanced_brackets}")
    lines.append("top keywords: " + ", ".join(f"{k} ({n})" for k, n in stats.top_keywords))
    return "\n".join(lines)
