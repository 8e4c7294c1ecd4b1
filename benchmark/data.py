"""What a benchmark listens to: a generated dataset folder, a Hub dataset, or a folder of
a person's own recordings with same-named .txt transcripts.

Audio stays as encoded bytes until a batch needs it and is decoded with soundfile, never
through torchcodec. A row whose audio does not decode is counted (and fails the run under
`strict`). Each set carries a fingerprint that predictions record, so scores are never
mixed across datasets.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from devspeech.benchmark.metrics import Segment
from devspeech.errors import InputError
from devspeech.generator.speech import SAMPLE_RATE

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")


@dataclass(frozen=True)
class EvalItem:
    id: str
    audio: bytes  # encoded (FLAC, WAV or OGG)
    reference: str
    duration_s: float
    keywords: tuple[str, ...] = ()
    kind: str = "unknown"
    language: str = ""
    engine: str = ""
    noise: str = "unknown"
    segments: tuple[Segment, ...] = ()

    @property
    def long_form(self) -> bool:
        return len(self.segments) > 1

    def meta(self) -> dict[str, Any]:
        """What scoring needs besides the two texts; written into every prediction."""
        return {
            "kind": self.kind,
            "language": self.language,
            "keywords": list(self.keywords),
            "engine": self.engine,
            "noise": self.noise,
            "duration_s": self.duration_s,
            "segments": [[s.text, s.start, s.end] for s in self.segments],
        }


@dataclass
class EvalSet:
    name: str
    split: str
    fingerprint: str
    items: list[EvalItem]
    failures: Counter[str] = field(default_factory=Counter)


def decode(data: bytes) -> np.ndarray:
    """Mono float32 at 16 kHz from encoded bytes; raises InputError when it cannot."""
    from devspeech.generator.audio import decode_audio, resample

    try:
        audio, rate = decode_audio(data)
    except Exception as error:  # soundfile raises its own and RuntimeError types
        raise InputError(f"audio does not decode: {error}") from None
    return resample(audio, rate, SAMPLE_RATE)


def noise_label(augmentation: dict[str, Any] | None) -> str:
    """clean, or the SNR band a row was mixed at."""
    snr = (augmentation or {}).get("snr_db")
    if snr is None:
        return "clean"
    if snr >= 20:
        return "snr>=20"
    return "snr10-20" if snr >= 10 else "snr<10"


def _item_from_row(row: dict[str, Any]) -> EvalItem:
    if row.get("text") is None:
        raise InputError("the dataset has no text column")
    audio = row.get("audio") or {}
    data = audio.get("bytes") if isinstance(audio, dict) else None
    if data is None:
        raise InputError("the dataset's audio column holds no bytes")
    speaker = row.get("speaker") or {}
    return EvalItem(
        id=str(row.get("id") or hashlib.sha256(data).hexdigest()[:16]),
        audio=data,
        reference=row["text"],
        duration_s=float(row.get("duration_s") or 0.0),
        keywords=tuple(row.get("keywords") or ()),
        kind=row.get("kind") or "unknown",
        language=row.get("language") or "",
        engine=speaker.get("engine", ""),
        noise=noise_label(row.get("augmentation")),
        segments=tuple(
            Segment(s["text"], float(s["start"]), float(s["end"]))
            for s in row.get("segments") or ()
        ),
    )


def _select(
    rows: Iterable[dict[str, Any]], limit: int | None, kinds: tuple[str, ...], strict: bool
) -> tuple[list[EvalItem], Counter[str]]:
    items: list[EvalItem] = []
    failures: Counter[str] = Counter()
    for row in rows:
        if kinds and row.get("kind") not in kinds:
            continue
        item = _item_from_row(row)
        try:
            audio = decode(item.audio)
        except InputError as error:
            if strict:
                raise InputError(f"row {item.id}: {error}") from None
            failures["corrupt audio"] += 1
            continue
        if not item.duration_s:
            item = replace(item, duration_s=len(audio) / SAMPLE_RATE)
        items.append(item)
        if limit is not None and len(items) >= limit:
            break
    return items, failures


def load_dataset_dir(
    root: Path,
    split: str,
    limit: int | None = None,
    kinds: tuple[str, ...] = (),
    strict: bool = False,
) -> EvalSet:
    from devspeech.generator.dataset import read_rows

    recipe = root / "recipe.json"
    if not recipe.is_file():
        raise InputError(f"{root} is not a devspeech dataset (no recipe.json)")
    columns = [
        "id",
        "audio",
        "text",
        "kind",
        "language",
        "keywords",
        "segments",
        "speaker",
        "augmentation",
        "duration_s",
    ]
    fingerprint = hashlib.sha256(recipe.read_bytes()).hexdigest()[:16]
    _check_columns(root, split)
    items, failures = _select(read_rows(root, split, columns), limit, kinds, strict)
    return EvalSet(str(root), split, f"dir:{fingerprint}:{split}", items, failures)


def _check_columns(root: Path, split: str) -> None:
    import pyarrow.parquet as pq

    from devspeech.generator.dataset import shard_files

    files = shard_files(root, split)
    if not files:
        raise InputError(f"{root} has no {split} shards under data/")
    names = set(pq.read_schema(files[0]).names)
    missing = [c for c in ("text", "audio") if c not in names]
    if missing:
        raise InputError(f"{files[0]} has no {' or '.join(missing)} column")


def load_hub_dataset(
    repo_id: str,
    split: str,
    limit: int | None = None,
    kinds: tuple[str, ...] = (),
    strict: bool = False,
) -> EvalSet:
    from datasets import Audio, load_dataset

    try:
        dataset = load_dataset(repo_id, split=split)
    except Exception as error:  # datasets raises many types for a missing repo or split
        raise InputError(f"cannot load {repo_id} split {split}: {error}") from None
    if "text" not in dataset.column_names or "audio" not in dataset.column_names:
        raise InputError(f"{repo_id} has no text or no audio column")
    dataset = dataset.cast_column("audio", Audio(decode=False))
    fingerprint = getattr(dataset, "_fingerprint", "") or repo_id
    items, failures = _select(iter(dataset), limit, kinds, strict)
    return EvalSet(repo_id, split, f"hub:{repo_id}:{fingerprint}:{split}", items, failures)


def load_audio_dir(folder: Path, limit: int | None = None, strict: bool = False) -> EvalSet:
    """Recordings (wav/flac/ogg) each with a same-named .txt holding what was said."""
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES)
    if not files:
        raise InputError(f"{folder} holds no {', '.join(AUDIO_SUFFIXES)} files")
    rows = []
    digest = hashlib.sha256()
    for path in files:
        transcript = path.with_suffix(".txt")
        if not transcript.is_file():
            raise InputError(f"{path.name} has no transcript {transcript.name}")
        text = transcript.read_text(encoding="utf-8").strip()
        data = path.read_bytes()
        digest.update(path.name.encode() + hashlib.sha256(data).digest() + text.encode())
        rows.append({"id": path.stem, "audio": {"bytes": data}, "text": text})
    items, failures = _select(rows, limit, (), strict)
    return EvalSet(
        str(folder), "recordings", f"audio-dir:{digest.hexdigest()[:16]}", items, failures
    )


def load_eval_set(
    data: str | None,
    audio_dir: Path | None,
    split: str = "test",
    limit: int | None = None,
    kinds: tuple[str, ...] = (),
    strict: bool = False,
) -> EvalSet:
    if (data is None) == (audio_dir is None):
        raise InputError("give exactly one of --data (a dataset folder or Hub id) and --audio-dir")
    if audio_dir is not None:
        return load_audio_dir(audio_dir, limit, strict)
    assert data is not None
    if Path(data).expanduser().is_dir():
        return load_dataset_dir(Path(data).expanduser(), split, limit, kinds, strict)
    if "/" in data and not Path(data).exists():
        return load_hub_dataset(data, split, limit, kinds, strict)
    raise InputError(f"{data} is neither a dataset folder nor an owner/name Hub dataset id")
