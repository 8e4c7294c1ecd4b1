"""Tiny randomly initialised Whisper models, built in-process for tests and dry runs.

They use the real multilingual Whisper tokenizer (from the bundled base model's files),
so prompts, languages, tasks and timestamps behave as in a real checkpoint; only the
weights are random. `num_mel_bins=128` mirrors large-v3 and large-v3-turbo.
"""

from __future__ import annotations

import json
from pathlib import Path


def build_tiny_whisper(out: Path, num_mel_bins: int = 80, seed: int = 0, layers: int = 2) -> Path:
    """Write a transformers Whisper folder with random weights (d_model 64) into `out`."""
    import torch
    from transformers import WhisperConfig, WhisperForConditionalGeneration

    from devspeech.benchmark.models.bundled import BUNDLED, locate
    from devspeech.benchmark.models.convert import (
        add_timestamp_tokens,
        generation_config,
        write_processor_files,
    )

    base = BUNDLED["base"]
    tokenizer = json.loads(locate(base.tokenizer).read_text(encoding="utf-8"))
    ct2_config = json.loads(locate(base.config).read_text(encoding="utf-8"))
    vocab_size = 51865
    tokenizer = add_timestamp_tokens(tokenizer, vocab_size)
    generation = generation_config(ct2_config, tokenizer, multilingual=True)
    config = WhisperConfig(
        vocab_size=vocab_size,
        num_mel_bins=num_mel_bins,
        d_model=64,
        encoder_layers=layers,
        decoder_layers=layers,
        encoder_attention_heads=4,
        decoder_attention_heads=4,
        encoder_ffn_dim=128,
        decoder_ffn_dim=128,
        max_source_positions=1500,
        max_target_positions=448,
        pad_token_id=generation["pad_token_id"],
        bos_token_id=generation["bos_token_id"],
        eos_token_id=generation["eos_token_id"],
        decoder_start_token_id=generation["decoder_start_token_id"],
    )
    torch.manual_seed(seed)
    model = WhisperForConditionalGeneration(config).eval()
    generation["alignment_heads"] = [[layers - 1, h] for h in range(4)]
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    write_processor_files(out, tokenizer, generation, num_mel_bins)
    return out
