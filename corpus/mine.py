"""Mining: sources -> documents -> candidates -> filtered, verbalized, deduplicated utterances."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from devspeech.corpus.extract.candidate import Candidate
from devspeech.corpus.extract.sentences import looks_like_prose
from devspeech.corpus.filters import (
    estimate_seconds,
    has_markup,
    is_binary,
    looks_generated,
    remove_markup,
    string_share,
)
from devspeech.corpus.keywords import extract_keywords
from devspeech.corpus.language import is_english
from devspeech.corpus.privacy import find_personal_data, find_secret
from devspeech.corpus.sample import balanced_sample
from devspeech.corpus.sources.base import Document, SourceScan
from devspeech.corpus.verbalize import Unspeakable, speak_variants
from devspeech.errors import NothingMinedError
from devspeech.records import KINDS, Kind, Utterance, utterance_id
from devspeech.runner import Report, RunnerOptions, cpu_count, run_units

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MineOptions:
    """Every knob of mining, with its default."""

    seed: int = 0
    max_words: int = 25
    max_seconds: float = 12.0
    min_words: int = 3
    max_string_share: float = 0.75
    kinds: tuple[Kind, ...] = KINDS
    limit: int | None = None
    mix: Mapping[str, float] | None = None
    # where documents are mined (processes here, or Ray tasks); never changes the output
    runner: RunnerOptions = field(default_factory=lambda: RunnerOptions(workers=cpu_count()))
    # keep only ordinary English: the prose sentences with no technical term (a general
    # set that guards a fine-tuned model against forgetting), and nothing else
    general: bool = False


@dataclass(slots=True)
class DocumentResult:
    """What one document gave: utterances in order, and what was filtered, by reason."""

    utterances: list[Utterance]
    filtered: Counter[str]
    file_problem: str | None = None


@dataclass
class MineSummary:
    """Counts of everything mining saw, kept, and left out."""

    sources: list[str] = field(default_factory=list)
    documents: int = 0
    files_skipped: Counter[str] = field(default_factory=Counter)
    candidates: int = 0
    filtered: Counter[str] = field(default_factory=Counter)
    pool: Counter[str] = field(default_factory=Counter)
    written: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, object]:
        return {
            "sources": self.sources,
            "documents": self.documents,
            "files_skipped": dict(sorted(self.files_skipped.items())),
            "candidates": self.candidates,
            "filtered": dict(sorted(self.filtered.items())),
            "pool": dict(sorted(self.pool.items())),
            "written": dict(sorted(self.written.items())),
        }


def read_document(document: Document) -> str:
    """The text of a document with universal newlines; raises ValueError naming the problem."""
    if document.text is not None:
        return document.text
    assert document.path is not None
    try:
        data = document.path.read_bytes()
    except OSError as error:
        raise ValueError("unreadable file") from error
    if is_binary(data):
        raise ValueError("binary file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("undecodable file") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def extract(document: Document, text: str) -> Iterator[Candidate]:
    """Candidates of a document by its format; raises ValueError when it does not parse."""
    from devspeech.corpus.extract.build import BUILD_EXTRACTORS
    from devspeech.corpus.extract.markdown import extract_markdown
    from devspeech.corpus.extract.python import extract_python
    from devspeech.corpus.extract.text import extract_text
    from devspeech.corpus.extract.treesitter import NoParser, extract_tree

    fmt = document.format
    if fmt == "python":
        try:
            return iter(list(extract_python(text)))
        except (SyntaxError, ValueError, RecursionError):
            raise ValueError("unparsable file") from None
    if fmt in ("javascript", "typescript", "tsx", "bash"):
        try:
            return extract_tree(text, fmt)
        except NoParser:
            raise ValueError("no parser installed") from None
    if fmt == "markdown":
        return extract_markdown(text)
    if fmt in BUILD_EXTRACTORS:
        return BUILD_EXTRACTORS[fmt](text.split("\n"))
    if fmt == "metadata":
        head, _, body = text.partition("\n\n")
        offset = head.count("\n") + 2
        if "markdown" in head.lower():
            return extract_markdown(body, line_offset=offset)
        return (c.shifted(offset) for c in extract_text(body))
    if fmt in ("help", "man"):
        return extract_text(text, help_text=True, tool=document.origin)
    return extract_text(text)


_VERDICTS: dict[tuple[str, str], tuple[str, str] | str] = {}
_VERDICTS_OPTIONS: list[MineOptions] = []  # the options the cache was filled under
_VERDICT_CACHE_SIZE = 500_000


def _judge(candidate: Candidate, options: MineOptions) -> tuple[str, str] | str:
    """(spoken, style) of a candidate, or why it is filtered out; repeats are looked up.

    The verdict depends only on kind, text and options (one set per process and run), so a
    line met again in another file (`import os`) is not verbalized twice.
    """
    if [options] != _VERDICTS_OPTIONS:
        _VERDICTS.clear()
        _VERDICTS_OPTIONS[:] = [options]
    key = (candidate.kind, candidate.text)
    if (verdict := _VERDICTS.get(key)) is None:
        if len(_VERDICTS) >= _VERDICT_CACHE_SIZE:
            _VERDICTS.clear()
        verdict = _VERDICTS[key] = _judge_uncached(candidate, options)
    return verdict


def _judge_uncached(candidate: Candidate, options: MineOptions) -> tuple[str, str] | str:
    text = candidate.text
    if secret := find_secret(text):
        return f"secret ({secret})"
    if personal := find_personal_data(text):
        return f"personal data ({personal})"
    if candidate.kind == "prose":
        if has_markup(text):
            return "markup"
        if not looks_like_prose(text):
            return "not a sentence"
        if not is_english(text):
            return "non-English"
    elif candidate.kind == "code" and string_share(text) > options.max_string_share:
        return "string-heavy"
    try:
        variant = speak_variants(text, candidate.kind, options.seed, 1)[0]
    except (Unspeakable, ValueError, RecursionError):
        return "unspeakable"
    words = variant.spoken.count(" ") + 1
    if words > options.max_words or estimate_seconds(variant.spoken) > options.max_seconds:
        return "too long"
    if words < options.min_words:
        return "too short"
    return variant.spoken, str(variant.style)


def mine_document(document: Document, options: MineOptions) -> DocumentResult:
    """Utterances of one document, in line order, and the reasons others were left out."""
    filtered: Counter[str] = Counter()
    try:
        text = read_document(document)
        if document.path is not None and looks_generated(text, document.name):
            raise ValueError("generated or minified file")
        candidates = sorted(extract(document, text), key=lambda c: c.line)
    except ValueError as problem:
        return DocumentResult([], filtered, str(problem))
    utterances: list[Utterance] = []
    for candidate in candidates:
        if candidate.kind not in options.kinds:
            continue
        if candidate.kind == "prose" and has_markup(candidate.text):
            # the sentence is kept with its markup taken off; what markup remains filters it
            candidate = replace(candidate, text=remove_markup(candidate.text))
        verdict = _judge(candidate, options)
        if isinstance(verdict, str):
            filtered[verdict] += 1
            continue
        keywords = extract_keywords(candidate.text, candidate.kind)
        if options.general and (candidate.kind != "prose" or keywords):
            filtered["technical (not general English)"] += 1
            continue
        if not options.general and candidate.kind == "prose" and not keywords:
            filtered["no technical terms"] += 1
            continue
        spoken, style = verdict
        utterances.append(
            Utterance(
                id=utterance_id(candidate.kind, candidate.text),
                text=candidate.text,
                spoken=spoken,
                kind=candidate.kind,
                language=candidate.language,
                keywords=keywords,
                style=style,
                source=document.source(candidate.line),
                license=document.license,
            )
        )
    return DocumentResult(utterances, filtered)


def _mine_one(options: MineOptions, document: Document, report: Report) -> DocumentResult:
    """Mine one document; a bug met on one file is counted against that file, not fatal."""
    try:
        return mine_document(document, options)
    except Exception as error:
        log.warning("%s: %s: %s", document.prefix, type(error).__name__, error)
        return DocumentResult([], Counter(), f"extraction error ({type(error).__name__})")


def _results(documents: list[Document], options: MineOptions) -> Iterator[DocumentResult]:
    """Results in document order; each document is a unit of work for the runner."""
    runner = options.runner
    if len(documents) < 4 and runner.executor == "local":
        runner = replace(runner, workers=1)
    for _, result in run_units(partial(_mine_one, options), documents, runner, chunk=4):
        yield result


def mine(
    scans: Iterable[SourceScan],
    options: MineOptions,
    *,
    progress: bool = False,
    pool_out: list[Utterance] | None = None,
) -> tuple[list[Utterance], MineSummary]:
    """Mine every source, drop duplicates, and sample per `options`; order is deterministic.
    `pool_out`, when given, receives every utterance before sampling (a vocabulary is of all
    a source's names, not of the sample's)."""
    from tqdm import tqdm

    summary = MineSummary()
    scans = list(scans)
    seen_text: set[tuple[str, str]] = set()
    seen_folded: set[tuple[str, str]] = set()
    pool: list[Utterance] = []
    for scan in scans:
        summary.sources.append(scan.label)
        summary.files_skipped.update(scan.skipped)
        summary.documents += len(scan.documents)
        produced = 0
        read = 0
        filtered: Counter[str] = Counter()
        skipped = Counter(scan.skipped)
        bar = tqdm(
            total=len(scan.documents),
            desc=scan.label[:40],
            unit="file",
            disable=None if progress else True,
            leave=False,
            dynamic_ncols=True,
        )
        with bar:
            for result in _results(scan.documents, options):
                bar.update(1)
                if result.file_problem:
                    summary.files_skipped[result.file_problem] += 1
                    skipped[result.file_problem] += 1
                    continue
                read += 1
                filtered.update(result.filtered)
                summary.filtered.update(result.filtered)
                summary.candidates += sum(result.filtered.values()) + len(result.utterances)
                produced += len(result.utterances)
                for utterance in result.utterances:
                    exact = (utterance.kind, utterance.text)
                    folded = (utterance.kind, " ".join(utterance.text.split()))
                    if exact in seen_text:
                        summary.filtered["duplicate"] += 1
                    elif folded in seen_folded:
                        summary.filtered["duplicate (whitespace)"] += 1
                    else:
                        seen_text.add(exact)
                        seen_folded.add(folded)
                        pool.append(utterance)
        if not produced:
            raise NothingMinedError(_nothing_mined(scan.label, read, filtered, skipped))
    summary.pool.update(u.kind for u in pool)
    if pool_out is not None:
        pool_out.extend(pool)
    chosen = balanced_sample(pool, options.limit, options.mix, options.seed)
    summary.written.update(u.kind for u in chosen)
    return chosen, summary


def _nothing_mined(label: str, read: int, filtered: Counter[str], skipped: Counter[str]) -> str:
    """Why a source gave no utterance: what was read, what the filters took, what was skipped."""
    parts = [f"{read} file(s) read"]
    if filtered:
        reasons = ", ".join(f"{n} {reason}" for reason, n in filtered.most_common(3))
        parts.append(f"all {sum(filtered.values())} candidate line(s) filtered out ({reasons})")
    elif read:
        parts.append("no line in them looks like code, a command or a sentence")
    if skipped:
        reasons = ", ".join(f"{n} {reason}" for reason, n in skipped.most_common(3))
        parts.append(f"file(s) skipped: {reasons}")
    return f"{label}: no utterances ({'; '.join(parts)})"


def format_summary(summary: MineSummary, output: Path) -> str:
    """The one-screen report after a run."""
    lines = [f"wrote {sum(summary.written.values())} utterances to {output}"]
    lines.append("  by kind: " + ", ".join(f"{k} {summary.written.get(k, 0)}" for k in KINDS))
    lines.append(
        f"  documents: {summary.documents}, candidates: {summary.candidates}, "
        f"pool after filters: {sum(summary.pool.values())}"
    )
    if summary.files_skipped:
        lines.append(
            "  files skipped: "
            + ", ".join(f"{reason} {n}" for reason, n in summary.files_skipped.most_common())
        )
    if summary.filtered:
        lines.append(
            "  filtered: "
            + ", ".join(f"{reason} {n}" for reason, n in summary.filtered.most_common())
        )
    return "\n".join(lines)
