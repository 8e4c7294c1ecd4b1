"""The Coqui engine through the real `TTS` API, on a tiny random VITS built in-process.

No trained Coqui weights can be fetched here, so the model speaks noise, but every step
a user's model takes is real: the checkpoint and config on disk, `TTS(model_path=...)`,
the tokenizer, VITS inference with its duration predictor, speakers of a multi-speaker
model, and the dataset the generator writes from it.

Coqui TTS needs torchaudio built for the installed torch; where the `coqui` extra is not
installed (CI runs torch 2.13, for which torchaudio has no build) these tests skip.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip(
    "TTS.api", reason="the coqui extra (Coqui TTS) is not installed", exc_type=ImportError
)

from devspeech.errors import InputError
from devspeech.generator.engines.coqui import MODELS_ENV, CoquiEngine, _load
from devspeech.generator.speech import check_timings

SPOKEN = "import numpy as np dot array open paren x close paren"


def build_tiny_vits(folder: Path, speakers: tuple[str, ...] = ()) -> Path:
    """A randomly initialised VITS small enough to build and run in a second."""
    import torch
    from TTS.tts.configs.shared_configs import CharactersConfig
    from TTS.tts.configs.vits_config import VitsConfig
    from TTS.tts.models.vits import Vits, VitsArgs

    folder.mkdir(parents=True)
    speakers_file = folder / "speaker_ids.json"
    if speakers:
        speakers_file.write_text(json.dumps({name: i for i, name in enumerate(speakers)}))
    args = VitsArgs(
        hidden_channels=16,
        hidden_channels_ffn_text_encoder=32,
        num_heads_text_encoder=2,
        num_layers_text_encoder=1,
        num_layers_posterior_encoder=2,
        num_layers_flow=1,
        upsample_rates_decoder=[8, 8, 4],
        upsample_initial_channel_decoder=32,
        upsample_kernel_sizes_decoder=[16, 16, 8],
        resblock_kernel_sizes_decoder=[3],
        resblock_dilation_sizes_decoder=[[1, 3, 5]],
        init_discriminator=False,
        use_speaker_embedding=bool(speakers),
        speakers_file=str(speakers_file) if speakers else None,
    )
    characters = CharactersConfig(
        characters_class="TTS.tts.models.vits.VitsCharacters",
        pad="_",
        eos="",
        bos="",
        blank="<BLNK>",
        characters="abcdefghijklmnopqrstuvwxyz",
        punctuations=" .,'",
    )
    config = VitsConfig(
        model_args=args,
        use_phonemes=False,
        text_cleaner="basic_cleaners",
        characters=characters,
        add_blank=True,
    )
    config.audio.sample_rate = 22_050
    torch.manual_seed(0)
    model = Vits(config)
    torch.save({"model": model.state_dict(), "config": config.to_dict()}, folder / "model.pth")
    config.save_json(str(folder / "config.json"))
    return folder


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("coqui")
    single = build_tiny_vits(root / "tiny-vits")
    multi = build_tiny_vits(root / "tiny-vits-multi", speakers=("ada", "grace", "linus"))
    return f"{single}:{multi}"


@pytest.fixture(autouse=True)
def model_path(models: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MODELS_ENV, models)
    _load.cache_clear()


def _speak(voice_name: str, seed: int, spoken: str = SPOKEN):
    engine = CoquiEngine()
    voice = next(v for v in engine.voices() if v.name == voice_name)
    rng = random.Random(seed)
    speaker = engine.draw_speaker(voice, rng)
    return speaker, engine.synthesize(spoken, speaker, rng)


def test_local_models_are_voices():
    assert [v.key for v in CoquiEngine().voices()] == ["coqui:tiny-vits", "coqui:tiny-vits-multi"]


def test_coqui_times_every_word_from_its_durations():
    speaker, speech = _speak("tiny-vits", seed=3)
    assert speaker.voice == "tiny-vits"
    assert [w.word for w in speech.words] == SPOKEN.split()
    check_timings(speech.words, speech.duration_s)
    assert speech.audio.dtype == np.float32
    # VITS gives every token at least one frame: each word lasts at least its letters' frames
    hop_s = 256 / 22_050
    for word in speech.words:
        assert word.end - word.start >= len(word.word) * hop_s - 1e-6


def test_coqui_is_deterministic_under_a_seed_and_varies_across_seeds():
    _, first = _speak("tiny-vits", seed=5)
    _, again = _speak("tiny-vits", seed=5)
    _, other = _speak("tiny-vits", seed=6)
    assert np.array_equal(first.audio, again.audio) and first.words == again.words
    assert len(first.audio) != len(other.audio) or not np.array_equal(first.audio, other.audio)


def test_multi_speaker_models_draw_a_speaker_per_item():
    speakers = {_speak("tiny-vits-multi", seed)[0].voice for seed in range(12)}
    assert speakers == {"tiny-vits-multi#ada", "tiny-vits-multi#grace", "tiny-vits-multi#linus"}


def test_a_folder_without_a_model_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(MODELS_ENV, str(tmp_path))
    with pytest.raises(InputError, match=f"{MODELS_ENV} names {tmp_path}, which holds no config"):
        CoquiEngine().voices()


def test_generate_writes_a_dataset_from_a_coqui_model(models: str, tmp_path: Path):
    import os
    import subprocess
    import sys

    from devspeech.dataset import read_rows
    from devspeech.jsonl import write_jsonl
    from devspeech.records import Utterance, utterance_id

    utterances = []
    for n in range(12):
        letter = "abcdefghijkl"[n]
        text = f"item_{letter} = load(path)"
        spoken = f"item {letter} equals load open paren path close paren"
        uid = utterance_id("code", text)
        utterances.append(
            Utterance(uid, text, spoken, "code", "python", (), "test", f"demo.py:{n}", "MIT")
        )
    write_jsonl(tmp_path / "u.jsonl", utterances)
    # a fresh process, as a user runs it: workers read the model list from the environment
    command = [sys.executable, "-m", "devspeech", "generate", str(tmp_path / "u.jsonl")]
    command += ["-o", str(tmp_path / "ds"), "--engines", "coqui", "--augment", "light"]
    command += ["--rooms", "2", "--heldout-voices", "coqui:tiny-vits-multi"]
    env = {**os.environ, MODELS_ENV: models}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert re.search(r"^ *failures +0$", done.stdout, re.MULTILINE), done.stdout
    voices = {
        split: {row["speaker"]["voice"] for row in read_rows(tmp_path / "ds", split, ["speaker"])}
        for split in ("train", "test_heldout")
    }
    assert voices["train"] == {"tiny-vits"}
    assert voices["test_heldout"] <= {f"tiny-vits-multi#{s}" for s in ("ada", "grace", "linus")}
