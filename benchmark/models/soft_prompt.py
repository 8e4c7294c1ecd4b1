"""Prompt tuning (Lester et al. 2021) for Whisper's decoder: N learned vectors stand at
the start of the previous-text prompt, in the places of N copies of `<|startoflm|>` (a
token no transcription writes or reads), and everything else stays base's.

The vectors live in a wrapper around the decoder's token embedding, which puts the k-th
vector where a row's k-th `<|startoflm|>` stands; every other token, and the output
projection tied to the embedding, is base's. So the vocabulary does not grow (a larger
one would read as a multilingual Whisper to CTranslate2, and new ids would sit in the
timestamp range), and decoding gives the model its prompt as `<|startofprev|>`, the N
markers, then any text prompt (`learned_prompt`). The folder holds the vectors
(`soft_prompt.safetensors`), their count and base (`soft_prompt.json`) and the base's
fingerprint (`base.json`), and loads over that base with transformers. No exported
runtime has the wrapper: CTranslate2 and ONNX cannot run it.

Deep (`deep`): the prompt's places also get learned vectors at the input of every decoder
layer above the first, which replace what the layer below made there (deep prompt
tuning, as VPT-deep, Jia et al. 2022, and P-Tuning v2, Liu et al. 2022; prefix tuning,
Li and Liang 2021, learns each layer's keys and values directly, where here they are
the layer's own projections of its learned vectors). Each layer's places are those the
embedding found in the same forward pass; with the KV cache, only the first pass has
them, and the later tokens read their keys and values from the cache.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from devspeech.errors import InputError
from devspeech.files import write_json_atomic
from devspeech.jsonl import read_fields

CONFIG_FILE = "soft_prompt.json"
WEIGHTS_FILE = "soft_prompt.safetensors"
MARKER = "<|startoflm|>"
VECTORS = "model.decoder.embed_tokens.vectors"  # the parameter's name in the model


@dataclass(frozen=True)
class SoftPromptConfig:
    base: str  # the model spec the vectors were trained on
    tokens: int  # how many vectors (at each depth)
    marker: int  # the id of the token whose places they take
    deep: bool = False  # vectors at every decoder layer's input too

    @classmethod
    def read(cls, folder: Path) -> SoftPromptConfig:
        hint = "give the adapter/ folder `finetune --method prompt` wrote"
        return read_fields(folder / CONFIG_FILE, cls, "a soft prompt config", hint)


@cache
def _embedding_class() -> type:
    import torch

    class SoftPromptEmbedding(torch.nn.Module):
        """The decoder's token embedding, with learned vectors at the marker's places;
        `vectors[0]` for the embedding, `vectors[i]` for decoder layer i's input (deep)."""

        def __init__(self, inner: Any, tokens: int, marker: int, depth: int) -> None:
            super().__init__()
            self.inner = inner
            self.marker = marker
            self.vectors = torch.nn.Parameter(
                inner.weight.new_zeros(depth, tokens, inner.embedding_dim)
            )
            self.places: tuple[Any, Any] | None = None  # this pass's (found, index)

        @property
        def weight(self) -> Any:  # the output projection's tied weight is base's
            return self.inner.weight

        @property
        def learned_tokens(self) -> int:
            return int(self.vectors.shape[1])

        def put(self, hidden: Any, depth: int) -> Any:
            """`hidden` with this pass's prompt places holding the vectors of `depth`."""
            if self.places is None or self.places[0].shape != hidden.shape[:2]:
                return hidden
            found, index = self.places
            return torch.where(found[..., None], self.vectors[depth][index], hidden)

        def forward(self, ids: Any) -> Any:
            found = ids == self.marker
            self.places = None
            if bool(found.any()):
                self.places = (found, (found.cumsum(-1) - 1).clamp(0, self.learned_tokens - 1))
            return self.put(self.inner(ids), 0)

    return SoftPromptEmbedding


def marker_id(tokenizer: Any) -> int:
    return int(tokenizer.convert_tokens_to_ids(MARKER))


def add_soft_prompt(model: Any, tokens: int, marker: int, words: int, deep: bool = False) -> Any:
    """`model` with `tokens` prompt vectors at the places of `marker` (in place), each set
    to the embedding of a random one of the first `words` tokens, the vocabulary's words
    (Lester et al.: better than random vectors); seed torch first for the same draw. Deep,
    every decoder layer above the first gets its own, starting as the same words."""
    import torch

    decoder = model.model.decoder
    layers = list(decoder.layers)
    depth = len(layers) if deep else 1
    embedding = _embedding_class()(decoder.embed_tokens, tokens, marker, depth)
    with torch.no_grad():
        start = decoder.embed_tokens.weight[torch.randint(0, words, (tokens,))]
        embedding.vectors.copy_(start.expand(depth, -1, -1))
    decoder.embed_tokens = embedding
    for index in range(1, depth):
        layers[index].register_forward_pre_hook(
            lambda _, args, depth=index: (embedding.put(args[0], depth), *args[1:])
        )
    return model


def learned_prompt(model: Any) -> list[int]:
    """The token ids that open the previous-text prompt of a model with a soft prompt (the
    marker, once per vector); none for any other model."""
    for module in model.modules():
        if hasattr(module, "learned_tokens"):
            return [module.marker] * module.learned_tokens
    return []


def save_soft_prompt(model: Any, base: str, folder: Path) -> None:
    from safetensors.torch import save_file

    embedding = model.model.decoder.embed_tokens
    deep = embedding.vectors.shape[0] > 1
    config = SoftPromptConfig(base, embedding.learned_tokens, embedding.marker, deep)
    write_json_atomic(folder / CONFIG_FILE, asdict(config))
    save_file({VECTORS: embedding.vectors.detach().contiguous().cpu()}, str(folder / WEIGHTS_FILE))


def load_soft_prompt(model: Any, folder: Path) -> Any:
    """The base `model` with the prompt vectors saved in `folder`."""
    import torch
    from safetensors.torch import load_file

    config = SoftPromptConfig.read(folder)
    add_soft_prompt(model, config.tokens, config.marker, 1, config.deep)
    vectors = load_file(str(folder / WEIGHTS_FILE)).get(VECTORS)
    target = model.model.decoder.embed_tokens.vectors
    if vectors is None or vectors.shape != target.shape:
        raise InputError(
            f"the soft prompt in {folder} does not fit this base (its width differs from that "
            f"of {config.base}, which it was trained on); load it over that model"
        )
    with torch.no_grad():
        target.copy_(vectors)
    return model.eval()
