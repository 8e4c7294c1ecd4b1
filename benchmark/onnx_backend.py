"""ONNX Runtime backend: Whisper exported by `devspeech export --onnx`, decoded without torch.

Greedy decoding with the rules transformers' `generate` applies, so the same weights
give the same tokens: the prompt as `<|startofprev|>` text before the start sequence,
language and task set on multilingual models, `suppress_tokens` and
`begin_suppress_tokens`, and with timestamps Whisper's timestamp rules (they come in
pairs, never go back, the first is at most `max_initial_timestamp_index` steps in, and
one is forced when timestamps together outweigh every text token). Audio longer than
30 s is cut into 30 s windows decoded one after another.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from devspeech.audio import SAMPLE_RATE
from devspeech.benchmark.backends import (
    CHUNK_S,
    DecodeOptions,
    Transcript,
    need_vocabulary,
    prompt_ids,
)
from devspeech.benchmark.biasing import TokenTrie, bias_numpy
from devspeech.benchmark.models import ModelSpec
from devspeech.benchmark.models.onnx import DECODER_FILE, ENCODER_FILE, is_onnx_folder
from devspeech.errors import InputError
from devspeech.records import Segment

TIME_STEP_S = 0.02


class OnnxBackend:
    name = "onnxruntime"

    def __init__(self, spec: ModelSpec, decoding: DecodeOptions | None = None) -> None:
        import onnxruntime
        from transformers import WhisperFeatureExtractor, WhisperTokenizerFast

        if decoding is not None and decoding.decoding.method != "greedy":
            raise InputError(
                f"the onnxruntime backend decodes greedily only (asked: {decoding.decoding}); "
                "use --decoding greedy, or bench the merged model with transformers"
            )
        folder = Path(spec.location)
        if spec.kind != "onnx" or not is_onnx_folder(folder):
            raise InputError(f"{spec.text} is not an ONNX Whisper folder (devspeech export --onnx)")
        decoding = decoding or DecodeOptions()
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        providers = ["CUDAExecutionProvider"] if decoding.device.startswith("cuda") else []
        providers.append("CPUExecutionProvider")
        try:
            self.encoder = onnxruntime.InferenceSession(
                str(folder / ENCODER_FILE), options, providers=providers
            )
            self.decoder = onnxruntime.InferenceSession(
                str(folder / DECODER_FILE), options, providers=providers
            )
            self.extractor = WhisperFeatureExtractor.from_pretrained(str(folder))
            self.tokenizer = WhisperTokenizerFast.from_pretrained(str(folder))
        except (OSError, ValueError, RuntimeError) as error:
            raise InputError(f"cannot load {spec.text}: {error}") from None
        generation = json.loads((folder / "generation_config.json").read_text(encoding="utf-8"))
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.eot = int(generation["eos_token_id"])
        self.no_timestamps = int(generation["no_timestamps_token_id"])
        self.timestamp_begin = self.no_timestamps + 1
        self.suppress = [int(t) for t in generation.get("suppress_tokens") or ()]
        self.begin_suppress = [int(t) for t in generation.get("begin_suppress_tokens") or ()]
        self.max_initial = generation.get("max_initial_timestamp_index")
        self.max_length = int(config.get("max_target_positions", 448))
        self.max_new_tokens = decoding.max_new_tokens
        start = [int(generation["decoder_start_token_id"])]
        if generation.get("is_multilingual"):
            start += [generation["lang_to_id"]["<|en|>"], generation["task_to_id"]["transcribe"]]
        self.start = [int(t) for t in start]
        self.trie = None
        self.bias_bonus = decoding.bias_bonus
        if decoding.decoding.biasing == "trie":
            self.trie = TokenTrie.of_terms(self.tokenizer, need_vocabulary(decoding))

    def transcribe(
        self, audios: list[np.ndarray], prompt: str | None, timestamps: bool
    ) -> list[Transcript]:
        window = int(CHUNK_S * SAMPLE_RATE)
        if any(len(a) > window for a in audios):
            return [self._long(a, prompt, timestamps, window) for a in audios]
        return self._batch(audios, prompt, timestamps)

    def _long(
        self, audio: np.ndarray, prompt: str | None, timestamps: bool, window: int
    ) -> Transcript:
        texts, segments = [], []
        for start in range(0, len(audio), window):
            piece = self._batch([audio[start : start + window]], prompt, timestamps)[0]
            texts.append(piece.text)
            offset = start / SAMPLE_RATE
            segments += [
                Segment(s.text, s.start + offset, s.end + offset) for s in piece.segments or ()
            ]
        return Transcript(" ".join(t for t in texts if t), tuple(segments) if timestamps else None)

    def _prefix(self, prompt: str | None, timestamps: bool) -> list[int]:
        prefix = prompt_ids(self.tokenizer, prompt) if prompt else []
        return prefix + self.start + ([] if timestamps else [self.no_timestamps])

    def _batch(
        self, audios: list[np.ndarray], prompt: str | None, timestamps: bool
    ) -> list[Transcript]:
        features = self.extractor(audios, sampling_rate=SAMPLE_RATE, return_tensors="np")
        cross_k, cross_v = self.encoder.run(
            None, {"input_features": features.input_features.astype(np.float32)}
        )
        prefix = self._prefix(prompt, timestamps)
        tokens = np.array([prefix] * len(audios), dtype=np.int64)
        begin = len(prefix)
        limit = self.max_length - begin
        if self.max_new_tokens is not None:
            limit = min(limit, self.max_new_tokens)
        finished = np.zeros(len(audios), dtype=bool)
        layers, batch, heads, _, head_dim = cross_k.shape
        self_k = self_v = np.zeros((layers, batch, heads, 0, head_dim), dtype=np.float32)
        step = tokens
        for _ in range(limit):
            logits, self_k, self_v = self.decoder.run(
                None,
                {"tokens": step, "self_k": self_k, "self_v": self_v,
                 "cross_k": cross_k, "cross_v": cross_v},
            )  # fmt: skip
            logits = logits.astype(np.float64)
            self._rules(logits, tokens, begin, timestamps)
            if self.trie is not None:
                bias_numpy(self.trie, tokens, logits, self.bias_bonus)
            chosen = np.where(finished, self.eot, logits.argmax(-1))
            step = chosen[:, None].astype(np.int64)
            tokens = np.concatenate([tokens, step], axis=1)
            finished |= chosen == self.eot
            if finished.all():
                break
        return [self._decode(row[begin:], timestamps) for row in tokens]

    def _rules(self, logits: np.ndarray, tokens: np.ndarray, begin: int, timestamps: bool) -> None:
        logits[:, self.suppress] = -np.inf
        if tokens.shape[1] == begin:
            logits[:, self.begin_suppress] = -np.inf
        if not timestamps:
            return
        first = self.timestamp_begin
        logits[:, self.no_timestamps] = -np.inf
        for k, row in enumerate(tokens[:, begin:]):
            last = len(row) >= 1 and row[-1] >= first
            penultimate = len(row) < 2 or row[-2] >= first
            if last:
                if penultimate:
                    logits[k, first:] = -np.inf
                else:
                    logits[k, : self.eot] = -np.inf
            stamps = row[row >= first]
            if len(stamps):
                floor = stamps[-1] if last and not penultimate else stamps[-1] + 1
                logits[k, first:floor] = -np.inf
        if tokens.shape[1] == begin:
            logits[:, :first] = -np.inf
            if self.max_initial is not None:
                logits[:, first + int(self.max_initial) + 1 :] = -np.inf
        shifted = logits - logits.max(-1, keepdims=True)
        logprobs = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
        for k in range(len(logits)):
            stamp = logprobs[k, first:]
            if not np.isfinite(stamp.max()):  # every timestamp suppressed: text goes on
                continue
            stamp_total = np.log(np.exp(stamp - stamp.max()).sum()) + stamp.max()
            if stamp_total > logprobs[k, :first].max():
                logits[k, :first] = -np.inf

    def _decode(self, row: np.ndarray, timestamps: bool) -> Transcript:
        ids = [int(t) for t in row]
        if self.eot in ids:
            ids = ids[: ids.index(self.eot)]
        text_ids = [t for t in ids if t < self.eot]
        text = self.tokenizer.decode(text_ids, skip_special_tokens=True).strip()
        if not timestamps:
            return Transcript(text)
        segments, start, pending = [], None, []
        for t in ids:
            if t >= self.timestamp_begin:
                time = (t - self.timestamp_begin) * TIME_STEP_S
                if start is None:
                    start = time
                else:
                    words = self.tokenizer.decode(pending, skip_special_tokens=True).strip()
                    if words:
                        segments.append(Segment(words, start, time))
                    start, pending = None, []
            elif t < self.eot:
                pending.append(t)
        return Transcript(text, tuple(segments))
