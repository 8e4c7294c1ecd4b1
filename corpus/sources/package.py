"""An installed distribution: its source files, README (metadata) and license."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

from devspeech.corpus.sources.base import Document, SourceScan, format_of
from devspeech.corpus.sources.licenses import license_of_distribution
from devspeech.errors import InputError


def scan_package(name: str) -> SourceScan:
    """Files of the installed distribution `name` that can be mined."""
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        raise InputError(f"package {name!r} is not installed (pip install {name})") from None
    origin = dist.metadata["Name"] or name
    scan = SourceScan(label=f"package {origin}")
    license_id = license_of_distribution(dist)
    for file in sorted(dist.files or [], key=str):
        relative = Path(str(file))
        if ".." in relative.parts:
            continue  # scripts installed outside site-packages
        path = Path(str(dist.locate_file(file)))
        if relative.name == "METADATA" and relative.parent.name.endswith(".dist-info"):
            scan.documents.append(
                Document(origin, relative.as_posix(), "metadata", license_id, path=path)
            )
            continue
        fmt = format_of(path) if path.suffix else None
        if fmt is None:
            scan.skipped["unsupported file type"] += 1
            continue
        scan.documents.append(Document(origin, relative.as_posix(), fmt, license_id, path=path))
    if not scan.documents:
        raise InputError(f"package {origin!r} lists no files to mine (no RECORD in its metadata)")
    return scan
