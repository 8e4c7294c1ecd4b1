"""What a benchmark (and fine-tuning) listens to: a generated dataset folder, any Hugging
Face audio dataset (a Hub id, or a local folder `datasets` reads: parquet, an audiofolder
with metadata.csv), or a folder of a person's own recordings with same-named .txt
transcripts.

A source is streamed, never held: `EvalSource.items()` yields one row at a time with
its audio still encoded, and the bench decodes each clip once, when its batch comes.
A row whose audio does not decode is counted in `failures` (and fails the run under
`strict`). Each source carries a fingerprint that predictions record, so scores are
never mixed across datasets.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from devspeech.audio import SAMPLE_RATE, decode_16k
from devspeech.dataset import (
    RECIPE_FILE,
    count_rows,
    is_complete,
    read_records,
    read_rows,
    shard_files,
    splits_present,
)
from devspeech.errors import InputError
from devspeech.records import Augmentation, DatasetRow, RowLabels, Segment

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")


class MissingSplit(InputError):
    """The source exists but has no rows for the split asked for."""


# the transcript column of common datasets: devspeech and LibriSpeech, audiofolder
# metadata, Common Voice
TEXT_COLUMNS = ("text", "transcription", "sentence")


def _text_column(columns: Iterable[str]) -> str | None:
    present = set(columns)  # a generator would be used up by the first `in`
    return next((c for c in TEXT_COLUMNS if c in present), None)


@dataclass(frozen=True)
class EvalItem:
    """One row to transcribe: encoded audio, the reference and the labels scoring needs."""

    id: str
    audio: bytes  # encoded (FLAC, WAV or OGG)
    reference: str
    labels: RowLabels

    @property
    def long_form(self) -> bool:
        return len(self.labels.segments) > 1


@dataclass(frozen=True)
class Clip:
    """An item with its audio decoded to 16 kHz (the encoded bytes are dropped)."""

    id: str
    audio: np.ndarray
    reference: str
    labels: RowLabels

    @property
    def long_form(self) -> bool:
        return len(self.labels.segments) > 1

    @property
    def audio_s(self) -> float:
        return len(self.audio) / SAMPLE_RATE


@dataclass
class EvalSource:
    """A streamed set of rows: `items()` reads them afresh on every call."""

    name: str
    split: str
    fingerprint: str
    rows: Callable[[], Iterable[EvalItem]]
    size: int | None  # rows in the source, where known without reading it
    limit: int | None = None
    kinds: tuple[str, ...] = ()
    strict: bool = False
    failures: Counter[str] = field(default_factory=Counter)
    failed: list[str] = field(default_factory=list)  # names of what failed, the first MAX_NAMED
    skipped_files: list[str] = field(default_factory=list)  # files the source could not list
    # a job array's part: the rows at positions shard_index, shard_index + num_shards, ...
    num_shards: int = 1
    shard_index: int = 0

    def shard(self, num_shards: int, shard_index: int) -> None:
        """Keep only this job's share of the rows (positions after the kinds filter)."""
        if num_shards < 1 or not 0 <= shard_index < num_shards:
            raise InputError("--shard-index must be in [0, --num-shards)")
        if num_shards > 1 and self.limit is not None:
            raise InputError("--limit takes the first rows of a split; shard a whole split")
        self.num_shards, self.shard_index = num_shards, shard_index

    def note_failure(self, reason: str, name: str) -> None:
        self.failures[reason] += 1
        if len(self.failed) < MAX_NAMED:
            self.failed.append(name)

    def reset_failures(self) -> None:
        """Start a pass: files skipped at listing are failures of every pass."""
        self.failures.clear()
        self.failed.clear()
        if self.shard_index == 0:  # counted by one part of a job array, not by each
            for name in self.skipped_files:
                self.note_failure("no transcript", name)

    def expected_rows(self) -> int | None:
        """How many rows a pass will yield, where that is known before reading them."""
        if self.kinds or self.size is None:
            return self.limit
        if self.num_shards > 1:
            return len(range(self.shard_index, self.size, self.num_shards))
        return self.size if self.limit is None else min(self.size, self.limit)

    def items(self) -> Iterator[EvalItem]:
        """Rows of the selected kinds (of this shard), encoded, in the source's order."""
        position = 0
        for item in self.rows():
            if not self.kinds or item.labels.kind in self.kinds:
                if position % self.num_shards == self.shard_index:
                    yield item
                position += 1

    def clips(self, done: Callable[[str], bool] | None = None) -> Iterator[Clip | str]:
        """Each row decoded once, up to `limit` rows that decode; a corrupt row is counted
        (or raises under `strict`). A row `done` says was already predicted is not decoded:
        its id is yielded in its place, so it still counts toward the limit."""
        kept = 0
        for item in self.items():
            if self.limit is not None and kept >= self.limit:
                return
            if done is not None and done(item.id):
                kept += 1
                yield item.id
                continue
            try:
                audio = decode_16k(item.audio)
            except InputError as error:
                if self.strict:
                    raise InputError(f"{self.name}: row {item.id}: {error}") from None
                self.note_failure("corrupt audio", item.id)
                continue
            kept += 1
            labels = item.labels
            if not labels.duration_s:
                labels = replace(labels, duration_s=len(audio) / SAMPLE_RATE)
            yield Clip(item.id, audio, item.reference, labels)

    def first_clip(self) -> Clip:
        """The first row that decodes (for a warm-up); InputError when there is none."""
        before, named = Counter(self.failures), list(self.failed)
        clip = next((c for c in self.clips() if isinstance(c, Clip)), None)
        corrupt = self.failures["corrupt audio"] - before["corrupt audio"]
        names = self.failed[len(named) :]
        self.failures, self.failed = before, named  # peeking counts nothing
        if clip is None:
            why = (
                f" ({corrupt} row(s) skipped as corrupt audio: {', '.join(names)})"
                if corrupt
                else ""
            )
            raise InputError(f"{self.name} ({self.split}) has no rows to benchmark{why}")
        return clip


