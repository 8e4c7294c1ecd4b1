"""Turn a CTranslate2 Whisper model into a transformers WhisperForConditionalGeneration folder.

CTranslate2 stores Whisper differently from transformers, and the conversion undoes
each difference exactly:

- self-attention's query, key and value projections are fused into one matrix
  (`linear_0`), cross-attention's key and value into another; they are split back;
- transformers' key projections have no bias, so CTranslate2 stores zeros in the
  fused bias for them; those zeros are checked and dropped;
- the output projection is an alias of the token embeddings (tied weights);
- weights may be float16, bfloat16 or int8 with a per-row scale; all become float32;
- the tokenizer.json lacks the 1,501 timestamp tokens, which are registered as added
  (not special) tokens, as in the Hub's Whisper tokenizers, so timestamps decode and
  offsets start from <|0.00|>; the generation config is rebuilt from the token ids.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from devspeech.benchmark.models.ct2 import Ct2Model
from devspeech.errors import InputError

TIMESTAMP_COUNT = 1501  # <|0.00|> ... <|30.00|>


def _weight(model: Ct2Model, name: str) -> np.ndarray:
    """A float32 weight; int8 weights are divided by their per-row `weight_scale`."""
    name = model.aliases.get(name, name)  # a tied weight's scale sits next to its target
    value = model.get(name)
    scale_name = name.rsplit("/", 1)[0] + "/weight_scale"
    if value.dtype == np.int8 and name.endswith("/weight") and scale_name in model:
        scale = model.get(scale_name).astype(np.float32)
        return value.astype(np.float32) / scale.reshape(-1, *([1] * (value.ndim - 1)))
    return value.astype(np.float32)


def _count_layers(model: Ct2Model, stack: str) -> int:
    count = 0
    while f"{stack}/layer_{count}/ffn/linear_0/weight" in model:
        count += 1
    return count


def _split_fused(
    weight: np.ndarray, bias: np.ndarray, parts: tuple[str, ...], where: str
) -> dict[str, np.ndarray]:
    d = weight.shape[1]
    out: dict[str, np.ndarray] = {}
    for i, part in enumerate(parts):
        out[f"{part}.weight"] = weight[i * d : (i + 1) * d]
        piece = bias[i * d : (i + 1) * d]
        if part == "k_proj":
            if np.any(piece != 0):
                raise InputError(f"{where}: the key projection has a bias Whisper never has")
            continue
        out[f"{part}.bias"] = piece
    return out


def _linear(model: Ct2Model, name: str, target: str) -> dict[str, np.ndarray]:
    return {
        f"{target}.weight": _weight(model, f"{name}/weight"),
        f"{target}.bias": model.get(f"{name}/bias").astype(np.float32),
    }


def _norm(model: Ct2Model, name: str, target: str) -> dict[str, np.ndarray]:
    return {
        f"{target}.weight": model.get(f"{name}/gamma").astype(np.float32),
        f"{target}.bias": model.get(f"{name}/beta").astype(np.float32),
    }


def whisper_state_dict(model: Ct2Model) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """The transformers state dict (float32 arrays) and the sizes the config needs."""
    if model.spec != "WhisperSpec":
        raise InputError(f"the CTranslate2 model is a {model.spec}, not a WhisperSpec")
    state: dict[str, np.ndarray] = {}
    for stack in ("encoder", "decoder"):
        for i in range(_count_layers(model, stack)):
            src, dst = f"{stack}/layer_{i}", f"model.{stack}.layers.{i}"
            fused = _split_fused(
                _weight(model, f"{src}/self_attention/linear_0/weight"),
                model.get(f"{src}/self_attention/linear_0/bias").astype(np.float32),
                ("q_proj", "k_proj", "v_proj"),
                f"{src}/self_attention",
            )
            state |= {f"{dst}.self_attn.{k}": v for k, v in fused.items()}
            state |= _linear(model, f"{src}/self_attention/linear_1", f"{dst}.self_attn.out_proj")
            state |= _norm(model, f"{src}/self_attention/layer_norm", f"{dst}.self_attn_layer_norm")
            if stack == "decoder":
                cross = f"{src}/attention"
                state |= _linear(model, f"{cross}/linear_0", f"{dst}.encoder_attn.q_proj")
                fused = _split_fused(
                    _weight(model, f"{cross}/linear_1/weight"),
                    model.get(f"{cross}/linear_1/bias").astype(np.float32),
                    ("k_proj", "v_proj"),
                    cross,
                )
                state |= {f"{dst}.encoder_attn.{k}": v for k, v in fused.items()}
                state |= _linear(model, f"{cross}/linear_2", f"{dst}.encoder_attn.out_proj")
                state |= _norm(model, f"{cross}/layer_norm", f"{dst}.encoder_attn_layer_norm")
            state |= _linear(model, f"{src}/ffn/linear_0", f"{dst}.fc1")
            state |= _linear(model, f"{src}/ffn/linear_1", f"{dst}.fc2")
            state |= _norm(model, f"{src}/ffn/layer_norm", f"{dst}.final_layer_norm")
        state |= _norm(model, f"{stack}/layer_norm", f"model.{stack}.layer_norm")
        positions = model.get(f"{stack}/position_encodings/encodings").astype(np.float32)
        state[f"model.{stack}.embed_positions.weight"] = positions
    for conv in ("conv1", "conv2"):
        state[f"model.encoder.{conv}.weight"] = _weight(model, f"encoder/{conv}/weight")
        state[f"model.encoder.{conv}.bias"] = model.get(f"encoder/{conv}/bias").astype(np.float32)
    embeddings = _weight(model, "decoder/embeddings/weight")
    state["model.decoder.embed_tokens.weight"] = embeddings
    projection = _weight(model, "decoder/projection/weight")
    if not np.array_equal(projection, embeddings):
        raise InputError("the output projection is not tied to the embeddings")
    sizes = {
        "vocab_size": embeddings.shape[0],
        "d_model": embeddings.shape[1],
        "encoder_layers": _count_layers(model, "encoder"),
        "decoder_layers": _count_layers(model, "decoder"),
        "encoder_attention_heads": int(model.get("encoder/num_heads")),
        "decoder_attention_heads": int(model.get("decoder/num_heads")),
        "encoder_ffn_dim": state["model.encoder.layers.0.fc1.weight"].shape[0],
        "decoder_ffn_dim": state["model.decoder.layers.0.fc1.weight"].shape[0],
        "num_mel_bins": state["model.encoder.conv1.weight"].shape[1],
        "max_source_positions": state["model.encoder.embed_positions.weight"].shape[0],
        "max_target_positions": state["model.decoder.embed_positions.weight"].shape[0],
    }
    return state, sizes


def _token_ids(tokenizer: dict[str, Any]) -> dict[str, int]:
    return {token["content"]: int(token["id"]) for token in tokenizer["added_tokens"]}


def add_timestamp_tokens(tokenizer: dict[str, Any], vocab_size: int) -> dict[str, Any]:
    """tokenizer.json with <|0.00|>...<|30.00|> registered after <|notimestamps|>."""
    ids = _token_ids(tokenizer)
    if "<|0.00|>" in ids:
        return tokenizer
    first = ids["<|notimestamps|>"] + 1
    count = min(TIMESTAMP_COUNT, vocab_size - first)
    added = [
        {
            "id": first + i,
            "content": f"<|{i * 0.02:.2f}|>",
            "single_word": False,
            "lstrip": False,
            "rstrip": False,
            "normalized": False,
            "special": False,
        }
        for i in range(count)
    ]
    return {**tokenizer, "added_tokens": [*tokenizer["added_tokens"], *added]}


def generation_config(
    ct2_config: dict[str, Any], tokenizer: dict[str, Any], multilingual: bool
) -> dict[str, Any]:
    """Whisper's generation_config.json, from the CTranslate2 config and the token ids."""
    ids = _token_ids(tokenizer)
    languages = {
        content: token_id
        for content, token_id in ids.items()
        if token_id in set(ct2_config.get("lang_ids") or [])
    }
    config: dict[str, Any] = {
        "bos_token_id": ids["<|endoftext|>"],
        "eos_token_id": ids["<|endoftext|>"],
        "pad_token_id": ids["<|endoftext|>"],
        "decoder_start_token_id": ids["<|startoftranscript|>"],
        "no_timestamps_token_id": ids["<|notimestamps|>"],
        "prev_sot_token_id": ids["<|startofprev|>"],
        "suppress_tokens": list(ct2_config.get("suppress_ids") or []),
        "begin_suppress_tokens": list(ct2_config.get("suppress_ids_begin") or []),
        "alignment_heads": [list(pair) for pair in ct2_config.get("alignment_heads") or []],
        "max_initial_timestamp_index": 50,
        "max_length": 448,
        "is_multilingual": multilingual,
        "return_timestamps": False,
    }
    if multilingual:
        config["lang_to_id"] = languages
        config["task_to_id"] = {
            "transcribe": ids["<|transcribe|>"],
            "translate": ids["<|translate|>"],
        }
    return config


