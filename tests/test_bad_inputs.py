"""Bad input, tried as a new user would, at every stage: each ends in one clear line that
names what is wrong, a non-zero exit, no traceback, and nothing written that looks done."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from devspeech.cli import cli
from devspeech.generator.api import GenerateOptions, generate
from devspeech.jsonl import write_jsonl
from devspeech.records import Utterance, utterance_id


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Files a user might pass: a good corpus and dataset, and broken ones."""
    root = tmp_path_factory.mktemp("bad-inputs")
    lines = [f"Call parse_config{n} before the server starts." for n in range(20)]
    write_jsonl(root / "u.jsonl", [Utterance(utterance_id("prose", t), t, t, "prose", "",
                                             ("parse_config",), "test", "x", "MIT")
                                   for t in lines])  # fmt: skip
    generate(root / "u.jsonl", root / "ds", GenerateOptions(engines=("espeak",), augment="none"))
    (root / "garbage.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    good = (root / "u.jsonl").read_text().splitlines()
    (root / "truncated.jsonl").write_text(good[0] + "\n" + good[1][:40] + "\n")
    wrong = json.loads(good[0])
    wrong["keywords"] = "parse_config"  # a string where a list belongs
    (root / "wrong-types.jsonl").write_text(json.dumps(wrong) + "\n")
    (root / "empty.jsonl").write_text("")
    shutil.copytree(root / "ds", root / "unfinished")
    (root / "unfinished" / "README.md").unlink()
    shutil.copytree(root / "ds", root / "no-train")
    for shard in (root / "no-train" / "data").glob("train-*"):
        shard.unlink()
    (root / "recordings").mkdir()
    (root / "recordings" / "a.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot audio")
    (root / "recordings" / "a.txt").write_text("git push origin main")
    (root / "noise").mkdir()
    (root / "noise" / "fan.wav").write_bytes(b"RIFF nothing")
    (root / "unfinished-run").mkdir()
    (root / "unfinished-run" / "run.json").write_text('{"options": {}, "status": "running"}')
    (root / "recipe.toml").write_text("utterances = 'u.jsonl'\n[generate]\nengines = 'espeak'\n")
    return root


W, OUT = "{world}", "{out}"

CASES: list[tuple[str, list[str], str]] = [
    # mine
    ("mine a path that is not there", ["corpus", "mine", f"{W}/nope", "-o", f"{OUT}/u.jsonl"],
     "no such file or directory"),
    ("mine a package not installed", ["corpus", "mine", "--package", "no-such-pkg-x", "-o",
     f"{OUT}/u.jsonl"], "is not installed"),
    ("mine with a mix that is not one", ["corpus", "mine", f"{W}/ds", "--mix", "code=lots",
     "-o", f"{OUT}/u.jsonl"], "--mix"),
    ("mine a folder with nothing to mine", ["corpus", "mine", f"{W}/recordings", "-o",
     f"{OUT}/u.jsonl"], "no utterances (0 file(s) read; file(s) skipped: 2 unsupported"),
    ("stats of a binary file", ["corpus", "stats", f"{W}/garbage.txt"], ":1: not UTF-8 text"),
    ("stats of a truncated file", ["corpus", "stats", f"{W}/truncated.jsonl"], ":2"),
    # generate
    ("generate from a binary file", ["generate", f"{W}/garbage.txt", "-o", f"{OUT}/ds"],
     "garbage.txt:1: not UTF-8 text"),
    ("generate from fields of the wrong type", ["generate", f"{W}/wrong-types.jsonl", "-o",
     f"{OUT}/ds", "--engines", "espeak"], "keywords"),
    ("generate from an empty file", ["generate", f"{W}/empty.jsonl", "-o", f"{OUT}/ds"],
     "holds no utterances"),
    ("generate with a voice nobody has", ["generate", f"{W}/u.jsonl", "-o", f"{OUT}/ds",
     "--engines", "espeak", "--voices", "en-us+nobody"], "no voice matches"),
    ("generate with an engine that does not exist", ["generate", f"{W}/u.jsonl", "-o",
     f"{OUT}/ds", "--engines", "festival"], "festival"),
    ("generate with a fraction above one", ["generate", f"{W}/u.jsonl", "-o", f"{OUT}/ds",
     "--engines", "espeak", "--clean-fraction", "2"], "between 0 and 1"),
    ("generate with an engine weight for an engine not in use", ["generate", f"{W}/u.jsonl",
     "-o", f"{OUT}/ds", "--engines", "espeak", "--engine-weights", "kokoro=2"],
     "ENGINE one of espeak"),
    ("generate with a weight of zero", ["generate", f"{W}/u.jsonl", "-o", f"{OUT}/ds",
     "--engines", "espeak", "--engine-weights", "espeak=0"], "WEIGHT a positive number"),
    ("generate with a corrupt noise file", ["generate", f"{W}/u.jsonl", "-o", f"{OUT}/ds",
     "--engines", "espeak", "--noise-dir", f"{W}/noise"], "cannot be read"),
    ("generate into a folder nobody may create (root included)", ["generate", f"{W}/u.jsonl",
     "-o", "/sys/devspeech-out", "--engines", "espeak"],
     "cannot access /sys/devspeech-out: "),  # EPERM for root, EACCES for others
    ("generate into a dataset of another recipe", ["generate", f"{W}/u.jsonl", "-o",
     f"{W}/ds", "--engines", "espeak", "--rooms", "3"], "another recipe"),
    # bench
    ("bench a model spec nobody knows", ["bench", "--model", "bundled:huge", "--data",
     f"{W}/ds", "-o", f"{OUT}/b"], "bundled:huge"),
    ("bench a dataset folder that is not there", ["bench", "--model", "random:80", "--data",
     f"{W}/nope", "-o", f"{OUT}/b"], "nope"),
    ("bench a split the dataset lacks", ["bench", "--model", "random:80", "--data", f"{W}/ds",
     "--split", "dev", "-o", f"{OUT}/b"], "dev"),
    ("bench an unfinished dataset", ["bench", "--model", "random:80", "--data",
     f"{W}/unfinished", "-o", f"{OUT}/b"], "unfinished dataset"),
    ("bench corrupt recordings strictly", ["bench", "--model", "random:80", "--audio-dir",
     f"{W}/recordings", "--strict", "-o", f"{OUT}/b"], "row a: audio does not decode"),
    ("bench with beam 0", ["bench", "--model", "random:80", "--data", f"{W}/ds", "--decoding",
     "beam:0", "-o", f"{OUT}/b"], "beam"),
    # finetune and export
    ("finetune on a dataset without train", ["finetune", "--model", "random:80", "--data",
     f"{W}/no-train", "-o", f"{OUT}/run"], "train"),
    ("finetune qlora without CUDA", ["finetune", "--model", "random:80", "--data", f"{W}/ds",
     "--method", "qlora", "-o", f"{OUT}/run"], "CUDA"),
    ("finetune with no room for the data", ["finetune", "--model", "random:80", "--data",
     f"{W}/ds", "--general-fraction", "1", "-o", f"{OUT}/run"], "no room"),
    ("finetune with a zero learning rate", ["finetune", "--model", "random:80", "--data",
     f"{W}/ds", "--lr", "0", "-o", f"{OUT}/run"], "--learning-rate must be positive"),
    ("finetune an unfinished dataset", ["finetune", "--model", "random:80", "--data",
     f"{W}/unfinished", "-o", f"{OUT}/run"], "unfinished dataset"),
    ("export a run that has not finished", ["export", f"{W}/unfinished-run", "-o", f"{OUT}/m"],
     "finish"),
    ("export a folder that is no run", ["export", f"{W}/ds", "-o", f"{OUT}/m"], "run"),
    # publish, merge, run
    ("publish an unfinished dataset", ["publish", f"{W}/unfinished", "--repo-id", "a/b",
     "--dry-run"], "README.md"),
    ("publish a folder that is no dataset", ["publish", f"{W}/recordings", "--repo-id", "a/b",
     "--dry-run"], "recipe.json"),
    ("merge a dataset with a bench folder", ["merge", f"{W}/ds", f"{W}/recordings", "-o",
     f"{OUT}/m"], "every part must be"),
    ("run a recipe with a string for a list", ["run", f"{W}/recipe.toml", "-o", f"{OUT}/r"],
     "engines: expected a list"),
]  # fmt: skip


@pytest.mark.usefixtures("use_model_cache")
@pytest.mark.parametrize(("args", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_ends_in_one_clear_line(  # type: ignore[no-untyped-def]
    world: Path, tmp_path: Path, args: list[str], message: str, reliability
):
    before = sorted(p.relative_to(world) for p in world.rglob("*"))
    filled = [a.replace(W, str(world)).replace(OUT, str(tmp_path)) for a in args]
    result = CliRunner().invoke(cli, filled)
    output = result.output.strip()
    assert result.exit_code != 0, output
    assert "Traceback" not in output and len(output.splitlines()) == 1, output
    assert message in output, output
    # nothing written that looks complete, and nothing the user had was touched
    assert not any(p.name in ("README.md", "results.json", "adapter") for p in tmp_path.rglob("*"))
    assert sorted(p.relative_to(world) for p in world.rglob("*")) == before
    reliability["bad inputs"] += 1
