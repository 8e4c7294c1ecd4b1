"""Decoding is a recorded condition, and the same decoding of the same weights gives the same
text in transformers and faster-whisper."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from speech_data import spoken_dataset

from devspeech.benchmark.decoding import Decoding
from devspeech.errors import InputError

LINES = [
    ("prose", "", "Read the file and return its lines.", "read the file and return its lines", ("lines",)),
    ("code", "python", "items = sorted(values)", "items equals sorted open paren values close paren", ("sorted",)),
]  # fmt: skip
SENTENCES = [
    "the function returns a list of strings",
    "install the package with pip and run the tests",
    "open the file and read every line",
    "the server listens on port eight thousand",
    "call the method with two arguments",
    "the value is stored in a dictionary",
    "create a new branch before you commit",
    "the request failed with a timeout error",
    "print the result and exit the program",
    "this class wraps a database connection",
    "the build runs on every pull request",
    "add a test for the empty input",
]


def test_decodings_parse_and_print():
    assert str(Decoding.parse("greedy")) == "greedy"
    assert str(Decoding.parse("fallback")) == "fallback"
    assert Decoding.parse("beam:5") == Decoding("beam", 5) and str(Decoding("beam", 5)) == "beam:5"
    for bad in ("beam", "beam:x", "beam:1", "sample", "greedy:2"):
        with pytest.raises(InputError, match="--decoding"):
            Decoding.parse(bad)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return spoken_dataset(tmp_path_factory.mktemp("decoding"), LINES, count=8)


@pytest.fixture(scope="module")
def clean_clips() -> list:
    """Clean speech (no rooms, no noise): espeak-ng en-us and Piper, alternately."""
    from devspeech.generator.voices import get_engine

    clips = []
    for i, sentence in enumerate(SENTENCES):
        engine = get_engine("piper" if i % 2 else "espeak")
        voice = next(v for v in engine.voices() if v.name in ("en-us+m3", "en_US-joe-medium"))
        rng = random.Random(i)
        clips.append(engine.synthesize(sentence, engine.draw_speaker(voice, rng), rng).audio)
    return clips


def test_greedy_transformers_and_faster_whisper_agree_on_clean_speech(clean_clips, use_model_cache):
    from devspeech.benchmark.backends import DecodeOptions, load_backend
    from devspeech.benchmark.models import parse_spec

    spec = parse_spec("bundled:tiny.en")
    options = DecodeOptions(compute_type="float32")
    texts = {
        name: [
            t.text for t in load_backend(name, spec, options).transcribe(clean_clips, None, False)
        ]
        for name in ("transformers", "faster-whisper")
    }
    same = sum(a == b for a, b in zip(texts["transformers"], texts["faster-whisper"], strict=True))
    assert same >= 0.95 * len(clean_clips), texts
    # and with timestamps, the same segments' text
    timed = {
        name: load_backend(name, spec, options).transcribe(clean_clips[:4], None, True)
        for name in ("transformers", "faster-whisper")
    }
    for a, b in zip(timed["transformers"], timed["faster-whisper"], strict=True):
        assert [s.text for s in a.segments] == [s.text for s in b.segments]
        assert [s.start for s in a.segments] == [s.start for s in b.segments]


@pytest.mark.parametrize("backend", ["transformers", "faster-whisper"])
def test_every_decoding_is_recorded_in_predictions_and_results(
    backend: str, dataset: Path, tmp_path: Path
):
    from devspeech.benchmark.results import read_results
    from devspeech.benchmark.run import BenchOptions, run_bench

    out = tmp_path / "bench"
    for decoding in ("greedy", "fallback", "beam:2"):
        options = BenchOptions(
            models=("bundled:tiny.en",), data=str(dataset), split="train", limit=1, resamples=50,
            backend=backend, decoding=decoding,
        )  # fmt: skip
        run = run_bench(options, out)
        assert run.predicted == 1  # a new decoding is a new run, not a resumed one
    lines = [json.loads(line) for line in (out / "predictions.jsonl").open()]
    assert sorted({x["decoding"] for x in lines}) == ["beam:2", "fallback", "greedy"]
    results = read_results(out / "results.json")
    assert [(r.backend, r.decoding, r.rows) for r in results] == [
        (backend, "greedy", 1),
        (backend, "fallback", 1),
        (backend, "beam:2", 1),
    ]


def test_onnx_backend_refuses_what_it_cannot_decode(tmp_path: Path):
    from devspeech.benchmark.backends import DecodeOptions
    from devspeech.benchmark.models.spec import ModelSpec
    from devspeech.benchmark.onnx_backend import OnnxBackend

    spec = ModelSpec("x", "onnx", str(tmp_path))
    with pytest.raises(InputError, match="greedily only"):
        OnnxBackend(spec, DecodeOptions(decoding=Decoding("beam", 3)))


def _timestamp_emitting_model(backend) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Make the model say a word, <|0.00|><|0.00|> unasked (a segment that ends where the
    clip starts), another word, then end; count generate calls."""
    import torch

    config = backend.model.generation_config
    zero = config.no_timestamps_token_id + 1
    script = [400, zero, zero, 401, config.eos_token_id]
    state = {"forward": 0, "calls": 0}

    def steer(module, inputs, output):  # type: ignore[no-untyped-def]
        token = script[min(state["forward"], len(script) - 1)]
        state["forward"] += 1
        steered = torch.full_like(output, -1e4)
        steered[..., token] = 1e4
        return steered

    backend.model.proj_out.register_forward_hook(steer)
    inner = backend.model.generate_with_fallback

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        state["calls"] += 1
        state["forward"] = 0
        if state["calls"] > 3:
            raise RuntimeError("decoding the same clip again and again")
        return inner(*args, **kwargs)

    backend.model.generate_with_fallback = counted
    return state


def test_a_timestamp_at_zero_emitted_unasked_ends_the_decoding(use_model_cache):
    """transformers 5 decodes a short clip again from its last timestamp token; at 0.00 it
    never moves on. A tuned model did this and an evaluation ran for hours."""
    import numpy as np

    from devspeech.benchmark.backends import load_backend
    from devspeech.benchmark.models import parse_spec

    backend = load_backend("transformers", parse_spec("random:80"))
    state = _timestamp_emitting_model(backend)
    audio = np.random.default_rng(0).standard_normal(16000 * 3).astype(np.float32) * 0.1
    transcripts = backend.transcribe([audio, audio], None, False)
    assert state["calls"] == 1 and len(transcripts) == 2
    # the fine-tune stage's evaluation decodes through the same generate
    from devspeech.finetune.evaluate import transcribe

    state["calls"] = 0
    transcribe(backend.model, backend.processor, [audio], backend.multilingual)
    assert state["calls"] == 1
