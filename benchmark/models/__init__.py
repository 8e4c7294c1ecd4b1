"""Whisper models by spec: parsing, bundled weights, the CTranslate2 reader and converter,
and tiny random models. Importable without the bench runner (the fine-tune stage uses it)."""

from devspeech.benchmark.models.spec import (
    KINDS,
    ModelSpec,
    backend_for,
    cached_models,
    check_available,
    ctranslate2_location,
    parse_spec,
    random_folder,
    transformers_location,
)

__all__ = [
    "KINDS",
    "ModelSpec",
    "backend_for",
    "cached_models",
    "check_available",
    "ctranslate2_location",
    "parse_spec",
    "random_folder",
    "transformers_location",
]
