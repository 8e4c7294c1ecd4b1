"""Decoder sequences for training: the prompt, Whisper's prefix, the target and the mask.

A sequence is `[<|startofprev|> prompt]` `<|startoftranscript|>` `[<|en|> <|transcribe|>]`
(multilingual models only), then either `<|notimestamps|>` and the text, or each
segment as `<|start|> text <|end|>` with times on Whisper's 0.02 s grid, then
`<|endoftext|>`. The model reads the sequence without its last token and is taught
to predict it without its first; every target inside the prompt or the prefix (up to
and including the task token) is masked with -100, so the loss covers
`<|notimestamps|>` or the first timestamp, the text, and the end token.

Given the row's keywords, a sequence also names the label positions whose token is part
of one (found by the tokenizer's character offsets), for a loss that weights names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from devspeech.benchmark.backends import MAX_PROMPT_TOKENS
from devspeech.records import Segment

IGNORE = -100
TIME_STEP_S = 0.02
MAX_TIME_S = 30.0


class LabelTooLong(ValueError):
    """The target alone does not fit the decoder; the row is skipped and counted."""


@dataclass(frozen=True)
class TokenSequence:
    """Decoder input ids and the labels aligned with them (same length)."""

    input_ids: tuple[int, ...]
    labels: tuple[int, ...]
    keyword_positions: tuple[int, ...] = ()  # label positions inside a keyword of the text


@dataclass(frozen=True)
class Vocabulary:
    """The token ids a sequence needs, read once from a Whisper tokenizer."""

    start_of_prev: int
    start_of_transcript: int
    language: int | None  # <|en|>, on multilingual models
    task: int | None  # <|transcribe|>, on multilingual models
    no_timestamps: int
    end_of_text: int
    first_timestamp: int  # <|0.00|>
    max_length: int  # the decoder's max_target_positions
    learned_prompt: tuple[int, ...] = ()  # what opens every prompt (a soft prompt's markers)

    @classmethod
    def of(
        cls, tokenizer: Any, multilingual: bool, max_length: int, learned: Sequence[int] = ()
    ) -> Vocabulary:
        ids = tokenizer.convert_tokens_to_ids
        first = ids("<|0.00|>")
        if first is None or first == tokenizer.unk_token_id:
            raise ValueError("the tokenizer has no timestamp tokens (<|0.00|> ...)")
        return cls(
            start_of_prev=ids("<|startofprev|>"),
            start_of_transcript=ids("<|startoftranscript|>"),
            language=ids("<|en|>") if multilingual else None,
            task=ids("<|transcribe|>") if multilingual else None,
            no_timestamps=ids("<|notimestamps|>"),
            end_of_text=ids("<|endoftext|>"),
            first_timestamp=first,
            max_length=max_length,
            learned_prompt=tuple(learned),
        )

    def timestamp(self, seconds: float) -> int:
        """The token of the grid point nearest to `seconds`, within [0, 30] s."""
        step = round(min(max(seconds, 0.0), MAX_TIME_S) / TIME_STEP_S)
        return self.first_timestamp + step


def _text_ids(tokenizer: Any, text: str) -> list[int]:
    """Whisper's text tokens start after a space, as they do after a timestamp."""
    return list(tokenizer.encode(" " + text.strip(), add_special_tokens=False))


def _text_tokens(
    tokenizer: Any, text: str, keywords: Sequence[str]
) -> tuple[list[int], list[bool]]:
    """`_text_ids` of `text`, and for each token whether it spells part of a keyword."""
    if not keywords:
        ids = _text_ids(tokenizer, text)
        return ids, [False] * len(ids)
    written = " " + text.strip()
    encoded = tokenizer(written, add_special_tokens=False, return_offsets_mapping=True)
    spans = [(m.start(), m.end()) for k in dict.fromkeys(keywords) if k.strip()
             for m in re.finditer(re.escape(k.strip()), written)]  # fmt: skip
    flags = [any(start < end_ and stop > start_ for start_, end_ in spans)
             for start, stop in encoded["offset_mapping"]]  # fmt: skip
    return list(encoded["input_ids"]), flags


def build_sequence(
    tokenizer: Any,
    vocabulary: Vocabulary,
    text: str,
    segments: Sequence[Segment] = (),
    *,
    timestamps: bool = False,
    prompt: str | None = None,
    keywords: Sequence[str] = (),
) -> TokenSequence:
    """The training sequence of one row; LabelTooLong when the target alone cannot fit.
    With `keywords`, it names the label positions of their tokens in the target."""
    v = vocabulary
    prefix = [v.start_of_transcript]
    if v.language is not None and v.task is not None:
        prefix += [v.language, v.task]
    if timestamps:
        if not segments:
            raise ValueError("a timestamped target needs segments")
        body: list[int] = []
        named: list[bool] = []
        for segment in segments:
            ids, flags = _text_tokens(tokenizer, segment.text, keywords)
            body += [v.timestamp(segment.start), *ids, v.timestamp(segment.end)]
            named += [False, *flags, False]
    else:
        ids, named = _text_tokens(tokenizer, text, keywords)
        body, named = [v.no_timestamps, *ids], [False, *named]
    target = [*prefix, *body, v.end_of_text]
    if len(target) - 1 > v.max_length:
        raise LabelTooLong(f"{len(target) - 1} decoder tokens, the model takes {v.max_length}")
    previous: list[int] = []
    learned = list(v.learned_prompt)
    if prompt or learned:
        room = min(MAX_PROMPT_TOKENS, v.max_length - (len(target) - 1) - 1) - len(learned)
        prompt_ids = _text_ids(tokenizer, prompt)[-room:] if prompt and room > 0 else []
        if prompt_ids or learned:
            previous = [v.start_of_prev, *learned, *prompt_ids]
    full = [*previous, *target]
    masked = len(previous) + len(prefix) - 1  # targets up to and including the task token
    labels = [IGNORE] * masked + full[masked + 1 :]
    # label j is token j + 1 of the full sequence; the body starts after prompt and prefix
    first = len(previous) + len(prefix) - 1
    positions = tuple(first + i for i, flag in enumerate(named) if flag)
    return TokenSequence(tuple(full[:-1]), tuple(labels), positions)