def noise_label(augmentation: Augmentation | None) -> str:
    """clean, or the SNR band a row was mixed at."""
    snr = augmentation.snr_db if augmentation is not None else None
    if snr is None:
        return "clean"
    if snr >= 20:
        return "snr>=20"
    return "snr10-20" if snr >= 10 else "snr<10"


def item_from_row(row: DatasetRow) -> EvalItem:
    """A generated dataset's row, with every label."""
    return EvalItem(
        id=row.id,
        audio=row.audio.bytes,
        reference=row.text,
        labels=RowLabels(
            kind=row.kind,
            language=row.language,
            keywords=row.keywords,
            engine=row.speaker.engine,
            noise=noise_label(row.augmentation),
            duration_s=row.duration_s,
            segments=row.segments,
        ),
    )


def _item_from_mapping(row: dict[str, Any]) -> EvalItem:
    """A row of any Hugging Face audio dataset: text and audio, other labels if present."""
    column = _text_column(k for k, v in row.items() if v is not None)
    if column is None:
        raise InputError(f"the dataset has no {' or '.join(TEXT_COLUMNS)} column")
    audio = row.get("audio") or {}
    data = audio.get("bytes") if isinstance(audio, dict) else None
    if data is None and isinstance(audio, dict) and audio.get("path"):
        path = Path(audio["path"])  # a dataset of local files (audiofolder) keeps paths
        data = path.read_bytes() if path.is_file() else None
    if data is None:
        raise InputError("the dataset's audio column holds no bytes")
    segments = tuple(
        Segment(s["text"], float(s["start"]), float(s["end"])) for s in row.get("segments") or ()
    )
    snr = (row.get("augmentation") or {}).get("snr_db")
    return EvalItem(
        id=str(row.get("id") or hashlib.sha256(data).hexdigest()[:16]),
        audio=data,
        reference=row[column],
        labels=RowLabels(
            kind=row.get("kind") or "unknown",
            language=row.get("language") or "",
            keywords=tuple(row.get("keywords") or ()),
            engine=(row.get("speaker") or {}).get("engine", ""),
            noise=noise_label(Augmentation(snr_db=snr)) if "augmentation" in row else "unknown",
            duration_s=float(row.get("duration_s") or 0.0),
            segments=segments,
        ),
    )


def load_dataset_dir(
    root: Path,
    split: str,
    limit: int | None = None,
    kinds: tuple[str, ...] = (),
    strict: bool = False,
    allow_partial: bool = False,
) -> EvalSource:
    recipe = root / RECIPE_FILE
    if not recipe.is_file():
        raise InputError(f"{root} is not a devspeech dataset (no {RECIPE_FILE})")
    if not allow_partial and not is_complete(root):
        raise InputError(
            f"{root} is an unfinished dataset (no card yet); finish it with the same "
            "devspeech generate command, or pass --allow-partial to read what is there"
        )
    if not shard_files(root, split):
        present = splits_present(root)
        has = f"it has {', '.join(present)}" if present else "it has no shards"
        raise MissingSplit(f"{root} has no {split} shards under data/ ({has})")
    fingerprint = hashlib.sha256(recipe.read_bytes()).hexdigest()[:16]
    return EvalSource(
        str(root),
        split,
        f"dir:{fingerprint}:{split}",
        lambda: (item_from_row(row) for row in read_records(root, split)),
        count_rows(root, split),
        limit,
        kinds,
        strict,
    )


