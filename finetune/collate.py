"""Batches: the examples of one step as model inputs, with the encoder's outputs read from
a cache when the method keeps the encoder frozen."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from devspeech.audio import SAMPLE_RATE, decode_16k
from devspeech.finetune.examples import Example
from devspeech.finetune.labels import IGNORE, TokenSequence

WEIGHTS = "label_weights"  # the batch's per-label loss weights, when keywords weigh more


@dataclass
class Prepared:
    """Examples with their token sequences, in the order the schedule indexes them; the
    sequence of a vocabulary-prompt example is drawn anew for every batch by `redraw`
    (from the example and the batch's index, so a resumed run draws the same)."""

    examples: list[Example]
    sequences: list[TokenSequence]
    redraw: Callable[[Example, int], TokenSequence] | None = None

    def sequence(self, index: int, batch: int) -> TokenSequence:
        example = self.examples[index]
        if example.vocabulary_prompt and self.redraw is not None:
            return self.redraw(example, batch)
        return self.sequences[index]


class EncoderCache:
    """Encoder outputs of each clip, computed once and kept on disk (float16) for the
    methods whose encoder never changes (`decoder`, LoRA on the decoder); every use reads
    the stored values, so the first epoch and a resumed run see the same numbers. Keys
    are hashes of the encoded audio, so runs of one base model may share a cache."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def get(self, key: str, compute: Any) -> np.ndarray:
        path = self.folder / f"{key}.npy"
        if path.is_file():
            return np.load(path)
        value = compute().astype(np.float16)
        partial = path.with_name(f".{path.name}.partial.npy")
        np.save(partial, value)
        partial.replace(path)
        return value


def collate(
    picks: Sequence[tuple[bool, int]],
    train: Prepared,
    general: Prepared,
    tm: Any,
    device: str,
    cache: EncoderCache | None,
    batch_index: int = 0,
    keyword_weight: float = 1.0,
) -> dict[str, Any]:
    """Model inputs of batch `batch_index`: log-mel features (or cached encoder outputs),
    decoder inputs padded with <|endoftext|>, and labels padded with -100; with a
    `keyword_weight` other than 1, also the weight of each label (WEIGHTS, not a model
    input: the loop takes it out)."""
    import torch

    chosen = [(general if is_general else train, index) for is_general, index in picks]
    examples = [source.examples[i] for source, i in chosen]
    sequences = [source.sequence(i, batch_index) for source, i in chosen]
    width = max(len(s.input_ids) for s in sequences)
    pad = tm.processor.tokenizer.convert_tokens_to_ids("<|endoftext|>")
    input_ids = torch.full((len(sequences), width), pad, dtype=torch.long)
    labels = torch.full((len(sequences), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, sequence in enumerate(sequences):
        n = len(sequence.input_ids)
        input_ids[row, :n] = torch.tensor(sequence.input_ids)
        labels[row, :n] = torch.tensor(sequence.labels)
        mask[row, :n] = 1
    batch: dict[str, Any] = {
        "decoder_input_ids": input_ids.to(device),
        "decoder_attention_mask": mask.to(device),
        "labels": labels.to(device),
    }
    if keyword_weight != 1.0:
        weights = torch.ones((len(sequences), width), dtype=torch.float32)
        for row, sequence in enumerate(sequences):
            weights[row, list(sequence.keyword_positions)] = keyword_weight
        batch[WEIGHTS] = weights.to(device)
    if cache is None:
        batch["input_features"] = features(tm.processor, [e.audio for e in examples]).to(device)
        return batch
    encoder = tm.encoder()

    def encode(example: Example) -> np.ndarray:
        inputs = features(tm.processor, [example.audio]).to(device)
        with torch.no_grad():
            return encoder(inputs).last_hidden_state[0].float().cpu().numpy()

    hidden = [cache.get(hashlib.sha256(e.audio).hexdigest()[:24], lambda e=e: encode(e))
              for e in examples]  # fmt: skip
    stacked = torch.from_numpy(np.stack(hidden).astype(np.float32)).to(device)
    batch["encoder_outputs"] = (stacked,)
    return batch


def features(processor: Any, encoded: Sequence[bytes]) -> Any:
    """Log-mel input features of encoded clips (each padded to Whisper's 30 s window)."""
    audios = [decode_16k(data) for data in encoded]
    extractor = processor.feature_extractor
    return extractor(audios, sampling_rate=SAMPLE_RATE, return_tensors="pt").input_features
