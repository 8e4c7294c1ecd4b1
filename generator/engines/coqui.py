"""Coqui TTS (the `coqui` extra) through its `TTS` API: VITS-family models with durations.

Voices are the models a user has: the English VITS models of Coqui's catalogue once
downloaded into its model folder (`TTS("tts_models/en/vctk/vits")` on a machine with
internet does that), and local model folders (config.json plus a .pth checkpoint) listed
in DEVSPEECH_COQUI_MODELS, separated like PATH. A multi-speaker model gives one of its
speakers per item, recorded as `model#speaker`.

Word timings come from the model's own duration predictor: the per-token frame counts
that VITS inference returns are summed over each word's characters or phonemes, cut at
the space token. Models without a duration output (Tacotron, XTTS) cannot give word
timings and are not offered.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from devspeech.audio import SAMPLE_RATE, resample
from devspeech.errors import InputError
from devspeech.generator.engines.base import Span, SynthesisError, Voice, words_from_groups
from devspeech.generator.speech import Speech
from devspeech.records import Speaker, WordTiming

MODELS_ENV = "DEVSPEECH_COQUI_MODELS"
# Catalogue models whose inference returns per-token durations, with the accent they speak.
CATALOGUE: dict[str, str] = {
    "tts_models/en/ljspeech/vits": "us",
    "tts_models/en/ljspeech/vits--neon": "us",
    "tts_models/en/vctk/vits": "gb",
    "tts_models/en/jenny/jenny": "ie",
}
_SPEAKER_SEP = "#"


@dataclass(frozen=True)
class ModelFiles:
    """Where one model lives: a catalogue name (the TTS API finds it) or a local folder."""

    name: str
    accent: str
    folder: Path | None = None  # None: a catalogue model

    def load(self) -> Any:
        from TTS.api import TTS

        if self.folder is None:
            return TTS(self.name, progress_bar=False)
        checkpoints = sorted(self.folder.glob("*.pth"))
        checkpoints = [p for p in checkpoints if p.name not in ("speakers.pth", "speaker_ids.pth")]
        if not checkpoints:
            raise SynthesisError(f"Coqui model folder {self.folder} holds no .pth checkpoint")
        return TTS(
            model_path=str(checkpoints[-1]),
            config_path=str(self.folder / "config.json"),
            progress_bar=False,
        )


def available_models() -> dict[str, ModelFiles]:
    """Downloaded catalogue models and the local folders named by DEVSPEECH_COQUI_MODELS."""
    from TTS.utils.manage import ModelManager

    # where Coqui's model manager keeps downloads (it reads its catalogue once, here)
    downloads = Path(ModelManager(progress_bar=False).output_prefix)
    models: dict[str, ModelFiles] = {}
    for name, accent in CATALOGUE.items():
        if (downloads / name.replace("/", "--") / "config.json").is_file():
            models[name] = ModelFiles(name, accent)
    for entry in filter(None, os.environ.get(MODELS_ENV, "").split(os.pathsep)):
        folder = Path(entry).expanduser()
        if not (folder / "config.json").is_file():
            raise InputError(f"{MODELS_ENV} names {folder}, which holds no config.json")
        models[folder.name] = ModelFiles(folder.name, "us", folder.resolve())
    return models


class _LoadedModel:
    """A TTS object and the parts of its VITS model that synthesis drives directly."""

    def __init__(self, files: ModelFiles) -> None:
        import torch

        torch.set_num_threads(1)  # the same floats in every worker; workers give parallelism
        self.tts = files.load()
        self.model = self.tts.synthesizer.tts_model
        for attribute in ("tokenizer", "length_scale", "inference_noise_scale"):
            if not hasattr(self.model, attribute):
                raise SynthesisError(
                    f"Coqui model {files.name} is not a VITS model; word timings need its durations"
                )
        self.rate = int(self.tts.synthesizer.output_sample_rate)
        self.hop = int(self.model.config.audio.hop_length)
        multi = self.tts.is_multi_speaker
        self.speakers: list[str] = list(self.tts.speakers or []) if multi else []
        characters = self.model.tokenizer.characters
        self.blank = characters.char_to_id(characters.blank) if characters.blank else None
        self.breaks = {characters.char_to_id(c) for c in " .,;:!?" if c in characters.vocab}

    def token_counts(self, words: list[str]) -> list[int]:
        """Tokens of each word said alone, for matching words the tokenizer joined."""
        skip = {*self.breaks, self.blank}
        return [
            sum(t not in skip for t in self.model.tokenizer.text_to_ids(word)) for word in words
        ]

    def speaker_id(self, speaker: str | None) -> Any:
        if speaker is None:
            return None
        import torch

        manager = self.model.speaker_manager
        return torch.tensor([manager.name_to_id[speaker]], dtype=torch.long)


@cache
def _load(name: str) -> _LoadedModel:
    models = available_models()
    if name not in models:
        raise SynthesisError(f"Coqui model {name} is not available; see `--list-voices`")
    return _LoadedModel(models[name])


class CoquiEngine:
    """Coqui TTS VITS models; length and noise scales and the speaker vary per item."""

    name = "coqui"

    def fresh_state(self) -> None:
        """Nothing carries over between clips: every random draw is seeded per clip."""

    def voices(self) -> list[Voice]:
        try:
            import TTS  # noqa: F401
        except ImportError as error:
            raise InputError(
                f"the coqui engine needs Coqui TTS ({error}): pip install 'devspeech[coqui]'"
            ) from None
        return [Voice(self.name, m.name, m.accent) for m in available_models().values()]

    def draw_speaker(self, voice: Voice, rng: random.Random) -> Speaker:
        loaded = _load(voice.name)
        name = voice.name
        if loaded.speakers:
            name += _SPEAKER_SEP + loaded.speakers[rng.randrange(len(loaded.speakers))]
        return Speaker(self.name, name, voice.accent, rate=rng.uniform(0.8, 1.25), pitch=1.0)

    def synthesize(self, spoken: str, speaker: Speaker, rng: random.Random) -> Speech:
        import torch

        model_name, _, speaker_name = speaker.voice.partition(_SPEAKER_SEP)
        loaded = _load(model_name)
        model = loaded.model
        ids = model.tokenizer.text_to_ids(spoken)
        if not ids:
            raise SynthesisError("Coqui's tokenizer produced no tokens")
        scales = (model.length_scale, model.inference_noise_scale, model.inference_noise_scale_dp)
        model.length_scale = 1.0 / speaker.rate
        model.inference_noise_scale = scales[1] * rng.uniform(0.6, 1.2)
        model.inference_noise_scale_dp = scales[2] * rng.uniform(0.6, 1.2)
        try:
            torch.manual_seed(rng.randrange(1 << 31))
            with torch.inference_mode():
                outputs = model.inference(
                    torch.tensor([ids], dtype=torch.long),
                    aux_input={
                        "x_lengths": torch.tensor([len(ids)], dtype=torch.long),
                        "speaker_ids": loaded.speaker_id(speaker_name or None),
                    },
                )
        finally:
            model.length_scale, model.inference_noise_scale, model.inference_noise_scale_dp = scales
        audio = outputs["model_outputs"].reshape(-1).float().numpy()
        frames = outputs["durations"].reshape(-1).long().numpy()
        if frames.size != len(ids):
            raise SynthesisError("Coqui returned no per-token durations")
        words = token_word_timings(spoken, ids, frames * loaded.hop, loaded)
        return Speech(resample(audio.astype(np.float32), loaded.rate, SAMPLE_RATE), words)


def token_word_timings(
    spoken: str,
    ids: list[int],
    samples: np.ndarray,
    loaded: _LoadedModel,
) -> tuple[WordTiming, ...]:
    """Cut tokens into words at break tokens; blank tokens belong to no word."""
    cumulative = np.concatenate([[0], np.cumsum(samples)])
    groups: list[list[Span]] = [[]]
    for index, token in enumerate(ids):
        if token in loaded.breaks:
            groups.append([])
        elif token != loaded.blank:
            groups[-1].append((int(cumulative[index]), int(cumulative[index + 1])))
    return words_from_groups(spoken, groups, loaded.rate, loaded.token_counts)
