"""Whisper as two ONNX graphs that ONNX Runtime runs without torch, optionally INT8.

A transformers Whisper folder becomes a folder with

- `encoder.onnx`: `input_features` [batch, mels, 3000] -> `cross_k`, `cross_v`
  [layers, batch, heads, 1500, head_dim]: the encoder output already projected into
  every decoder layer's cross-attention keys and values, so decoding never repeats it;
- `decoder.onnx`: `tokens` [batch, length] int64, the self-attention cache `self_k`,
  `self_v` [layers, batch, heads, past, head_dim] (past = 0 on the first call), `cross_k`,
  `cross_v` -> `logits` [batch, vocab] of the last position and the grown cache
  `new_self_k`, `new_self_v`: the prefix goes in at once, then one token a step;
- the config, generation config, tokenizer and feature-extractor files of the source,
  and `onnx.json` naming the graphs and their quantization.

`quantization="int8"` applies ONNX Runtime's dynamic INT8 quantization (weights int8 per
channel, activations quantized at run time) to both graphs: the note's deployment path.
`"int8_decoder"` quantizes the decoder alone and keeps the encoder in float32: the
encoder's output feeds every decoding step, and on tiny.en its int8 error is what moves
transcripts away from float32 most.
"""

from __future__ import annotations

import json
import logging
import shutil
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ENCODER_FILE = "encoder.onnx"
DECODER_FILE = "decoder.onnx"
MANIFEST_FILE = "onnx.json"
OPSET = 17
CARRIED = (
    "config.json",
    "generation_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.json",
    "merges.txt",
    "normalizer.json",
    "preprocessor_config.json",
    "processor_config.json",
)


def is_onnx_folder(folder: Path) -> bool:
    return (folder / ENCODER_FILE).is_file() and (folder / DECODER_FILE).is_file()


