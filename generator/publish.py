"""Check a generated dataset folder and push it to the Hugging Face Hub in one commit.

Only what a dataset user needs travels: the card (README.md), the recipe and the
parquet shards under data/. The folder is checked first (card metadata against the
features, every split's shards present and complete, row counts as the card says),
so a half-generated or hand-edited folder never reaches the Hub.

A rerun resumes: files whose content the repository already holds are left out of the
commit, and large files the Hub already stored before an interrupted push are not sent
again (huggingface_hub's upload step asks the server first). Shards on the Hub that
the folder no longer has are deleted in the same commit, so the repository mirrors it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devspeech.dataset import (
    DATA_DIR,
    RECIPE_FILE,
    SPLITS,
    arrow_schema,
    features_yaml,
    shard_files,
)
from devspeech.errors import DevspeechError, InputError
from devspeech.hashing import sha256_file

CARD_FILE = "README.md"


class PublishError(DevspeechError):
    """The Hub refused or could not take the push."""


@dataclass(frozen=True)
class PublishOptions:
    repo_id: str
    private: bool = False
    token: str | None = None  # None: HF_TOKEN, then the token `hf auth login` stored
    revision: str = "main"
    endpoint: str | None = None  # None: HF_ENDPOINT, then huggingface.co
    commit_message: str | None = None


@dataclass(frozen=True)
class LocalFile:
    path_in_repo: str
    path: Path
    size: int


@dataclass
class PublishResult:
    repo_url: str
    uploaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    commit_url: str | None = None  # None when the Hub already held exactly this dataset


def _card_metadata(path: Path) -> dict[str, Any]:
    """The card's YAML front matter, parsed as the Hub parses it (huggingface_hub's card)."""
    import yaml
    from huggingface_hub import DatasetCard

    try:
        card = DatasetCard(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, ValueError) as err:
        raise InputError(f"{path}: the YAML front matter does not parse: {err}") from err
    metadata = card.data.to_dict()
    if not metadata:
        raise InputError(f"{path} has no YAML front matter; rerun devspeech generate")
    return metadata


def check_dataset(root: Path) -> list[LocalFile]:
    """Validate the folder as a complete devspeech dataset; the files to upload, in order.

    Raises InputError naming the first problem found.
    """
    import pyarrow.parquet as pq

    if not root.is_dir():
        raise InputError(f"{root} is not a folder")
    recipe = root / RECIPE_FILE
    if not recipe.is_file():
        raise InputError(
            f"{root} holds no {RECIPE_FILE}: it is not a devspeech dataset; publish a folder "
            "`devspeech generate` wrote"
        )
    try:
        json.loads(recipe.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"{recipe} cannot be read: {err}") from err
    partial = sorted(p.name for p in (root / DATA_DIR).glob(".*.partial"))
    card_path = root / CARD_FILE
    if partial or not card_path.is_file():
        what = f"partial shards ({', '.join(partial)})" if partial else f"no {CARD_FILE}"
        raise InputError(
            f"{root} is not finished ({what}); rerun the same devspeech generate command"
        )
    metadata = _card_metadata(card_path)
    info = metadata.get("dataset_info") or {}
    if info.get("features") != features_yaml():
        raise InputError(f"{card_path}: the card's features do not match the dataset schema")
    declared = {s["name"]: s["num_examples"] for s in info.get("splits") or []}
    configs = metadata.get("configs") or [{}]
    listed = {f["split"]: f["path"] for f in configs[0].get("data_files") or []}
    if set(declared) != set(listed) or not declared:
        raise InputError(f"{card_path}: configs and dataset_info name different splits")

    schema = arrow_schema()
    files = [
        LocalFile(CARD_FILE, card_path, card_path.stat().st_size),
        LocalFile(RECIPE_FILE, recipe, recipe.stat().st_size),
    ]
    for split in SPLITS:
        shards = shard_files(root, split)
        if split not in declared:
            if shards:
                raise InputError(f"{card_path} does not list the {split} shards in data/")
            continue
        if not shards:
            raise InputError(f"{root}/data has no {split} shards, though the card lists them")
        rows = 0
        for shard in shards:
            try:
                parquet = pq.ParquetFile(shard)
            except Exception as err:  # pyarrow raises several types for a broken file
                raise InputError(f"{shard} is not a readable parquet file: {err}") from err
            if not parquet.schema_arrow.equals(schema, check_metadata=False):
                raise InputError(f"{shard} does not have the devspeech dataset schema")
            rows += parquet.metadata.num_rows
            files.append(LocalFile(f"data/{shard.name}", shard, shard.stat().st_size))
        if rows != declared[split]:
            raise InputError(
                f"{split}: the shards hold {rows} rows but the card says {declared[split]}; "
                "rerun devspeech generate to rewrite the card"
            )
    return files


def _git_blob_sha1(path: Path) -> str:
    digest = hashlib.sha1(f"blob {path.stat().st_size}\0".encode())
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _same_content(local: LocalFile, remote: Any) -> bool:
    """Whether a RepoFile from the Hub holds exactly the local file's bytes."""
    if remote.size != local.size:
        return False
    if remote.lfs is not None:
        return remote.lfs.sha256 == sha256_file(local.path)
    return remote.blob_id == _git_blob_sha1(local.path)


