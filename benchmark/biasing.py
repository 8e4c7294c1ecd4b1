"""Trie shallow fusion: a vocabulary's terms favoured while decoding, with no training.

Every term is tokenized as Whisper writes it after a space (` np.array`) and glued to what
comes before (`(np.array`), and both token sequences go into one trie. At each decoding
step a hypothesis stands at some node of the trie (the root when it is not inside a term):
every token that extends the term it has begun gets a bonus; every token that begins a
term gets the bonus too; and a hypothesis that abandons a term half-way (a false start)
has the bonus its partial term earned taken back, on whatever token it writes instead, so
in beam search a false start ends up scored as if it had never been favoured (the context
graph of WeNet and arXiv 2508.17796 work this way). Right after a whole term, no new term
is pushed, and a term begun again earns half as much each time it was begun before (a
bonus on every start let tiny.en write `pd pd pd ...`, `def, def, def, ...` and
`re-write, re-write, ...` to the token limit); the prompt's own terms do not count.
Special tokens (timestamps, the start and end of text) return a hypothesis to the root.

The same bias serves the transformers backend (as a logits processor) and the ONNX
backend (on its numpy logits). CTranslate2's Whisper exposes no logits hook, so
faster-whisper cannot run it; bench refuses the pair.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from devspeech.errors import InputError

DEFAULT_BONUS = 2.0  # added to a token's logit (its log-probability, in beam search)
REPEAT_DECAY = 0.5  # a term begun again after it was written earns this much less each time


@dataclass
class _Node:
    children: dict[int, _Node] = field(default_factory=dict)
    terminal: bool = False  # a whole term ends here


class TokenTrie:
    """Token sequences of terms, one path per sequence."""

    def __init__(
        self, sequences: Iterable[Sequence[int]], first_special: int, start: int | None = None
    ) -> None:
        self.root = _Node()
        self.first_special = first_special  # ids from here on are special or timestamps
        self.start = start  # <|startoftranscript|>: what came before it was the prompt
        self.size = 0
        for sequence in sequences:
            if sequence:
                self._add(sequence)
        self._starts = np.array(sorted(self.root.children), dtype=np.int64)  # first tokens

    def _add(self, sequence: Sequence[int]) -> None:
        node = self.root
        for token in sequence:
            node = node.children.setdefault(int(token), _Node())
        if not node.terminal:
            node.terminal = True
            self.size += 1

    @classmethod
    def of_terms(cls, tokenizer: Any, terms: Iterable[str]) -> TokenTrie:
        """The trie of `terms` as `tokenizer` writes them, with and without a space before;
        a term that gives no text token is refused."""
        first_special = tokenizer.convert_tokens_to_ids("<|endoftext|>")
        start = tokenizer.convert_tokens_to_ids("<|startoftranscript|>")
        sequences = []
        for term in terms:
            spaced = tokenizer.encode(" " + term, add_special_tokens=False)
            glued = tokenizer.encode(term, add_special_tokens=False)
            if not term.strip() or not glued or any(t >= first_special for t in spaced + glued):
                raise InputError(f"the vocabulary term {term!r} does not tokenize to text tokens; "
                                 "remove it or write it as the model should print it")  # fmt: skip
            sequences += [spaced, glued]
        return cls(sequences, first_special, start)

    def state(self, tokens: Sequence[int]) -> tuple[_Node, int]:
        """The node a hypothesis written as `tokens` stands at, and how many of its last
        tokens are the partial term that brought it there."""
        walk = self.walk(tokens, 1.0)
        return walk.node, walk.depth

    def walk(self, tokens: Sequence[int], bonus: float) -> _Walk:
        """Where a hypothesis stands, what its partial term earned, and how often it has
        begun a term with each first token."""
        walk = _Walk(self.root)
        for token in tokens:
            token = int(token)
            if token < self.first_special and walk.depth and token in walk.node.children:
                walk.node, walk.depth = walk.node.children[token], walk.depth + 1
                walk.earned += bonus
            elif token < self.first_special and token in self.root.children:
                walk.node, walk.depth = self.root.children[token], 1
                walk.earned = walk.start_bonus(token, bonus)
                walk.used[token] += 1  # begun again later, it earns less: no loops
            else:  # a special token, or text outside every term
                walk.node, walk.depth, walk.earned = self.root, 0, 0.0
                if token == self.start:
                    walk.used.clear()  # the prompt's own terms were never written
                continue
        return walk

    def adjustment(self, tokens: Sequence[int], vocab_size: int, bonus: float) -> np.ndarray:
        """What to add to the next token's scores of the hypothesis `tokens`."""
        walk = self.walk(tokens, bonus)
        node = walk.node
        pending = walk.earned if node is not self.root and not node.terminal else 0.0
        out = np.full(vocab_size, -pending, dtype=np.float32)
        if not node.terminal:  # right after a whole term, another is not pushed: no "pd pd pd"
            starts = self._starts[self._starts < vocab_size]
            out[starts] = bonus - pending  # a new term begins: the abandoned one is taken back
            for token in walk.used:  # "def, def, def": each repeat earns less
                if token < vocab_size:
                    out[token] = walk.start_bonus(token, bonus) - pending
        if node is not self.root:
            out[[t for t in node.children if t < vocab_size]] = bonus  # the term goes on
        return out


@dataclass
class _Walk:
    node: _Node
    depth: int = 0  # tokens of the partial term
    earned: float = 0.0  # the bonus those tokens earned (taken back if it is abandoned)
    used: Counter[int] = field(default_factory=Counter)  # terms begun, by first token

    def start_bonus(self, token: int, bonus: float) -> float:
        return bonus * REPEAT_DECAY ** self.used[token]


class TrieLogitsProcessor:
    """The trie's bonus as a transformers logits processor (called with the ids so far of
    every hypothesis and the next token's scores)."""

    def __init__(self, trie: TokenTrie, bonus: float = DEFAULT_BONUS) -> None:
        self.trie = trie
        self.bonus = bonus

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        rows = input_ids.tolist()
        width = scores.shape[-1]
        shift = np.stack([self.trie.adjustment(r, width, self.bonus) for r in rows])
        return scores + torch.from_numpy(shift).to(scores.device, scores.dtype)


def bias_numpy(trie: TokenTrie, tokens: np.ndarray, logits: np.ndarray, bonus: float) -> None:
    """Add the trie's bonus to `logits` (rows x vocabulary) in place, for hypotheses `tokens`."""
    for k in range(len(logits)):
        logits[k] += trie.adjustment(tokens[k].tolist(), logits.shape[-1], bonus)
