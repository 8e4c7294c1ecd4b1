"""Small spoken datasets for the stages that read one (bench, finetune), built with espeak."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from devspeech.generator.api import GenerateOptions, generate
from devspeech.jsonl import write_jsonl
from devspeech.records import Utterance, utterance_id

Line = tuple[str, str, str, str, tuple[str, ...]]  # kind, language, text, spoken, keywords


def spoken_dataset(root: Path, lines: Sequence[Line], count: int = 40, seed: int = 0) -> Path:
    """`count` utterances cycling through `lines` (numbered after the first round), spoken
    by espeak-ng without augmentation into root/ds."""
    utterances = []
    for n in range(count):
        kind, language, text, spoken, keywords = lines[n % len(lines)]
        text, spoken = (text, spoken) if n < len(lines) else (f"{text} # {n}", f"{spoken} {n}")
        utterances.append(Utterance(utterance_id(kind, text), text, spoken, kind, language,
                                    keywords, "test", "x", "MIT"))  # fmt: skip
    write_jsonl(root / "u.jsonl", utterances)
    options = GenerateOptions(engines=("espeak",), augment="none", rows_per_shard=50, seed=seed)
    generate(root / "u.jsonl", root / "ds", options)
    return root / "ds"
