"""How a model decodes, a recorded condition of every prediction and result.

- `greedy`: temperature 0, one beam, no fallback: the open ASR leaderboard's setting.
- `fallback`: Whisper's temperature fallback (openai-whisper's and faster-whisper's default
  loop): decode at 0, and again at 0.2, 0.4 ... 1.0 (sampling) while the text compresses
  better than 2.4 (a loop) or its mean log-probability is under -1.
- `beam:N`: beam search with N beams, temperature 0.

Any of them may add `+trie`: the vocabulary's terms favoured by trie shallow fusion
(biasing.py), e.g. `greedy+trie`. Beam search may add `+rerank`: the kept hypothesis is
chosen among the n-best by the names it writes and whether its code parses (rerank.py),
e.g. `beam:5+trie+rerank` (on clips of one window decoded without timestamps; long-form
and timestamped rows keep beam search's best).

Each backend maps these onto its own options; `greedy` is the same computation in all of
them, so the same weights give the same text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from devspeech.errors import InputError

DECODINGS = ("greedy", "fallback", "beam:N")
BIASINGS = ("none", "trie")
RERANK = "rerank"


@dataclass(frozen=True)
class Decoding:
    method: str = "greedy"  # greedy | fallback | beam
    beams: int = 1
    biasing: str = "none"  # none | trie (shallow fusion over the vocabulary)
    rerank: bool = False  # choose among beam search's n-best (rerank.py)

    TEMPERATURES: ClassVar[tuple[float, ...]] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    COMPRESSION_RATIO_THRESHOLD: ClassVar[float] = 2.4
    LOGPROB_THRESHOLD: ClassVar[float] = -1.0
    SEED: ClassVar[int] = 0  # sampling at a raised temperature starts from this seed per batch

    def __post_init__(self) -> None:
        if self.method not in ("greedy", "fallback", "beam"):
            raise InputError(f"--decoding {self.method!r}; choose one of {', '.join(DECODINGS)}")
        if (self.method == "beam") != (self.beams > 1):
            raise InputError("--decoding beam:N needs N of at least 2; greedy and fallback use 1")
        if self.biasing not in BIASINGS:
            raise InputError(f"--biasing {self.biasing!r}; choose one of {', '.join(BIASINGS)}")
        if self.rerank and self.method != "beam":
            raise InputError(
                f"--rerank chooses among beam search's hypotheses, and {self.method} keeps "
                "one; use --decoding beam:N (beam:5, say)"
            )

    @classmethod
    def parse(cls, text: str, biasing: str = "none", rerank: bool = False) -> Decoding:
        """ "greedy", "fallback" or "beam:5", each perhaps with "+trie" and, after beam
        search, "+rerank"."""
        text, *extras = [part.strip() for part in text.strip().split("+")]
        for extra in extras:
            if extra == RERANK:
                rerank = True
            elif extra in BIASINGS:
                biasing = extra
            else:
                raise InputError(
                    f"--decoding {'+'.join([text, *extras])!r}: {extra!r} is neither a biasing "
                    f"({', '.join(BIASINGS)}) nor {RERANK}"
                )
        decoding = cls._parse(text)
        return cls(decoding.method, decoding.beams, biasing, rerank)

    @classmethod
    def _parse(cls, text: str) -> Decoding:
        name, _, count = text.strip().partition(":")
        if name == "beam":
            if not count.isdigit():
                raise InputError(f"--decoding {text!r}: write beam:N with N a number, e.g. beam:5")
            return cls("beam", int(count))
        if count:
            raise InputError(f"--decoding {text!r}; choose one of {', '.join(DECODINGS)}")
        return cls(name)

    def __str__(self) -> str:
        name = f"beam:{self.beams}" if self.method == "beam" else self.method
        if self.biasing != "none":
            name += f"+{self.biasing}"
        return f"{name}+{RERANK}" if self.rerank else name
