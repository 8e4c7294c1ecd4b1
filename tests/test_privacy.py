"""Secrets and personal data are recognised so that no published line carries them."""

import pytest

from devspeech.corpus.privacy import find_personal_data, find_secret

SECRETS = [
    ('AWS_KEY = "AKIAIOSFODNN7EXAMPLE"', "aws access key"),
    ('token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"', "github token"),
    ("-----BEGIN RSA PRIVATE KEY-----", "private key"),
    ('url = "postgres://admin:hunter22@db.internal/app"', "password in url"),
    ('password = "s3cretpass"', "assigned secret"),
    ('digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"', "high-entropy token"),
    ("export HF_TOKEN=hf_abcdefghijklmnopqrstuvwxyzABCDEF12", "huggingface token"),
]


@pytest.mark.parametrize(("text", "kind"), SECRETS)
def test_secret_is_found(text: str, kind: str) -> None:
    assert find_secret(text) == kind


@pytest.mark.parametrize(
    "text", ["x = compute(a, b)", "url = 'https://example.com:8080/path'", "sha = digest[:8]"]
)
def test_ordinary_code_is_not_a_secret(text: str) -> None:
    assert find_secret(text) is None


def test_email_address_is_personal_data() -> None:
    assert find_personal_data("Contact jane.doe@example.com for help.") == "e-mail address"
    assert find_personal_data("Use the @property decorator.") is None