def resolve_token(token: str | None) -> str:
    from huggingface_hub import get_token

    resolved = token or get_token()
    if not resolved:
        raise InputError(
            "no Hugging Face token: set HF_TOKEN, run `hf auth login`, or pass --token"
        )
    return resolved


def publish(
    root: Path, options: PublishOptions, log: Callable[[str], None] = lambda _: None
) -> PublishResult:
    """Create the dataset repo if needed and commit what changed, in one commit.

    `log` hears one line before the upload starts and one when nothing needs pushing.
    """
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi
    from huggingface_hub.errors import HfHubHTTPError

    files = check_dataset(root)
    api = HfApi(endpoint=options.endpoint, token=resolve_token(options.token))
    repo = options.repo_id
    try:
        url = api.create_repo(repo, repo_type="dataset", private=options.private, exist_ok=True)
        remote = {
            entry.path: entry
            for entry in api.list_repo_tree(
                repo, repo_type="dataset", revision=options.revision, recursive=True
            )
            if hasattr(entry, "blob_id")  # files only, not folders
        }
    except HfHubHTTPError as err:
        raise PublishError(_refusal(repo, err)) from err
    except _network_errors() as err:
        raise PublishError(_unreachable(api.endpoint, err)) from err
    result = PublishResult(repo_url=str(url))
    operations: list[Any] = []
    for local in files:
        entry = remote.get(local.path_in_repo)
        if entry is not None and _same_content(local, entry):
            result.unchanged.append(local.path_in_repo)
            continue
        result.uploaded.append(local.path_in_repo)
        operations.append(CommitOperationAdd(local.path_in_repo, str(local.path)))
    ours = {f.path_in_repo for f in files}
    for path in sorted(remote):
        if path.startswith("data/") and path not in ours:
            result.deleted.append(path)
            operations.append(CommitOperationDelete(path))
    if not operations:
        log(f"{repo} already holds this dataset ({len(result.unchanged)} files); nothing to push")
        return result
    size = sum(f.size for f in files if f.path_in_repo in set(result.uploaded))
    log(
        f"pushing {len(result.uploaded)} files ({size / 1e6:.1f} MB), deleting "
        f"{len(result.deleted)}, keeping {len(result.unchanged)} unchanged"
    )
    message = options.commit_message or f"Upload devspeech dataset ({len(files) - 2} shards)"
    try:
        commit = api.create_commit(
            repo,
            operations,
            commit_message=message,
            repo_type="dataset",
            revision=options.revision,
        )
    except (HfHubHTTPError, RuntimeError) as err:
        # an LFS upload that fails arrives as a RuntimeError caused by the HTTP error
        raise PublishError(_refusal(repo, err) + "; rerun to resume") from err
    except _network_errors() as err:
        raise PublishError(_unreachable(api.endpoint, err) + "; rerun to resume") from err
    result.commit_url = commit.commit_url
    return result


def _network_errors() -> tuple[type[BaseException], ...]:
    """What a lost connection raises: OSError, and the HTTP client's transport errors."""
    import importlib

    errors: list[type[BaseException]] = [OSError]
    # huggingface_hub has used requests, httpx and httpx2 as its client
    for module, name in (("httpx2", "TransportError"), ("httpx", "TransportError"),
                         ("requests", "RequestException")):  # fmt: skip
        try:
            errors.append(getattr(importlib.import_module(module), name))
        except (ImportError, AttributeError):
            continue
    return tuple(errors)


def _unreachable(endpoint: str, err: BaseException) -> str:
    detail = str(err).splitlines()[0] if str(err) else type(err).__name__
    return f"cannot reach {endpoint} ({type(err).__name__}: {detail}); check the network"


def _refusal(repo: str, err: BaseException) -> str:
    from huggingface_hub.errors import HfHubHTTPError

    cause: BaseException | None = err
    while cause is not None and not isinstance(cause, HfHubHTTPError):
        cause = cause.__cause__
    if cause is None:
        return f"publishing to {repo} failed: {err}"
    err = cause
    status = err.response.status_code if err.response is not None else None
    reason = {
        401: "the token was not accepted (expired or mistyped?)",
        403: "the token may not write to this namespace (it needs write access)",
        404: "the repository or branch was not found",
    }.get(status, "the Hub refused the push")
    detail = str(err).splitlines()[0]
    return f"publishing to {repo} failed: {reason} (HTTP {status}: {detail})"