def _modules(model: Any) -> tuple[Any, Any]:
    """torch modules for the two graphs, written against the model's own weights."""
    import torch
    from torch import nn

    config = model.config
    heads = config.decoder_attention_heads
    head_dim = config.d_model // heads
    layers = model.model.decoder.layers

    def split(x: torch.Tensor) -> torch.Tensor:  # [b, t, d] -> [b, heads, t, head_dim]
        return x.view(x.shape[0], x.shape[1], heads, head_dim).transpose(1, 2)

    def attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: Any) -> torch.Tensor:
        scores = torch.matmul(q, k.transpose(-1, -2)) * head_dim**-0.5
        if mask is not None:
            scores = scores + mask
        out = torch.matmul(torch.softmax(scores, dim=-1), v)
        return out.transpose(1, 2).reshape(out.shape[0], -1, heads * head_dim)

    class Encoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = model.model.encoder
            self.layers = layers

        def forward(self, input_features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            hidden = self.encoder(input_features).last_hidden_state
            keys = [split(layer.encoder_attn.k_proj(hidden)) for layer in self.layers]
            values = [split(layer.encoder_attn.v_proj(hidden)) for layer in self.layers]
            return torch.stack(keys), torch.stack(values)

    class Decoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.decoder = model.model.decoder
            self.proj_out = model.proj_out

        def forward(
            self,
            tokens: torch.Tensor,
            self_k: torch.Tensor,
            self_v: torch.Tensor,
            cross_k: torch.Tensor,
            cross_v: torch.Tensor,
        ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
            past, length = self_k.shape[3], tokens.shape[1]
            positions = self.decoder.embed_positions.weight[past : past + length]
            x = self.decoder.embed_tokens(tokens) + positions
            query_at = torch.arange(length).unsqueeze(1) + past
            key_at = torch.arange(past + length).unsqueeze(0)
            causal = torch.where(key_at > query_at, float("-inf"), 0.0)
            keys, values = [], []
            for i, layer in enumerate(self.decoder.layers):
                h = layer.self_attn_layer_norm(x)
                attn = layer.self_attn
                k = torch.cat([self_k[i], split(attn.k_proj(h))], dim=2)
                v = torch.cat([self_v[i], split(attn.v_proj(h))], dim=2)
                keys.append(k)
                values.append(v)
                x = x + attn.out_proj(attend(split(attn.q_proj(h)), k, v, causal))
                h = layer.encoder_attn_layer_norm(x)
                cross = layer.encoder_attn
                x = x + cross.out_proj(attend(split(cross.q_proj(h)), cross_k[i], cross_v[i], None))
                h = layer.final_layer_norm(x)
                x = x + layer.fc2(layer.activation_fn(layer.fc1(h)))
            logits = self.proj_out(self.decoder.layer_norm(x[:, -1]))
            return logits, torch.stack(keys), torch.stack(values)

    return Encoder().eval(), Decoder().eval()


@contextmanager
def _quiet():  # type: ignore[no-untyped-def]
    """Tracer and quantizer advice (warnings, root-logger lines) is for their authors."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.setLevel(level)


QUANTIZATIONS = ("float32", "int8", "int8_decoder")


def export_onnx(source: Path, output: Path, quantization: str = "float32") -> Path:
    """Write `output` (the layout above) from the transformers Whisper folder `source`."""
    with _quiet():
        return _export(source, output, quantization)


def _export(source: Path, output: Path, quantization: str) -> Path:
    if quantization not in QUANTIZATIONS:
        raise ValueError(f"quantization {quantization!r}; one of {', '.join(QUANTIZATIONS)}")
    quantized = {
        "float32": (),
        "int8": (ENCODER_FILE, DECODER_FILE),
        "int8_decoder": (DECODER_FILE,),
    }[quantization]
    import torch
    from transformers import WhisperForConditionalGeneration

    model = WhisperForConditionalGeneration.from_pretrained(
        str(source), attn_implementation="eager"
    ).eval()
    encoder, decoder = _modules(model)
    config = model.config
    output.mkdir(parents=True, exist_ok=True)
    features = torch.zeros(1, config.num_mel_bins, 2 * config.max_source_positions)
    with torch.no_grad():
        cross_k, cross_v = encoder(features)
    tokens = torch.tensor([[config.decoder_start_token_id] * 3], dtype=torch.int64)
    heads = config.decoder_attention_heads
    past = torch.zeros(config.decoder_layers, 1, heads, 2, config.d_model // heads)
    plain = {name: output / f".{name}.fp32" for name in (ENCODER_FILE, DECODER_FILE)}
    kv_axes = {1: "batch"}
    with torch.no_grad():
        torch.onnx.export(
            encoder, (features,), str(plain[ENCODER_FILE]), dynamo=False, opset_version=OPSET,
            input_names=["input_features"], output_names=["cross_k", "cross_v"],
            dynamic_axes={"input_features": {0: "batch"}, "cross_k": kv_axes, "cross_v": kv_axes},
        )  # fmt: skip
        cache_in = {1: "batch", 3: "past"}
        cache_out = {1: "batch", 3: "total"}
        torch.onnx.export(
            decoder, (tokens, past, past, cross_k, cross_v), str(plain[DECODER_FILE]),
            dynamo=False, opset_version=OPSET,
            input_names=["tokens", "self_k", "self_v", "cross_k", "cross_v"],
            output_names=["logits", "new_self_k", "new_self_v"],
            dynamic_axes={"tokens": {0: "batch", 1: "length"}, "self_k": cache_in,
                          "self_v": cache_in, "cross_k": kv_axes, "cross_v": kv_axes,
                          "logits": {0: "batch"}, "new_self_k": cache_out,
                          "new_self_v": cache_out},
        )  # fmt: skip
    for name, path in plain.items():
        if name in quantized:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            quantize_dynamic(
                str(path), str(output / name), weight_type=QuantType.QInt8, per_channel=True
            )
            path.unlink()
        else:
            path.replace(output / name)
    for name in CARRIED:
        if (source / name).is_file():
            shutil.copyfile(source / name, output / name)
    manifest = {
        "encoder": ENCODER_FILE,
        "decoder": DECODER_FILE,
        "quantization": quantization,
        "opset": OPSET,
        "self_attention_cache": True,
    }
    (output / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return output
