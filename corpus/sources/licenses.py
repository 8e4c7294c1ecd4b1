"""The license of what was mined: distribution metadata, a LICENSE file, or `unknown`."""

from __future__ import annotations

from importlib.metadata import Distribution
from pathlib import Path

UNKNOWN = "unknown"

# (SPDX id, phrases that must all appear), most specific first.
_SIGNATURES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("PSF-2.0", ("PYTHON SOFTWARE FOUNDATION LICENSE",)),
    ("Apache-2.0", ("Apache License", "Version 2.0")),
    ("LGPL-3.0", ("GNU LESSER GENERAL PUBLIC LICENSE", "Version 3")),
    ("LGPL-2.1", ("GNU LESSER GENERAL PUBLIC LICENSE", "Version 2.1")),
    ("AGPL-3.0", ("GNU AFFERO GENERAL PUBLIC LICENSE",)),
    ("GPL-3.0", ("GNU GENERAL PUBLIC LICENSE", "Version 3")),
    ("GPL-2.0", ("GNU GENERAL PUBLIC LICENSE", "Version 2")),
    ("MPL-2.0", ("Mozilla Public License", "2.0")),
    ("BSD-3-Clause", ("Redistribution and use in source and binary forms", "Neither the name")),
    ("BSD-2-Clause", ("Redistribution and use in source and binary forms",)),
    ("MIT", ("Permission is hereby granted, free of charge",)),
    ("ISC", ("Permission to use, copy, modify, and/or distribute this software",)),
    ("Unlicense", ("This is free and unencumbered software released into the public domain",)),
)
_CLASSIFIERS = {
    "MIT License": "MIT",
    "Apache Software License": "Apache-2.0",
    "BSD License": "BSD",
    "GNU General Public License v3 (GPLv3)": "GPL-3.0",
    "GNU General Public License v2 (GPLv2)": "GPL-2.0",
    "GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0",
    "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "ISC License (ISCL)": "ISC",
    "Python Software Foundation License": "PSF-2.0",
    "The Unlicense (Unlicense)": "Unlicense",
}
LICENSE_FILE_STEMS = ("license", "licence", "copying")


def identify_license(text: str) -> str | None:
    """The SPDX id of a license text, recognised by its characteristic phrases."""
    folded = " ".join(text.split())
    for spdx, phrases in _SIGNATURES:
        if all(" ".join(p.split()) in folded for p in phrases):
            return spdx
    return None


def _from_files(paths: list[Path]) -> str | None:
    for path in sorted(paths):
        try:
            found = identify_license(path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
        if found:
            return found
    return None


def license_of_directory(root: Path) -> str:
    """License of a directory tree from its top-level LICENSE/COPYING file."""
    files = [
        p for p in root.iterdir() if p.is_file() and p.stem.lower().startswith(LICENSE_FILE_STEMS)
    ]
    return _from_files(files) or UNKNOWN


def license_of_distribution(dist: Distribution) -> str:
    """License of an installed distribution from its metadata, classifiers or license files."""
    meta = dist.metadata
    expression = meta.get("License-Expression")
    if expression:
        return expression.strip()
    declared = (meta.get("License") or "").strip()
    if declared and "\n" not in declared and len(declared) <= 40 and declared.upper() != "UNKNOWN":
        return declared
    for classifier in meta.get_all("Classifier") or []:
        if classifier.startswith("License ::"):
            name = classifier.split("::")[-1].strip()
            if name in _CLASSIFIERS:
                return _CLASSIFIERS[name]
    files = [
        Path(str(dist.locate_file(f)))
        for f in dist.files or []
        if Path(str(f)).name.lower().startswith(LICENSE_FILE_STEMS)
    ]
    return _from_files(files) or (identify_license(declared) if declared else None) or UNKNOWN
