"""`devspeech publish`: the real huggingface_hub client against a stand-in Hub on 127.0.0.1."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hub_stub import StubHub

from devspeech.cli import cli
from devspeech.errors import InputError
from devspeech.generator.api import GenerateOptions, generate
from devspeech.generator.publish import PublishError, PublishOptions, check_dataset, publish
from devspeech.jsonl import write_jsonl
from devspeech.records import Utterance, utterance_id

TOKEN = "hf_stub_write"
REPO = "alice/dev-speech"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("publish")
    lines = [f"value_{n} = compute({n})" for n in range(24)]
    utterances = []
    for n, text in enumerate(lines):
        spoken = text.replace("_", " ")
        uid = utterance_id("code", text)
        utterances.append(
            Utterance(uid, text, spoken, "code", "python", (), "test", f"demo.py:{n}", "MIT")
        )
    write_jsonl(root / "utterances.jsonl", utterances)
    options = GenerateOptions(engines=("espeak",), augment="none", rows_per_shard=6)
    generate(root / "utterances.jsonl", root / "ds", options)
    return root / "ds"


@pytest.fixture(autouse=True)
def hub_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from huggingface_hub import constants

    # the stand-in speaks git-LFS, not Xet; and no token of the person running the tests leaks in
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no-token"))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_check_lists_card_recipe_and_every_shard(dataset: Path):
    files = check_dataset(dataset)
    names = [f.path_in_repo for f in files]
    shards = sorted(p.name for p in (dataset / "data").glob("*.parquet"))
    order = ("train", "validation", "test", "test_heldout")
    shards.sort(key=lambda name: order.index(name.rsplit("-", 3)[0]))
    assert names == ["README.md", "recipe.json", *(f"data/{s}" for s in shards)]
    assert [s.rsplit("-", 3)[0] for s in shards] == ["train", "train", "test", "test_heldout"]
    assert all(f.size == f.path.stat().st_size for f in files)


def test_dry_run_validates_and_lists_without_network_or_token(dataset: Path):
    result = CliRunner().invoke(cli, ["publish", str(dataset), "--repo-id", REPO, "--dry-run"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].endswith("README.md") and lines[1].endswith("recipe.json")
    assert lines[-1].startswith(f"{dataset} is complete: {len(check_dataset(dataset))} files")


def test_publish_creates_a_private_repo_in_one_commit_and_resumes(dataset: Path):
    with StubHub(write_tokens={TOKEN}) as hub:
        options = PublishOptions(REPO, private=True, token=TOKEN, endpoint=hub.url)
        result = publish(dataset, options)
        repo = hub.state.repos[REPO]
        assert repo.private is True
        assert len(repo.commits) == 1
        files = check_dataset(dataset)
        assert result.uploaded == [f.path_in_repo for f in files]
        for f in files:
            assert repo.files[f.path_in_repo] == f.path.read_bytes()
        shards = [f for f in files if f.path_in_repo.startswith("data/")]
        assert sorted(repo.lfs.values()) == sorted(_sha256(f.path) for f in shards)
        assert len(hub.state.puts) == len(shards)

        again = publish(dataset, options)
        assert again.commit_url is None and not again.uploaded
        assert again.unchanged == [f.path_in_repo for f in files]
        assert len(repo.commits) == 1 and len(hub.state.puts) == len(shards)

        # a shard the folder no longer has is deleted in the next commit
        repo.files["data/train-00009-of-00010.parquet"] = b"stale"
        third = publish(dataset, options)
        assert third.deleted == ["data/train-00009-of-00010.parquet"]
        assert "data/train-00009-of-00010.parquet" not in repo.files
        assert len(repo.commits) == 2


def test_an_interrupted_push_resumes_without_sending_stored_files_again(dataset: Path):
    shards = [f for f in check_dataset(dataset) if f.path_in_repo.startswith("data/")]
    with StubHub(write_tokens={TOKEN}) as hub:
        options = PublishOptions(REPO, token=TOKEN, endpoint=hub.url)
        hub.state.fail_puts = {_sha256(shards[-1].path)}
        with pytest.raises(PublishError, match=r"HTTP 400.*rerun to resume"):
            publish(dataset, options)
        assert hub.state.repos[REPO].commits == []
        assert len(hub.state.puts) == len(shards) - 1

        hub.state.fail_commits = 1
        with pytest.raises(PublishError, match="HTTP 500"):
            publish(dataset, options)
        assert len(hub.state.puts) == len(shards)  # only the one the first try lost

        publish(dataset, options)
        assert len(hub.state.puts) == len(shards)  # nothing sent twice
        assert len(hub.state.repos[REPO].commits) == 1


def test_missing_and_refused_tokens_are_clear_errors(
    dataset: Path, monkeypatch: pytest.MonkeyPatch
):
    with StubHub(write_tokens={TOKEN}, read_tokens={"hf_read_only"}) as hub:
        with pytest.raises(InputError, match="no Hugging Face token: set HF_TOKEN"):
            publish(dataset, PublishOptions(REPO, endpoint=hub.url))
        with pytest.raises(PublishError, match=r"may not write to this namespace.*HTTP 403"):
            publish(dataset, PublishOptions(REPO, token="hf_read_only", endpoint=hub.url))
        with pytest.raises(PublishError, match=r"token was not accepted.*HTTP 401"):
            publish(dataset, PublishOptions(REPO, token="hf_wrong", endpoint=hub.url))
        assert hub.state.repos == {}

        monkeypatch.setenv("HF_TOKEN", TOKEN)  # the usual place, through the CLI
        args = ["publish", str(dataset), "--repo-id", REPO, "--endpoint", hub.url]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
        assert (
            f"pushed {len(check_dataset(dataset))} files, deleted 0, 0 unchanged" in result.output
        )
        assert hub.state.repos[REPO].private is False


def test_incomplete_or_edited_folders_are_refused(dataset: Path, tmp_path: Path):
    copy = tmp_path / "ds"
    shutil.copytree(dataset, copy)
    shard = sorted((copy / "data").glob("train-*.parquet"))[0]
    shard.rename(shard.with_name(f".{shard.name}.partial"))
    with pytest.raises(InputError, match=r"is not finished \(partial shards"):
        check_dataset(copy)
    shard.with_name(f".{shard.name}.partial").unlink()
    with pytest.raises(InputError, match=r"train: the shards hold \d+ rows but the card says"):
        check_dataset(copy)
    (copy / "README.md").unlink()
    with pytest.raises(InputError, match=r"is not finished \(no README\.md\)"):
        check_dataset(copy)
    with pytest.raises(InputError, match=r"holds no recipe.json"):
        check_dataset(copy / "data")
    result = CliRunner().invoke(cli, ["publish", str(dataset), "--repo-id", "no-owner"])
    assert result.exit_code == 2 and "expected OWNER/NAME" in result.output


def test_no_network_is_one_clear_error(dataset: Path):
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    options = PublishOptions(
        repo_id="me/devspeech", token="hf_test", endpoint=f"http://127.0.0.1:{port}"
    )
    with pytest.raises(
        PublishError,
        match=rf"^cannot reach http://127.0.0.1:{port} \(ConnectError: .*\); check the network$",
    ):
        publish(dataset, options)