def write_transformers_folder(
    model: Ct2Model, ct2_config: dict[str, Any], tokenizer: dict[str, Any], out: Path
) -> None:
    """Write config, weights (safetensors), tokenizer and preprocessor files into `out`."""
    from safetensors.numpy import save_file

    state, sizes = whisper_state_dict(model)
    ids = _token_ids(tokenizer)
    multilingual = sizes["vocab_size"] >= 51865
    tokenizer = add_timestamp_tokens(tokenizer, sizes["vocab_size"])
    config = {
        "architectures": ["WhisperForConditionalGeneration"],
        "model_type": "whisper",
        **sizes,
        "activation_function": "gelu",
        "scale_embedding": False,
        "tie_word_embeddings": True,
        "torch_dtype": "float32",
        "bos_token_id": ids["<|endoftext|>"],
        "eos_token_id": ids["<|endoftext|>"],
        "pad_token_id": ids["<|endoftext|>"],
        "decoder_start_token_id": ids["<|startoftranscript|>"],
    }
    out.mkdir(parents=True, exist_ok=True)
    weights = {k: np.ascontiguousarray(v) for k, v in state.items()}
    save_file(weights, str(out / "model.safetensors"), metadata={"format": "pt"})
    (out / "config.json").write_text(json.dumps(config, indent=1), encoding="utf-8")
    generation = generation_config(ct2_config, tokenizer, multilingual)
    write_processor_files(out, tokenizer, generation, sizes["num_mel_bins"])


