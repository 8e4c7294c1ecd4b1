"""`devspeech generate` end to end on a small corpus: layout, features, splits, card, resume."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import yaml

from devspeech.audio import decode_audio
from devspeech.dataset import features, read_records, read_rows, shard_files
from devspeech.errors import InputError
from devspeech.generator.api import GenerateOptions, RunOptions, generate
from devspeech.generator.plan import SplitFractions
from devspeech.generator.speech import check_timings
from devspeech.jsonl import write_jsonl
from devspeech.records import Utterance, WordTiming, utterance_id
from devspeech.runner import RunnerOptions

LINES = [
    (
        "code",
        "python",
        "df.groupby('user_id').mean()",
        "df dot group by open paren quote user id quote close paren dot mean open paren close paren",
    ),
    ("code", "python", "import numpy as np", "import numpy as n p"),
    ("code", "python", "for i in range(10):", "for i in range open paren ten close paren colon"),
    (
        "code",
        "python",
        "return self.cache[key]",
        "return self dot cache open bracket key close bracket",
    ),
    (
        "code",
        "python",
        "x = np.array(values)",
        "x equals n p dot array open paren values close paren",
    ),
    (
        "code",
        "python",
        "assert len(rows) == 3",
        "assert len open paren rows close paren double equals three",
    ),
    ("shell", "bash", "kubectl get pods -n prod", "kube control get pods dash n prod"),
    ("shell", "bash", "git commit --amend", "git commit dash dash amend"),
    ("shell", "bash", "pip install -e .", "pip install dash e dot"),
    ("shell", "bash", "ls -la /tmp", "l s dash l a slash tmp"),
    (
        "prose",
        "",
        "The parser returns a namespace object.",
        "the parser returns a namespace object",
    ),
    ("prose", "", "Use useState to keep the counter.", "use use state to keep the counter"),
    ("prose", "", "Run the linter before you push.", "run the linter before you push"),
    (
        "prose",
        "",
        "The cache is keyed by the request hash.",
        "the cache is keyed by the request hash",
    ),
    (
        "prose",
        "",
        "Pass the token through an environment variable.",
        "pass the token through an environment variable",
    ),
    (
        "prose",
        "",
        "This function raises a value error on bad input.",
        "this function raises a value error on bad input",
    ),
]


def _utterances(count: int) -> list[Utterance]:
    out = []
    for n in range(count):
        kind, language, text, spoken = LINES[n % len(LINES)]
        text = text if n < len(LINES) else f"{text} # {n}"
        spoken = spoken if n < len(LINES) else f"{spoken} number {n}"
        out.append(Utterance(utterance_id(kind, text), text, spoken, kind, language,
                             (text.split()[0],), "test", f"demo/file.py:{n + 1}", "MIT"))  # fmt: skip
    return out


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "utterances.jsonl"
    write_jsonl(path, _utterances(60))
    return path


FAST = GenerateOptions(engines=("espeak",), rooms=4, rows_per_shard=20, longform_fraction=0.3)


def test_dataset_has_hub_layout_features_and_aligned_timestamps(corpus: Path, tmp_path: Path):
    out = tmp_path / "ds"
    summary = generate(corpus, out, FAST)
    names = [p.name for p in shard_files(out)]
    assert names == [
        "test-00000-of-00001.parquet",
        "test_heldout-00000-of-00001.parquet",
        "train-00000-of-00002.parquet",
        "train-00001-of-00002.parquet",
        "validation-00000-of-00001.parquet",
    ]
    assert sum(summary.rows.values()) == sum(
        1 for split in summary.rows for _ in read_rows(out, split)
    )
    assert not summary.failures

    from datasets import Audio, Features, load_dataset

    loaded = load_dataset(str(out))
    assert loaded["train"].features == Features.from_dict(features())
    train = loaded["train"].cast_column("audio", Audio(decode=False))
    assert len(train) == summary.rows["train"]

    longform = 0
    for row in read_records(out, "train"):
        audio, rate = decode_audio(row.audio.bytes)
        assert rate == 16_000
        assert len(audio) / rate == pytest.approx(row.duration_s, abs=1e-3)
        assert [w.word for w in row.words] == row.spoken.split()
        check_timings(row.words, row.duration_s)
        check_timings(row.text_words, row.duration_s)
        position = 0  # each written piece lies in the text, in order
        for w in row.text_words:
            position = row.text.index(w.word, position) + len(w.word)
            assert w.word[0].isalnum() and w.word[-1].isalnum(), w.word
        if row.kind == "prose" and len(row.segments) == 1:
            # prose is said as written: every token but the "# n" suffix has its timing
            assert len(row.text_words) >= len(row.text.split()) - 2, row.text
        check_timings(
            tuple(WordTiming(s.text, s.start, s.end) for s in row.segments), row.duration_s
        )
        assert " ".join(s.text for s in row.segments) == row.text
        if row.augmentation.room:
            # the direct path arrives after the room's delay, so nothing is heard before it
            assert row.words[0].start > 0
        longform += row.long_form
        if row.long_form:
            assert row.duration_s <= 30.0
            assert row.id.startswith("long-")
    assert longform > 0


def test_splits_are_disjoint_by_text_and_heldout_voices_are_unseen(corpus: Path, tmp_path: Path):
    out = tmp_path / "ds"
    generate(corpus, out, GenerateOptions(engines=("espeak", "piper"), rooms=4, augment="none"))
    texts: dict[str, set[str]] = {}
    voices: dict[str, set[str]] = {}
    for split in ("train", "validation", "test", "test_heldout"):
        rows = list(read_rows(out, split, columns=["segments", "speaker"]))
        texts[split] = {s["text"] for r in rows for s in r["segments"]}
        voices[split] = {f"{r['speaker']['engine']}:{r['speaker']['voice']}" for r in rows}
    splits = list(texts)
    for i, a in enumerate(splits):
        for b in splits[i + 1 :]:
            assert not texts[a] & texts[b], (a, b)
    assert voices["test_heldout"]
    assert not voices["test_heldout"] & (voices["train"] | voices["validation"] | voices["test"])
    assert not any(v.startswith("piper:") for v in voices["train"])


def test_card_front_matter_parses_and_matches_the_features(corpus: Path, tmp_path: Path):
    out = tmp_path / "ds"
    generate(corpus, out, FAST)
    text = (out / "README.md").read_text(encoding="utf-8")
    front = yaml.safe_load(text.split("---\n")[1])
    assert front["task_categories"] == ["automatic-speech-recognition"]
    assert [f["name"] for f in front["dataset_info"]["features"]] == list(features())
    splits = {c["split"]: c["path"] for c in front["configs"][0]["data_files"]}
    assert splits == {s: f"data/{s}-*" for s in ("train", "validation", "test", "test_heldout")}
    counts = {s["name"]: s["num_examples"] for s in front["dataset_info"]["splits"]}
    assert counts == {s: sum(1 for _ in read_rows(out, s, columns=["id"])) for s in splits}
    assert '"corpus_sha256"' in text and "MIT: " in text
    # the acoustic conditions the default augmentation produced, from the rows themselves
    snr = [r["augmentation"]["snr_db"] for s in splits for r in read_rows(out, s, ["augmentation"])]
    heard = sorted(v for v in snr if v is not None)
    assert heard and heard[0] >= 10.0 and heard[-1] <= 35.0  # a desk, not a street
    line = next(x for x in text.splitlines() if x.startswith("- Noise on "))
    assert f"range {heard[0]:.2f}-{heard[-1]:.2f})" in line
    assert "Pearsons, Bennett and Fidell 1977" in text


PIPER = GenerateOptions(engines=("piper",), rooms=4, rows_per_shard=5, limit=12, seed=3)
BOTH = GenerateOptions(
    engines=("espeak", "piper"), heldout_engine=None, rooms=4, rows_per_shard=6, limit=40, seed=5
)


def _bytes(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in shard_files(root)}


def test_same_bytes_for_any_worker_count_and_rerun(corpus: Path, tmp_path: Path):
    """espeak (breathy variants draw noise) and Piper, on 1 and 2 workers and a rerun."""
    one, two, again = tmp_path / "one", tmp_path / "two", tmp_path / "again"
    generate(corpus, one, BOTH, RunOptions(RunnerOptions(workers=1)))
    generate(corpus, two, BOTH, RunOptions(RunnerOptions(workers=2)))
    generate(corpus, again, BOTH, RunOptions(RunnerOptions(workers=2)))
    assert _bytes(one) == _bytes(two) == _bytes(again)
    engines = {r["speaker"]["engine"] for s in ("train",)
               for r in read_rows(one, s, ["speaker"])}  # fmt: skip
    assert engines == {"espeak", "piper"} and len(_bytes(one)) == 7


def test_engine_weights_move_train_rows_and_leave_test_heldout_even(corpus: Path, tmp_path: Path):
    """Weights that name every engine alike are the uniform draw (the same bytes); a heavy
    weight puts every train-side row on its engine, while test_heldout's voices are drawn
    evenly whatever the weights."""
    options = replace(BOTH, augment="none", longform_fraction=0,
                      splits=SplitFractions(validation=0.1, test=0.1, test_heldout=0.3))  # fmt: skip
    seen = ("train", "validation", "test")

    def speak(name: str, **changes: object) -> Path:
        generate(corpus, tmp_path / name, replace(options, **changes))  # type: ignore[arg-type]
        return tmp_path / name

    def engines(root: Path, splits: tuple[str, ...] = seen) -> set[str]:
        return {r["speaker"]["engine"] for s in splits for r in read_rows(root, s)}

    plain, even = speak("plain"), speak("even", engine_weights=("espeak=3", "piper=3"))
    assert engines(plain) == engines(even) == {"espeak", "piper"}  # no engine held out here
    assert _bytes(plain) == _bytes(even)
    heavy = speak("heavy", engine_weights=("piper=1e9",))
    assert engines(heavy) == {"piper"}
    card = (heavy / "README.md").read_text(encoding="utf-8")
    assert "Train-side rows were drawn by engine weight (piper=1e9; engines not" in card
    assert "engine weight" not in (plain / "README.md").read_text(encoding="utf-8")
    # piper held out: train-side voices are all espeak; the weight does not reach test_heldout
    held = speak("held", heldout_engine="piper", engine_weights=("piper=1e9",))
    assert engines(held, ("test_heldout",)) == {"espeak", "piper"}
    assert engines(held) == {"espeak"}


def test_a_recipe_written_before_an_option_existed_is_kept_byte_for_byte(
    corpus: Path, tmp_path: Path
):
    """Resuming a dataset whose recipe.json lacks an option added since (at its default)
    leaves the file as it was: bench fingerprints a dataset by those bytes."""
    out, options = tmp_path / "ds", replace(FAST, limit=6, augment="none")
    generate(corpus, out, options)
    recipe = json.loads((out / "recipe.json").read_text(encoding="utf-8"))
    del recipe["engine_weights"]
    older = json.dumps(recipe, indent=1)  # another layout too: the bytes, not the meaning
    (out / "recipe.json").write_text(older, encoding="utf-8")
    generate(corpus, out, options)
    assert (out / "recipe.json").read_text(encoding="utf-8") == older
    with pytest.raises(InputError, match=r"differs in engine_weights\)"):
        generate(corpus, out, replace(options, engine_weights=("espeak=2",)))


def test_kokoro_rows_are_the_same_bytes_on_any_worker_count(corpus: Path, tmp_path: Path):
    options = GenerateOptions(
        engines=("espeak", "kokoro"),
        rooms=2,
        rows_per_shard=4,
        limit=8,
        longform_fraction=0,
        seed=2,
    )
    one, two = tmp_path / "one", tmp_path / "two"
    generate(corpus, one, options, RunOptions(RunnerOptions(workers=1)))
    summary = generate(corpus, two, options, RunOptions(RunnerOptions(workers=2)))
    assert _bytes(one) == _bytes(two) and not summary.failures
    speakers = [
        r["speaker"] for s in ("train", "test_heldout") for r in read_rows(one, s, ["speaker"])
    ]
    assert {s["engine"] for s in speakers} == {"espeak", "kokoro"}
    card = (one / "README.md").read_text(encoding="utf-8")
    kokoro = sorted({s["voice"] for s in speakers if s["engine"] == "kokoro"})
    assert f"- kokoro ({len(kokoro)}): {', '.join(kokoro)}" in card
    assert "None: every planned row was spoken." in card
    assert "- Code and shell rows whose spoken form leaves a bracket unbalanced: 0." in card
    assert "| python |" in card or "| markdown |" in card


def _generate_then_die(corpus: Path, out: Path) -> None:
    """A run killed (SIGKILL, nothing cleaned up) the moment its first shard is in place."""

    def die(_: str) -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    generate(corpus, out, PIPER, RunOptions(RunnerOptions(workers=1), after_shard=die))


def test_killed_run_resumes_to_the_same_dataset(corpus: Path, tmp_path: Path):
    reference, killed = tmp_path / "reference", tmp_path / "killed"
    generate(corpus, reference, PIPER)
    child = multiprocessing.get_context("fork").Process(
        target=_generate_then_die, args=(corpus, killed)
    )
    child.start()
    child.join()
    assert child.exitcode == -signal.SIGKILL
    assert len(shard_files(killed)) == 1
    command = [sys.executable, "-m", "devspeech", "--seed", "3", "generate", str(corpus), "-o",
               str(killed), "--engines", "piper", "--rooms", "4", "--rows-per-shard", "5",
               "--limit", "12", "--workers", "1"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    assert "1 already complete" in done.stdout
    assert _bytes(killed) == _bytes(reference)


def test_ctrl_c_is_one_line_and_the_rerun_goes_on(corpus: Path, tmp_path: Path):
    """SIGINT to the whole process group (what a terminal's Ctrl-C sends) once the first
    shard is in place: one line, exit 130, no worker traceback; the rerun finishes."""
    out = tmp_path / "ds"
    command = [sys.executable, "-m", "devspeech", "generate", str(corpus), "-o", str(out),
               "--engines", "espeak", "--rooms", "2", "--rows-per-shard", "2", "--workers", "2"]  # fmt: skip
    child = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    while not shard_files(out) and child.poll() is None:
        time.sleep(0.05)  # waiting for an event, not measuring time
    os.killpg(child.pid, signal.SIGINT)
    output = child.communicate()[0].decode()
    if child.returncode == 0:
        pytest.skip("the run finished before the interrupt arrived")
    assert child.returncode == 130, output
    assert "Traceback" not in output and "KeyboardInterrupt" not in output
    assert output.rstrip().endswith("rerun the same command to go on")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert (out / "README.md").is_file()


def test_bad_inputs_name_what_is_wrong(corpus: Path, tmp_path: Path):
    with pytest.raises(
        InputError, match="no voice matches 'en-us\\+nobody'; available: espeak:en-us\\+m1"
    ):
        generate(
            corpus, tmp_path / "a", GenerateOptions(engines=("espeak",), voices=("en-us+nobody",))
        )
    # the failed run claimed nothing: the corrected rerun into the same folder goes ahead
    assert not (tmp_path / "a").exists()
    generate(corpus, tmp_path / "a", GenerateOptions(engines=("espeak",), rooms=2, limit=2))
    noise = tmp_path / "noise"
    noise.mkdir()
    (noise / "fan.wav").write_bytes(b"RIFF not really a wav")
    with pytest.raises(InputError, match=f"noise file {noise / 'fan.wav'} cannot be read"):
        generate(corpus, tmp_path / "b", GenerateOptions(engines=("espeak",), noise_dir=noise))
    out = tmp_path / "c"
    small = GenerateOptions(engines=("espeak",), rooms=2, limit=4)
    generate(corpus, out, small)
    other = GenerateOptions(engines=("espeak",), rooms=2, limit=5)
    with pytest.raises(InputError, match="another recipe \\(differs in limit\\)"):
        generate(corpus, out, other)
    generate(corpus, out, other, RunOptions(overwrite=True))
    # a dataset made before an option existed resumes when the option keeps its default
    recipe = json.loads((out / "recipe.json").read_text())
    del recipe["splits"]
    (out / "recipe.json").write_text(json.dumps(recipe))
    generate(corpus, out, other)
    with pytest.raises(InputError, match="another recipe \\(differs in splits\\)"):
        generate(corpus, out, replace(other, splits=SplitFractions(test=0.2)))
    assert sum(1 for s in ("train", "validation", "test") for p in shard_files(out, s)) >= 1


def test_noise_files_from_a_folder_are_mixed_in(corpus: Path, tmp_path: Path):
    import soundfile as sf

    noise = tmp_path / "noise"
    noise.mkdir()
    sf.write(noise / "fan.flac", np.random.default_rng(0).standard_normal(8000) * 0.1, 8000)
    out = tmp_path / "ds"
    options = GenerateOptions(engines=("espeak",), rooms=2, augment="heavy", noise_dir=noise,
                              clean_fraction=0.0, limit=30)  # fmt: skip
    generate(corpus, out, options)
    labels = {r["augmentation"]["noise"] for r in read_rows(out, "train", columns=["augmentation"])}
    assert "file:fan.flac" in labels
