"""Bad input, tried as a new user would, at every stage: each ends in one clear line that
names what is wrong, a non-zero exit, no traceback, and nothing written that looks done."""

from __future__ import annotations

import json
import re
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
    (root / "binary-run").mkdir()
    (root / "binary-run" / "run.json").write_bytes(bytes(range(256)))
    (root / "recipe.toml").write_text("utterances = 'u.jsonl'\n[generate]\nengines = 'espeak'\n")
    return root


W, OUT = "{world}", "{out}"

CASES: list[tuple[str, list[str], str]] = [
    # mine
    ("mine a path that is not there", ["corpus", "mine", f"{W}/nope", "-o", f"{OUT}/u.jsonl"],
     r"{W}/nope: no such file or directory$"),
    ("mine a package not installed", ["corpus", "mine", "--package", "no-such-pkg-x", "-o",
     f"{OUT}/u.jsonl"], r"package '\S+' is not installed \(pip install \S+\)$"),
    ("mine with a mix that is not one", ["corpus", "mine", f"{W}/ds", "--mix", "code=lots",
     "-o", f"{OUT}/u.jsonl"], r"--mix '\S+': '\w+' is not a number$"),
    ("mine a folder with nothing to mine", ["corpus", "mine", f"{W}/recordings", "-o",
     f"{OUT}/u.jsonl"], r"directory {W}/recordings: no utterances \(0 file\(s\) read; file\(s\) "
     r"skipped: 2 unsupported file type\)$"),
    ("stats of a binary file", ["corpus", "stats", f"{W}/garbage.txt"],
     r"{W}/garbage\.txt:1: not UTF-8 text \(is it a JSON Lines file of records\?\)$"),
    ("stats of a truncated file", ["corpus", "stats", f"{W}/truncated.jsonl"],
     r"{W}/truncated\.jsonl:2: not valid JSON \(column \d+: .+\)$"),
    # generate
    ("generate from a binary file", ["generate", f"{W}/garbage.txt", "-o", f"{OUT}/ds"],
     r"{W}/garbage\.txt:1: not UTF-8 text \(is it a JSON Lines file of records\?\)$"),
    ("generate from fields of the wrong type", ["generate", f"{W}/wrong-types.jsonl", "-o",
     f"{OUT}/ds", "--engines", "espeak"],
     r"{W}/wrong-types\.jsonl:1: field 'keywords' must be a list$"),
    ("generate from an empty file", ["generate", f"{W}/empty.jsonl", "-o", f"{OUT}/ds"],
     r"{W}/empty\.jsonl holds no utterances$"),
    ("generate with a voice nobody has", ["generate", f"{W}/u.jsonl", "-o", f"{OUT}/ds",
     "--engines", "espeak", "--voices", "en-us+nobody"],
     r"no voice matches '\S+'; available: espeak:\S+, .+ \(devspeech generate --list-voices\)$"),
    ("generate with an engine that does not exist", ["generate", f"{W}/u.jsonl", "-o",
     f"{OUT}/ds", "--engines", "festival"],
     r"unknown engine\(s\) \w+; available: espeak, piper, kokoro, coqui$"),
    ("generate with a fraction above one", ["generate", f"{W}/u.jsonl", "-o", f"{OUT}/ds",
     "--engines", "espeak", "--clean-fraction", "2"], r"--clean-fraction must be between 0 and 1$"),
    ("generate with an engine weight for an engine not in use", ["generate", f"{W}/u.jsonl",
     "-o", f"{OUT}/ds", "--engines", "espeak", "--engine-weights", "kokoro=2"],
     r"--engine-weights '\S+': expected ENGINE=WEIGHT with ENGINE one of espeak and WEIGHT a "
     r"positive number$"),
    ("generate with a weight of zero", ["generate", f"{W}/u.jsonl", "-o", f"{OUT}/ds",
     "--engines", "espeak", "--engine-weights", "espeak=0"],
     r"--engine-weights '\S+': expected ENGINE=WEIGHT with .* WEIGHT a positive number$"),
    ("generate with a corrupt noise file", ["generate", f"{W}/u.jsonl", "-o", f"{OUT}/ds",
     "--engines", "espeak", "--noise-dir", f"{W}/noise"],
     r"noise file {W}/noise/fan\.wav cannot be read: .+"),
    ("generate into a folder nobody may create (root included)", ["generate", f"{W}/u.jsonl",
     "-o", "/sys/devspeech-out", "--engines", "espeak"],  # EPERM for root, EACCES for others
     r"cannot access /sys/devspeech-out: [\w ]+; what was finished is kept, rerun to go on "
     r"once it is permitted$"),
    ("generate into a dataset of another recipe", ["generate", f"{W}/u.jsonl", "-o",
     f"{W}/ds", "--engines", "espeak", "--rooms", "3"],
     r"{W}/ds holds a dataset of another recipe \(differs in [\w, ]+\); pass --overwrite to "
     r"replace it$"),
    # bench
    ("bench a model spec nobody knows", ["bench", "--model", "bundled:huge", "--data",
     f"{W}/ds", "-o", f"{OUT}/b"], r"unknown model spec '\S+' \(no bundled model '\w+'\); a "
     r"spec is bundled:NAME \(tiny\.en, base\), random:80 or random:128, a Hub id .*; cached: "),
    ("bench a dataset folder that is not there", ["bench", "--model", "random:80", "--data",
     f"{W}/nope", "-o", f"{OUT}/b"], r"{W}/nope: no such folder; give a dataset folder "
     r"`devspeech generate` wrote, an owner/name Hub dataset id, or a folder of recordings$"),
    ("bench a split the dataset lacks", ["bench", "--model", "random:80", "--data", f"{W}/ds",
     "--split", "dev", "-o", f"{OUT}/b"],
     r"{W}/ds has no \w+ shards under data/ \(it has train, validation, test\)$"),
    ("bench an unfinished dataset", ["bench", "--model", "random:80", "--data",
     f"{W}/unfinished", "-o", f"{OUT}/b"], r"{W}/unfinished is an unfinished dataset \(no "
     r"card yet\); finish it with the same devspeech generate command, or pass "
     r"--allow-partial to read what is there$"),
    ("bench corrupt recordings strictly", ["bench", "--model", "random:80", "--audio-dir",
     f"{W}/recordings", "--strict", "-o", f"{OUT}/b"],
     r"{W}/recordings: row a: audio does not decode \(.+\)$"),
    ("bench with beam 0", ["bench", "--model", "random:80", "--data", f"{W}/ds", "--decoding",
     "beam:0", "-o", f"{OUT}/b"],
     r"--decoding beam:N needs N of at least 2; greedy and fallback use 1$"),
    ("bench score a binary file", ["bench", "score", f"{W}/garbage.txt"],
     r"{W}/garbage\.txt:1: not UTF-8 text \(a binary file\?\), so not a predictions file; "
     r"give the predictions\.jsonl a bench run wrote$"),
    ("leaderboard of a binary file", ["leaderboard", f"{W}/garbage.txt", "-o", f"{OUT}/lb"],
     r"{W}/garbage\.txt: not UTF-8 text \(a binary file\?\), so not a results file; give the "
     r"results\.json a bench run wrote$"),
    # finetune and export
    ("finetune on a dataset without train", ["finetune", "--model", "random:80", "--data",
     f"{W}/no-train", "-o", f"{OUT}/run"],
     r"{W}/no-train has no train shards under data/ \(it has validation, test\)$"),
    ("finetune qlora without CUDA", ["finetune", "--model", "random:80", "--data", f"{W}/ds",
     "--method", "qlora", "-o", f"{OUT}/run"],
     r"--method qlora needs a CUDA GPU \(--device cuda\); use lora on a CPU$"),
    ("finetune with no room for the data", ["finetune", "--model", "random:80", "--data",
     f"{W}/ds", "--general-fraction", "1", "-o", f"{OUT}/run"],
     r"--general-fraction leaves no room for the training data in a batch$"),
    ("finetune with a zero learning rate", ["finetune", "--model", "random:80", "--data",
     f"{W}/ds", "--lr", "0", "-o", f"{OUT}/run"], r"--learning-rate must be positive$"),
    ("finetune an unfinished dataset", ["finetune", "--model", "random:80", "--data",
     f"{W}/unfinished", "-o", f"{OUT}/run"],
     r"{W}/unfinished is an unfinished dataset \(no card yet\); finish it with .+"),
    ("export a run that has not finished", ["export", f"{W}/unfinished-run", "-o", f"{OUT}/m"],
     r"{W}/unfinished-run is not finished; resume it with devspeech finetune --resume$"),
    ("export a folder that is no run", ["export", f"{W}/ds", "-o", f"{OUT}/m"],
     r"{W}/ds is not a fine-tune run \(no run\.json\); give a folder `devspeech finetune -o` "
     r"wrote$"),
    ("export a run whose record is binary", ["export", f"{W}/binary-run", "-o", f"{OUT}/m"],
     r"{W}/binary-run/run\.json: not UTF-8 text \(a binary file\?\), so not a fine-tune run "
     r"record; give a folder `devspeech finetune -o` wrote$"),
    # publish, merge, run
    ("publish an unfinished dataset", ["publish", f"{W}/unfinished", "--repo-id", "a/b",
     "--dry-run"], r"{W}/unfinished is not finished \(no README\.md\); rerun the same "
     r"devspeech generate command$"),
    ("publish a folder that is no dataset", ["publish", f"{W}/recordings", "--repo-id", "a/b",
     "--dry-run"], r"{W}/recordings holds no recipe\.json: it is not a devspeech dataset; "
     r"publish a folder `devspeech generate` wrote$"),
    ("merge a dataset with a bench folder", ["merge", f"{W}/ds", f"{W}/recordings", "-o",
     f"{OUT}/m"], r"every part must be a dataset folder \(generate --num-shards\) or every "
     r"part a bench part \(bench --num-shards\); not: {W}/recordings$"),
    ("run a recipe with a string for a list", ["run", f"{W}/recipe.toml", "-o", f"{OUT}/r"],
     r"\[generate\] engines: expected a list, got '\w+'$"),
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
    # the shape: what was wrong, where, and (where there is one) what to do instead
    assert re.match("Error: " + message.replace("{W}", re.escape(str(world))), output), output
    # nothing written that looks complete, and nothing the user had was touched
    assert not any(p.name in ("README.md", "results.json", "adapter") for p in tmp_path.rglob("*"))
    assert sorted(p.relative_to(world) for p in world.rglob("*")) == before
    reliability["bad inputs"] += 1