def load_hub_dataset(
    repo_id: str,
    split: str,
    limit: int | None = None,
    kinds: tuple[str, ...] = (),
    strict: bool = False,
) -> EvalSource:
    from datasets import Audio, load_dataset

    try:
        dataset = load_dataset(repo_id, split=split)
    except Exception as error:  # datasets raises many types for a missing repo or split
        if "split" in str(error).lower() and split in str(error):
            raise MissingSplit(f"{repo_id} has no {split} split ({error})") from None
        raise InputError(f"cannot load {repo_id} split {split}: {error}") from None
    if _text_column(dataset.column_names) is None or "audio" not in dataset.column_names:
        raise InputError(
            f"{repo_id} has no audio column or no transcript ({', '.join(TEXT_COLUMNS)})"
        )
    dataset = dataset.cast_column("audio", Audio(decode=False))
    fingerprint = getattr(dataset, "_fingerprint", "") or repo_id
    return EvalSource(
        repo_id,
        split,
        f"hub:{repo_id}:{fingerprint}:{split}",
        lambda: (_item_from_mapping(row) for row in dataset),
        len(dataset),
        limit,
        kinds,
        strict,
    )


METADATA_FILES = ("metadata.jsonl", "metadata.csv")
MAX_NAMED = 20  # skipped files named in a result (the count is always complete)


@dataclass(frozen=True)
class Recording:
    """One file of a recordings folder and what its metadata says about it."""

    path: Path
    text: str
    kind: str | None = None
    language: str | None = None
    keywords: tuple[str, ...] | None = None


def recording_labels(recording: Recording) -> RowLabels:
    """Labels for a person's recording; kind and keywords it lacks are derived with the
    corpus stage's own functions, so every metric is filled."""
    from devspeech.benchmark.metrics import python_ast
    from devspeech.corpus.guess import guess_kind
    from devspeech.corpus.keywords import extract_keywords

    text = recording.text
    kind = recording.kind or guess_kind(text)
    keywords = recording.keywords
    if keywords is None:
        keywords = extract_keywords(text, kind) if kind in ("code", "shell", "prose") else ()
    language = recording.language
    if language is None:
        parses = python_ast(text) is not None
        language = {"shell": "bash", "code": "python" if parses else ""}.get(kind, "")
    return RowLabels(kind=kind, language=language, keywords=tuple(keywords), engine="recording")


def _keywords_field(value: Any, where: str) -> tuple[str, ...] | None:
    """A list, a JSON list, or terms separated by semicolons; None when absent."""
    import json

    if value is None or value == "":
        return None
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    text = str(value).strip()
    if text.startswith("["):
        try:
            return tuple(str(v) for v in json.loads(text))
        except json.JSONDecodeError:
            raise InputError(f"{where}: keywords {text!r} is not a JSON list") from None
    return tuple(t.strip() for t in text.split(";") if t.strip())


def read_recordings(folder: Path) -> tuple[list[Recording], list[str]]:
    """The recordings of a folder and the audio files skipped (no transcript), by layout:
    an audiofolder (metadata.jsonl or metadata.csv with file_name and transcription/text/
    sentence, optional kind, language and keywords) or audio files with same-named .txt."""
    import csv
    import json

    metadata = next((folder / n for n in METADATA_FILES if (folder / n).is_file()), None)
    if metadata is None:
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES)
        found = [
            Recording(p, p.with_suffix(".txt").read_text(encoding="utf-8").strip())
            for p in files
            if p.with_suffix(".txt").is_file()
        ]
        skipped = [p.name for p in files if not p.with_suffix(".txt").is_file()]
        return found, skipped
    if metadata.suffix == ".jsonl":
        entries = []
        for number, line in enumerate(metadata.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    entries.append((number, json.loads(line)))
                except json.JSONDecodeError:
                    raise InputError(f"{metadata}:{number} is not JSON") from None
    else:
        with metadata.open(encoding="utf-8", newline="") as handle:
            entries = list(enumerate(csv.DictReader(handle), 2))
    found = []
    listed: set[Path] = set()
    for number, entry in entries:
        where = f"{metadata.name}:{number}"
        if not isinstance(entry, dict) or not entry.get("file_name"):
            raise InputError(f"{where}: no file_name")
        column = _text_column(k for k, v in entry.items() if v not in (None, ""))
        if column is None:
            raise InputError(f"{where}: no {' or '.join(TEXT_COLUMNS)}")
        path = folder / str(entry["file_name"])
        listed.add(path.resolve())
        if not path.is_file():
            raise InputError(f"{where}: {entry['file_name']} does not exist")
        kind = entry.get("kind") or None
        if kind is not None and kind not in ("code", "shell", "prose"):
            raise InputError(f"{where}: kind {kind!r} is not code, shell or prose")
        found.append(
            Recording(path, str(entry[column]).strip(), kind, entry.get("language") or None,
                      _keywords_field(entry.get("keywords"), where))
        )  # fmt: skip
    unlisted = sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.suffix.lower() in AUDIO_SUFFIXES and p.resolve() not in listed
    )
    return found, unlisted