def write_processor_files(
    out: Path, tokenizer: dict[str, Any], generation: dict[str, Any], num_mel_bins: int
) -> None:
    """Generation config, tokenizer and feature-extractor files of a Whisper folder.

    Every special token is listed as an additional special token: transformers finds
    where timestamps begin from the last of them.
    """
    named = {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>",
             "unk_token": "<|endoftext|>", "pad_token": "<|endoftext|>"}  # fmt: skip
    extra = [
        t["content"]
        for t in tokenizer["added_tokens"]
        if t["special"] and t["content"] != "<|endoftext|>"
    ]
    special = {**named, "additional_special_tokens": extra}
    tokenizer_config = {
        "tokenizer_class": "WhisperTokenizer",
        "model_max_length": 1024,
        "errors": "replace",
        "add_prefix_space": False,
        **special,
    }
    preprocessor = {
        "feature_extractor_type": "WhisperFeatureExtractor",
        "feature_size": num_mel_bins,
        "sampling_rate": 16000,
        "hop_length": 160,
        "chunk_length": 30,
        "n_fft": 400,
        "n_samples": 480000,
        "nb_max_frames": 3000,
        "padding_side": "right",
        "padding_value": 0.0,
        "return_attention_mask": False,
        "processor_class": "WhisperProcessor",
    }
    files = {
        "generation_config.json": generation,
        "tokenizer.json": tokenizer,
        "tokenizer_config.json": tokenizer_config,
        "special_tokens_map.json": special,
        "preprocessor_config.json": preprocessor,
    }
    for name, content in files.items():
        (out / name).write_text(json.dumps(content, indent=1, ensure_ascii=False), encoding="utf-8")
