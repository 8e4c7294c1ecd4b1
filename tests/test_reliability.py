"""Nothing leaked: secrets and e-mail addresses planted in a source tree reach no utterance,
dataset row, card or log, and the Hub token is never printed or written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

SECRETS = {
    "aws": "AKIAIOSFODNN7EXAMPLE",
    "github": "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "slack": "xoxb-123456789012-abcdefghijkl",
    "stripe": "sk_live_abcdefghijklmnop1234",
    "hub": "hf_abcdefghijklmnopqrstuvwxyzABCDEF12",
    "url password": "hunter22pass",
    "assigned": "s3cretpassword",
    "email": "jane.doe@example.org",
}

MODULE = f'''"""Upload reports to the storage bucket and notify the owner."""

import boto3

AWS_ACCESS_KEY_ID = "{SECRETS["aws"]}"
GITHUB_TOKEN = "{SECRETS["github"]}"
DATABASE_URL = "postgres://admin:{SECRETS["url password"]}@db.internal/app"
password = "{SECRETS["assigned"]}"


def upload_report(client, bucket_name, report_path):
    """Upload the report file to the bucket and return its object key."""
    key = report_path.name
    client.upload_file(str(report_path), bucket_name, key)
    return key


def notify_owner(mailer):
    """Send the summary to {SECRETS["email"]} once the upload finished."""
    mailer.send(to="{SECRETS["email"]}", subject="report ready")
'''

README = f"""# report-uploader

Upload reports to the storage bucket with boto3, then notify the owner by e-mail.

Write to {SECRETS["email"]} when the upload fails, or open an issue.

```bash
pip install report-uploader
export SLACK_TOKEN={SECRETS["slack"]}
export STRIPE_KEY={SECRETS["stripe"]}
huggingface-cli login --token {SECRETS["hub"]}
python -m report_uploader --bucket reports
```
"""

WORKFLOW = f"""name: CI
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: pip install -e .
      - run: echo {SECRETS["github"]} | gh auth login --with-token
      - run: pytest -q
"""


def _tree(root: Path) -> Path:
    (root / "report_uploader").mkdir(parents=True)
    (root / "report_uploader" / "__init__.py").write_text(MODULE)
    (root / "README.md").write_text(README)
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ci.yml").write_text(WORKFLOW)
    (root / "Dockerfile").write_text(
        f"FROM python:3.12-slim\nRUN pip install .\nRUN curl -u admin:{SECRETS['url password']}"
        " https://example.org/setup.sh | sh\n"
    )
    return root


def _run(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "devspeech", "-v", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def _leaks(text: str) -> list[str]:
    return [name for name, secret in SECRETS.items() if secret in text]


def test_planted_secrets_reach_no_utterance_row_card_or_log(tmp_path: Path, reliability):  # type: ignore[no-untyped-def]
    tree = _tree(tmp_path / "report-uploader")
    utterances = tmp_path / "utterances.jsonl"
    logs = _run("corpus", "mine", str(tree), "-o", str(utterances), "--workers", "1")
    text = utterances.read_text(encoding="utf-8")
    assert text.count("\n") >= 6  # the clean lines are still mined
    assert "upload_report" in text and "pip install report-uploader" in text
    dataset = tmp_path / "dataset"
    logs += _run("generate", str(utterances), "-o", str(dataset), "--engines", "espeak",
                 "--rooms", "2", "--workers", "1")  # fmt: skip
    written = [p for p in dataset.rglob("*") if p.is_file()]
    assert any(p.suffix == ".parquet" for p in written)
    for path in written:
        if path.suffix == ".parquet":
            table = pq.read_table(path).drop_columns(["audio"])
            content = str(table.to_pylist())
        else:
            content = path.read_text(encoding="utf-8", errors="replace")
        assert not _leaks(content), (path, _leaks(content))
    assert not _leaks(text) and not _leaks(logs)
    reliability["secrets planted"] += len(SECRETS)


def test_the_hub_token_is_never_printed(tmp_path: Path):
    import socket

    from click.testing import CliRunner

    from devspeech.cli import cli

    tree = _tree(tmp_path / "src")
    utterances = tmp_path / "u.jsonl"
    _run("corpus", "mine", str(tree), "-o", str(utterances), "--workers", "1")
    dataset = tmp_path / "ds"
    _run("generate", str(utterances), "-o", str(dataset), "--engines", "espeak", "--rooms", "2",
         "--workers", "1")  # fmt: skip
    token = SECRETS["hub"]
    with socket.socket() as probe:  # a Hub that is not there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for extra in (["--dry-run"], ["--endpoint", f"http://127.0.0.1:{port}"]):
        result = CliRunner().invoke(
            cli, ["publish", str(dataset), "--repo-id", "me/x", "--token", token, *extra]
        )
        assert token not in result.output and token[3:] not in result.output
    assert not any(token in p.read_text(errors="replace") for p in dataset.rglob("*.md"))