def load_audio_dir(folder: Path, limit: int | None = None, strict: bool = False) -> EvalSource:
    """A person's recordings: an audiofolder with metadata, or audio with same-named .txt."""
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder")
    recordings, skipped = read_recordings(folder)
    if not recordings:
        why = f" ({len(skipped)} audio file(s) without a transcript)" if skipped else ""
        raise InputError(
            f"{folder} holds no recordings: audio files ({', '.join(AUDIO_SUFFIXES)}) with "
            f"same-named .txt transcripts, or a metadata.jsonl/metadata.csv{why}"
        )
    digest = hashlib.sha256()
    for recording in recordings:
        digest.update(recording.path.name.encode())
        digest.update(hashlib.sha256(recording.path.read_bytes()).digest())
        digest.update(recording.text.encode())

    def rows() -> Iterator[EvalItem]:
        for recording in recordings:
            item_id = recording.path.relative_to(folder).with_suffix("").as_posix()
            yield EvalItem(
                item_id, recording.path.read_bytes(), recording.text, recording_labels(recording)
            )

    source = EvalSource(
        str(folder),
        "recordings",
        f"audio-dir:{digest.hexdigest()[:16]}",
        rows,
        len(recordings),
        limit,
        (),
        strict,
    )
    source.skipped_files = skipped
    source.reset_failures()
    return source


def is_recordings_dir(folder: Path) -> bool:
    """An audiofolder with metadata, or audio files with same-named .txt transcripts."""
    if any((folder / name).is_file() for name in METADATA_FILES):
        return True
    return any(
        p.suffix.lower() in AUDIO_SUFFIXES and p.with_suffix(".txt").is_file()
        for p in folder.iterdir()
    )


def split_keywords(data: str, split: str) -> frozenset[str]:
    """Every keyword of a split: of a devspeech dataset, read from its keywords column alone
    (no audio); of any other source, from its rows."""
    folder = Path(data).expanduser()
    if (folder / RECIPE_FILE).is_file():
        return frozenset(k for row in read_rows(folder, split, ["keywords"])
                         for k in row["keywords"] or ())  # fmt: skip
    items = load_eval_set(data, None, split).items()
    return frozenset(k for item in items for k in item.labels.keywords)


def load_eval_set(
    data: str | None,
    audio_dir: Path | None,
    split: str = "test",
    limit: int | None = None,
    kinds: tuple[str, ...] = (),
    strict: bool = False,
    allow_partial: bool = False,
) -> EvalSource:
    if (data is None) == (audio_dir is None):
        raise InputError("give exactly one of --data (a dataset folder or Hub id) and --audio-dir")
    if audio_dir is not None:
        return load_audio_dir(audio_dir, limit, strict)
    assert data is not None
    folder = Path(data).expanduser()
    if folder.is_dir():
        if (folder / RECIPE_FILE).is_file():
            return load_dataset_dir(folder, split, limit, kinds, strict, allow_partial)
        if is_recordings_dir(folder):
            return load_audio_dir(folder, limit, strict)
        return load_hub_dataset(str(folder), split, limit, kinds, strict)
    what = ("give a dataset folder `devspeech generate` wrote, an owner/name Hub dataset id, "
            "or a folder of recordings")  # fmt: skip
    if data.startswith(("/", ".", "~")) or data.count("/") > 1:
        raise InputError(f"{data}: no such folder; {what}")
    if "/" in data and not Path(data).exists():
        return load_hub_dataset(data, split, limit, kinds, strict)
    raise InputError(f"{data} is neither a dataset folder nor an owner/name Hub dataset id; {what}")
