"""`devspeech run RECIPE.toml`: every stage from one file, checked before it runs,
reproducible byte for byte, resumable, and refusing a folder of another recipe."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from devspeech.cli import cli
from devspeech.dataset import CARD_FILE, is_complete, shard_files
from devspeech.errors import InputError
from devspeech.runner import RunnerOptions
from devspeech.workflows.recipe import load_recipe, run_recipe

RECIPE = """\
seed = 5

[mine]
directories = ["project"]
limit = 40

[generate]
engines = ["espeak"]
rooms = 2
rows_per_shard = 10

[generate.splits]
validation = 0.1
test = 0.1
test_heldout = 0.1

[finetune]
model = "random:80"
rank = 4
alpha = 8
batch_size = 2
max_steps = 2
warmup_steps = 1
eval_every = 2
eval_rows = 2

[bench]
models = ["random:80"]
split = "test"
resamples = 50
"""


@pytest.fixture
def recipe(tmp_path: Path) -> Path:
    project = tmp_path / "recipes" / "project"
    project.mkdir(parents=True)
    lines = [f"def parse_{n}(path: str) -> dict:\n    return json.loads(path)\n" for n in range(8)]
    (project / "tools.py").write_text("import json\n\n\n" + "\n\n".join(lines))
    (project / "README.md").write_text(
        "# tools\n\nRun `pytest -x` before you push, and call `parse_3` with a path.\n\n"
        "```bash\npip install -e .\ngit push origin main\n```\n"
    )
    path = tmp_path / "recipes" / "small.toml"
    path.write_text(RECIPE)
    return path


def _outputs(root: Path) -> dict[str, bytes]:
    files = {p.name: p.read_bytes() for p in shard_files(root / "dataset")}
    files["utterances.jsonl"] = (root / "utterances.jsonl").read_bytes()
    files[CARD_FILE] = (root / "dataset" / CARD_FILE).read_bytes()
    return files


@pytest.mark.usefixtures("use_model_cache")
def test_a_recipe_runs_every_stage_reproducibly_and_resumes(recipe: Path, tmp_path: Path):
    parsed = load_recipe(recipe)
    assert parsed.stages == ["mine", "generate", "finetune", "bench"]
    one = run_recipe(parsed, tmp_path / "one", echo=lambda _: None)
    assert one.ran == parsed.stages and one.tuned == tmp_path / "one" / "finetune" / "adapter"
    assert is_complete(tmp_path / "one" / "dataset")
    assert (tmp_path / "one" / "recipe.toml").read_text() == recipe.read_text()
    results = (tmp_path / "one" / "bench" / "results.json").read_text()
    assert '"model": "random:80"' in results and str(one.tuned) in results
    run_recipe(parsed, tmp_path / "two", RunnerOptions(workers=2), echo=lambda _: None)
    assert _outputs(tmp_path / "one") == _outputs(tmp_path / "two")

    said: list[str] = []
    run_recipe(parsed, tmp_path / "one", echo=said.append)  # a rerun keeps what is done
    assert f"{tmp_path / 'one' / 'utterances.jsonl'} is there; kept" in said
    assert f"{tmp_path / 'one' / 'finetune'} is finished; kept" in said
    assert any("(0 shard(s) written, " in line for line in said)

    recipe.write_text(recipe.read_text().replace("limit = 40", "limit = 30"))
    with pytest.raises(InputError, match="holds the outputs of another recipe"):
        run_recipe(load_recipe(recipe), tmp_path / "one", echo=lambda _: None)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("rooms = 2", 'rooms = "two"'), r"\[generate\] rooms: expected an integer, got 'two'"),
        (("rooms = 2", "roomz = 2"), r"\[generate\] has no 'roomz'; it takes engines, voices"),
        (("[bench]", "[benchmark]"), r"unknown table\(s\) benchmark; a recipe has mine,"),
        (("max_steps = 2", "max_steps = 0"), "--max-steps must be at least 1"),
        (('engines = ["espeak"]', 'engines = "espeak"'), r"engines: expected a list"),
        (("seed = 5", "seed = 5\nutterances = 'u.jsonl'"), "either \\[mine\\] or utterances"),
        (("[mine]", "[mine\n"), "is not valid TOML"),
    ],
)
def test_a_bad_recipe_is_refused_before_anything_runs(
    recipe: Path, tmp_path: Path, change: tuple[str, str], message: str
):
    recipe.write_text(recipe.read_text().replace(*change))
    result = CliRunner().invoke(cli, ["run", str(recipe), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1 and not (tmp_path / "out").exists()
    assert len(result.output.strip().splitlines()) == 1
    assert result.output.startswith("Error: ") and re.search(message, result.output)


def test_the_reference_recipe_parses_into_its_stages():
    reference = Path(__file__).parent.parent / "recipes" / "reference.toml"
    recipe = load_recipe(reference)
    assert recipe.stages == ["mine", "generate", "bench"] and recipe.seed == 0
    assert recipe.tables["generate"]["engines"] == ["espeak", "kokoro", "piper"]
