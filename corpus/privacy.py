"""What a published dataset must never carry: secrets and personal data."""

from __future__ import annotations

import math
import re
from collections import Counter

SECRET_PATTERNS: dict[str, re.Pattern[str]] = {
    "private key": re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY"),
    "aws access key": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "github token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}|\bgithub_pat_\w{22,}"),
    "slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    "stripe key": re.compile(r"\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}"),
    "google api key": re.compile(r"\bAIza[0-9A-Za-z_\-]{35}"),
    "openai key": re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_\-]{20,}"),
    "huggingface token": re.compile(r"\bhf_[A-Za-z0-9]{30,}"),
    "json web token": re.compile(r"\beyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}"),
    "password in url": re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^/\s:@\"']+:[^/\s@\"']+@"),
    "assigned secret": re.compile(
        r"(?i)\b(?:password|passwd|pwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token"
        r"|private[_-]?key|client[_-]?secret|bearer)\b[\"']?\s*(?:[:=]|\bis\b)\s*[\"'][^\"'\s]{6,}[\"']"
    ),
}
_EMAIL_RE = re.compile(r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}\b")
_TOKENLIKE_RE = re.compile(r"[A-Za-z0-9+/=_\-]{32,}")


def shannon_entropy(text: str) -> float:
    """Bits per character of `text`."""
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def find_secret(text: str) -> str | None:
    """The kind of secret `text` seems to hold (API key, token, private key...), or None."""
    for name, pattern in SECRET_PATTERNS.items():
        if pattern.search(text):
            return name
    for candidate in _TOKENLIKE_RE.findall(text):
        mixed = any(c.isdigit() for c in candidate) and any(c.isalpha() for c in candidate)
        threshold = 3.0 if all(c in "0123456789abcdefABCDEF" for c in candidate) else 4.0
        if mixed and shannon_entropy(candidate) > threshold:
            return "high-entropy token"
    return None


def find_personal_data(text: str) -> str | None:
    """The kind of personal data in `text` (an e-mail address), or None."""
    if _EMAIL_RE.search(text):
        return "e-mail address"
    return None
