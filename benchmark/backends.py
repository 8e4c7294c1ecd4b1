"""Transcription backends: transformers (batched generate, PEFT adapters), faster-whisper
(CTranslate2) and ONNX Runtime (folders from `devspeech export --onnx`, onnx_backend.py).

All decode as their `Decoding` says (greedy, temperature fallback or beam search), set
language and task explicitly on multilingual models, take an optional text prompt, and
return timestamped segments when asked (long-form rows). They see the same input: a clip
under 30 s is padded with 30 s of silence before its log-mel is computed, as openai-whisper
and transformers do (faster-whisper alone pads the log-mel with zeros; it is given the
padded audio and told to decode the first 30 s), so greedy decoding of the same weights
gives the same text in each (tested).
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from devspeech.audio import SAMPLE_RATE
from devspeech.benchmark.biasing import DEFAULT_BONUS, TokenTrie, TrieLogitsProcessor
from devspeech.benchmark.decoding import Decoding
from devspeech.benchmark.models import (
    ModelSpec,
    backend_for,
    ctranslate2_location,
)
from devspeech.benchmark.models.soft_prompt import learned_prompt
from devspeech.benchmark.rerank import Hypothesis, Reranker
from devspeech.errors import InputError
from devspeech.records import Segment

BACKENDS = ("auto", "transformers", "faster-whisper", "onnxruntime")
CHUNK_S = 30.0
MAX_PROMPT_TOKENS = 223  # what Whisper keeps of a previous-text prompt (n_text_ctx // 2 - 1)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Transcript:
    text: str
    segments: tuple[Segment, ...] | None = None  # only when timestamps were asked for


class Backend(Protocol):
    name: str

    def transcribe(
        self, audios: list[np.ndarray], prompt: str | None, timestamps: bool
    ) -> list[Transcript]: ...


@dataclass(frozen=True)
class DecodeOptions:
    """Where and how every backend decodes."""

    device: str = "cpu"
    compute_type: str = "int8"  # faster-whisper; transformers: float32 unless float16/bfloat16
    max_new_tokens: int | None = None  # None: the model's own limit
    decoding: Decoding = field(default_factory=Decoding)
    vocabulary: tuple[str, ...] = ()  # the terms biasing favours and rerank counts
    bias_bonus: float = DEFAULT_BONUS


def fit_prompt(prompt: str, tokenizer: Any, limit: int = MAX_PROMPT_TOKENS) -> str:
    """`prompt` cut, whole comma-separated terms at a time from its start, to the `limit`
    tokens Whisper keeps of a previous-text prompt (its last ones); a prompt that had to be
    cut is warned of once, with how many terms were dropped."""

    def tokens(text: str) -> int:
        return len(tokenizer.encode(" " + text.strip(), add_special_tokens=False))

    total = tokens(prompt)
    if total <= limit:
        return prompt
    terms = [t.strip() for t in prompt.split(",")]
    kept = len(terms)
    while kept > 1 and tokens(", ".join(terms[-kept:])) > limit:
        kept -= 1
    if prompt not in _WARNED:
        _WARNED.add(prompt)
        dropped = len(terms) - kept
        log.warning("the prompt is %d tokens and Whisper keeps the last %d: %d of its %d terms "
                    "dropped from its start", total, limit, dropped, len(terms))  # fmt: skip
    return ", ".join(terms[-kept:])  # a single term still too long: the backend keeps its end


_WARNED: set[str] = set()


def prompt_ids(tokenizer: Any, prompt: str | None, learned: Sequence[int] = ()) -> list[int]:
    """`<|startofprev|>`, a soft prompt's `learned` markers, and the tokens of `prompt` as
    Whisper keeps them: cut by whole terms (fit_prompt), then to its last tokens that fit
    in MAX_PROMPT_TOKENS."""
    text = fit_prompt(prompt, tokenizer).strip() if prompt else ""
    ids = tokenizer.encode(" " + text, add_special_tokens=False) if text else []
    keep = max(0, MAX_PROMPT_TOKENS - len(learned))
    start = tokenizer.convert_tokens_to_ids("<|startofprev|>")
    return [start, *learned, *(ids[-keep:] if keep else [])]


def decode_tokens(tokenizer: Any, sequence: Any, timestamps: bool) -> Transcript:
    """The text of a generated token sequence and, when `timestamps`, its segments (from
    the tokenizer's offsets; a segment still open at the end is left out)."""
    if not timestamps:
        return Transcript(tokenizer.decode(sequence, skip_special_tokens=True).strip())
    decoded = tokenizer.decode(sequence, skip_special_tokens=True, output_offsets=True)
    segments = tuple(
        Segment(o["text"].strip(), float(o["timestamp"][0]), float(o["timestamp"][1]))
        for o in decoded["offsets"]
        if o["timestamp"][1] is not None
    )
    return Transcript(decoded["text"].strip(), segments)


class TransformersBackend:
    """WhisperForConditionalGeneration through `generate`, a batch at a time."""

    name = "transformers"

    def __init__(self, spec: ModelSpec, decoding: DecodeOptions = DecodeOptions()) -> None:

        from devspeech.benchmark.models.whisper import load_whisper

        dtype = {"float16": "float16", "bfloat16": "bfloat16"}.get(decoding.compute_type, "float32")
        loaded = load_whisper(spec, dtype)
        self._setup(loaded.model.to(decoding.device), loaded.processor, decoding, dtype)

    @classmethod
    def of_model(
        cls, model: Any, processor: Any, decoding: DecodeOptions = DecodeOptions()
    ) -> TransformersBackend:
        """A backend over a model already in memory (one being trained, say), on the device
        the model is on, fed float32 features (a model trained under autocast is float32)."""
        backend = cls.__new__(cls)
        device = str(next(model.parameters()).device)
        backend._setup(model, processor, dataclasses.replace(decoding, device=device))
        return backend

    def _setup(
        self, model: Any, processor: Any, decoding: DecodeOptions, dtype: str = "float32"
    ) -> None:
        import torch

        self.torch_dtype = getattr(torch, dtype)  # what the features are cast to
        self.device = decoding.device
        self.max_new_tokens = decoding.max_new_tokens
        self.decoding = decoding.decoding
        self.processor = processor
        self.model = model.eval()
        self.multilingual = bool(getattr(model.generation_config, "is_multilingual", False))
        self.learned = learned_prompt(model)  # a soft prompt's markers open every prompt
        self.bias = None
        if decoding.decoding.biasing == "trie":
            trie = TokenTrie.of_terms(processor.tokenizer, need_vocabulary(decoding))
            self.bias = TrieLogitsProcessor(trie, decoding.bias_bonus)
        self.reranker = Reranker(decoding.vocabulary) if decoding.decoding.rerank else None

    def transcribe(
        self, audios: list[np.ndarray], prompt: str | None, timestamps: bool
    ) -> list[Transcript]:
        import torch

        long = any(len(a) > CHUNK_S * SAMPLE_RATE for a in audios)
        # sequential long-form decoding runs one file at a time; so does temperature fallback,
        # whose re-decoded rows come back with other lengths than the batch's (transformers
        # cannot stack them in the one-window call below)
        if (long or self.decoding.method == "fallback") and len(audios) > 1:
            return [t for a in audios for t in self.transcribe([a], prompt, timestamps)]
        extractor = self.processor.feature_extractor
        features = extractor(
            audios,
            sampling_rate=SAMPLE_RATE,
            return_tensors="pt",
            return_attention_mask=True,
            **({"truncation": False, "padding": "longest"} if long else {}),
        )
        kwargs: dict = {
            # the KV cache on whatever a config says (a model in training may have it off:
            # then every token recomputes attention over all 1,500 encoder frames)
            "use_cache": True,
            "return_timestamps": timestamps or long,
            **_transformers_decoding(self.decoding),
        }
        if self.max_new_tokens is not None:
            kwargs["max_new_tokens"] = self.max_new_tokens
        if not long:
            # one window per clip, as faster-whisper is given: otherwise a clip whose output
            # holds a timestamp token is decoded again from that point, and a timestamp at
            # 0.00 (a tuned model can emit one unasked) never moves on: an endless loop
            kwargs["force_unique_generate_call"] = True
        if self.reranker is not None and not long and not timestamps:
            return self._reranked(features.input_features, prompt)
        if self.multilingual:
            kwargs.update(language="en", task="transcribe")
        if prompt or self.learned:
            ids = prompt_ids(self.processor.tokenizer, prompt, self.learned)
            kwargs["prompt_ids"] = torch.tensor(ids, device=self.device)
        if self.bias is not None:
            from transformers import LogitsProcessorList

            kwargs["logits_processor"] = LogitsProcessorList([self.bias])
        if self.decoding.method == "fallback":
            torch.manual_seed(Decoding.SEED)  # the same samples for the same batch
        with torch.inference_mode():
            output = self.model.generate(
                features.input_features.to(self.device, self.torch_dtype),
                attention_mask=features.attention_mask.to(self.device),
                **kwargs,
            )
        sequences = output["sequences"] if isinstance(output, dict) else output
        return [decode_tokens(self.processor.tokenizer, s, timestamps) for s in sequences]

    def _reranked(self, input_features: Any, prompt: str | None) -> list[Transcript]:
        """Beam search's n-best of each clip (one window, no timestamps), reranked.

        Whisper's own `generate` turns `num_return_sequences` into copies of the clip, each
        decoded to its one best, so the n-best comes from the generic beam search over the
        same start tokens (and prompt): its first hypothesis is Whisper's beam result."""
        import torch
        from transformers import LogitsProcessorList
        from transformers.generation.utils import GenerationMixin

        assert self.reranker is not None
        tokenizer = self.processor.tokenizer
        ids = tokenizer.convert_tokens_to_ids
        start = [ids("<|startoftranscript|>")]
        if self.multilingual:
            start += [ids("<|en|>"), ids("<|transcribe|>")]
        prefix = [*start, ids("<|notimestamps|>")]
        if prompt or self.learned:
            prefix = [*prompt_ids(tokenizer, prompt, self.learned), *prefix]
        beams = self.decoding.beams
        count = input_features.shape[0]
        kwargs: dict[str, Any] = {}
        if self.max_new_tokens is not None:
            kwargs["max_new_tokens"] = self.max_new_tokens
        if self.bias is not None:
            kwargs["logits_processor"] = LogitsProcessorList([self.bias])
        with torch.inference_mode():
            output = GenerationMixin.generate(
                self.model,
                input_features=input_features.to(self.device, self.torch_dtype),
                decoder_input_ids=torch.tensor([prefix] * count, device=self.device),
                num_beams=beams, num_return_sequences=beams, do_sample=False,
                return_dict_in_generate=True, output_scores=True, use_cache=True, **kwargs,
            )  # fmt: skip
        texts = tokenizer.batch_decode(output.sequences[:, len(prefix) :], skip_special_tokens=True)
        scores = output.sequences_scores.tolist()
        chosen = []
        for clip in range(count):
            group = range(clip * beams, (clip + 1) * beams)
            hypotheses = [Hypothesis(texts[i].strip(), scores[i]) for i in group]
            chosen.append(Transcript(hypotheses[self.reranker.choose(hypotheses)].text))
        return chosen


class FasterWhisperBackend:
    """CTranslate2 through faster-whisper, one clip at a time (int8 or float32 on CPU)."""

    name = "faster-whisper"

    def __init__(self, spec: ModelSpec, decoding: DecodeOptions = DecodeOptions()) -> None:
        from faster_whisper import WhisperModel

        if decoding.decoding.biasing != "none":
            raise InputError(
                f"--biasing {decoding.decoding.biasing} needs a logits hook, and CTranslate2's "
                "Whisper (faster-whisper) has none; bench the model with --backend transformers "
                "or export it with --onnx"
            )
        if decoding.decoding.rerank:
            raise InputError(
                "--rerank needs every hypothesis of beam search, and faster-whisper returns "
                "one; bench the model with --backend transformers"
            )
        self.max_new_tokens = decoding.max_new_tokens
        self.decoding = decoding.decoding
        try:
            self.model = WhisperModel(
                ctranslate2_location(spec),
                device=decoding.device,
                compute_type=decoding.compute_type,
            )
        except (OSError, RuntimeError, ValueError) as error:
            raise InputError(f"cannot load {spec.text}: {error}") from None

    def transcribe(
        self, audios: list[np.ndarray], prompt: str | None, timestamps: bool
    ) -> list[Transcript]:
        import ctranslate2

        out = []
        window = int(CHUNK_S * SAMPLE_RATE)
        for audio in audios:
            short = len(audio) <= window
            if self.decoding.method == "fallback":
                ctranslate2.set_random_seed(Decoding.SEED)
            segments, _ = self.model.transcribe(
                # silence, not zeroed log-mel, after a short clip: the input transformers sees
                np.pad(audio, (0, window - len(audio))) if short else audio,
                language="en",
                task="transcribe",
                initial_prompt=prompt or None,
                without_timestamps=not timestamps,
                condition_on_previous_text=False,
                vad_filter=False,
                max_new_tokens=self.max_new_tokens,
                clip_timestamps=[0.0, CHUNK_S] if short else "0",
                **_faster_whisper_decoding(self.decoding),
            )
            # a short clip is one window, as in transformers: nothing decoded after it
            pieces = list(
                itertools.takewhile(lambda s, one=short: not one or s.seek == 0, segments)
            )
            text = "".join(s.text for s in pieces).strip()
            spans = tuple(Segment(s.text.strip(), s.start, s.end) for s in pieces)
            out.append(Transcript(text, spans if timestamps else None))
        return out


def _transformers_decoding(decoding: Decoding) -> dict[str, Any]:
    if decoding.method == "fallback":
        return {
            "temperature": Decoding.TEMPERATURES,
            "compression_ratio_threshold": Decoding.COMPRESSION_RATIO_THRESHOLD,
            "logprob_threshold": Decoding.LOGPROB_THRESHOLD,
            "do_sample": False,
            "num_beams": 1,
        }
    return {"do_sample": False, "num_beams": decoding.beams}


def _faster_whisper_decoding(decoding: Decoding) -> dict[str, Any]:
    # no_speech_threshold off in every mode: transformers does not drop "silent" clips either
    common = {"best_of": 1, "no_speech_threshold": None}
    if decoding.method == "fallback":
        return {
            **common,
            "beam_size": 1,
            "temperature": list(Decoding.TEMPERATURES),
            "compression_ratio_threshold": Decoding.COMPRESSION_RATIO_THRESHOLD,
            "log_prob_threshold": Decoding.LOGPROB_THRESHOLD,
        }
    return {
        **common,
        "beam_size": decoding.beams,
        "temperature": 0.0,
        "compression_ratio_threshold": None,
        "log_prob_threshold": None,
    }


def need_vocabulary(decoding: DecodeOptions) -> tuple[str, ...]:
    if not decoding.vocabulary:
        raise InputError(
            f"--biasing {decoding.decoding.biasing} favours the terms of a vocabulary; "
            "give one with --vocabulary FILE"
        )
    return decoding.vocabulary


def resolve_backend(name: str, spec: ModelSpec) -> str:
    """`auto` is the runtime the spec's files are for: CTranslate2 folders go to
    faster-whisper, ONNX folders to onnxruntime, everything else to transformers."""
    if name not in BACKENDS:
        raise InputError(f"unknown backend {name!r}; available: {', '.join(BACKENDS)}")
    return backend_for(spec) if name == "auto" else name


def load_backend(name: str, spec: ModelSpec, decoding: DecodeOptions = DecodeOptions()) -> Backend:
    name = resolve_backend(name, spec)
    if name == "onnxruntime":
        from devspeech.benchmark.onnx_backend import OnnxBackend

        return OnnxBackend(spec, decoding)
    if name == "transformers":
        return TransformersBackend(spec, decoding)
    if name == "faster-whisper":
        return FasterWhisperBackend(spec, decoding)
    raise InputError(f"unknown backend {name!r}; available: {', '.join(BACKENDS)}")
