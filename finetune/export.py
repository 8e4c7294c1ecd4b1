"""`export`: turn a finished fine-tune run into a model a runtime loads.

Every export starts from the merged model: the adapter folded into the base, or with
`interpolate`, every weight blended between base and tuned, w = base + alpha * (tuned -
base), which trades some of the gain for less forgetting (alpha 0 is the base, 1 the
tuned model). Then it is written in one of three formats, each of which `bench --model`
loads:

- `transformers`: a WhisperForConditionalGeneration folder (safetensors);
- `ct2`: a CTranslate2 folder that faster-whisper loads, `int8` (the default),
  `int8_float32`, `float16` or `float32` weights;
- `onnx`: encoder and decoder graphs for ONNX Runtime, dynamically quantized to INT8
  by default, `int8_decoder` for the decoder alone, or `float32` (benchmark/models/onnx.py).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devspeech.errors import InputError
from devspeech.files import atomic_folder
from devspeech.finetune.methods import get_method
from devspeech.run_record import finished

FORMATS = ("transformers", "ct2", "onnx")
QUANTIZATIONS = {
    "transformers": ("float32",),
    "ct2": ("int8", "int8_float32", "float16", "float32"),
    "onnx": ("int8", "int8_decoder", "float32"),
}


@dataclass(frozen=True)
class ExportOptions:
    format: str = "transformers"
    quantization: str | None = None  # None: the format's first (int8 for ct2 and onnx)
    interpolate: float | None = None  # None: the tuned weights as they are
    overwrite: bool = False

    def __post_init__(self) -> None:
        if self.interpolate is not None and not 0.0 <= self.interpolate <= 1.0:
            raise InputError("--interpolate must be between 0 and 1")
        if self.format not in FORMATS:
            raise InputError(f"unknown export format {self.format!r}; one of {', '.join(FORMATS)}")
        if self.quantization is not None and self.quantization not in QUANTIZATIONS[self.format]:
            raise InputError(
                f"{self.format} exports take --quantization "
                f"{', '.join(QUANTIZATIONS[self.format])}, not {self.quantization!r}"
            )

    @property
    def dtype(self) -> str:
        return self.quantization or QUANTIZATIONS[self.format][0]


def load_tuned(run: Path) -> tuple[Any, Any, str]:
    """(merged tuned model, processor, base location) of a finished run, as its method
    merges it (an adapter folded into its base; a whole model as it is)."""
    from devspeech.benchmark.models import parse_spec
    from devspeech.benchmark.models.whisper import load_whisper

    record, result = finished(run)
    loaded = load_whisper(parse_spec(str(result)))
    return get_method(record.method).merge(loaded.model), loaded.processor, loaded.location


def export(run: Path, output: Path, options: ExportOptions = ExportOptions()) -> Path:
    """Write the merged (or interpolated) model of a finished run in `options.format`."""
    import torch
    from transformers import WhisperForConditionalGeneration

    finished(run)  # an unfinished run is refused before the output is looked at
    if output.exists() and any(output.iterdir()) and not options.overwrite:
        raise InputError(f"{output} is not empty; pass --overwrite")
    model, processor, location = load_tuned(run)
    if options.interpolate is not None:
        base = WhisperForConditionalGeneration.from_pretrained(location).state_dict()
        alpha = options.interpolate
        done: set[int] = set()  # tied weights (embeddings and output projection) blend once
        with torch.no_grad():
            for name, tensor in model.state_dict().items():
                if tensor.is_floating_point() and tensor.data_ptr() not in done:
                    done.add(tensor.data_ptr())
                    tensor.copy_(base[name] + alpha * (tensor - base[name]))
    with atomic_folder(output.with_name(f".{output.name}.merged")) as merged:
        model.save_pretrained(merged)
        processor.save_pretrained(merged)  # transformers 5 writes processor_config.json:
        processor.feature_extractor.save_pretrained(merged)  # faster-whisper reads this one
    merged = output.with_name(f".{output.name}.merged")
    try:
        with atomic_folder(output) as partial:
            if options.format == "transformers":
                for path in merged.iterdir():
                    path.replace(partial / path.name)
            elif options.format == "ct2":
                _write_ct2(merged, partial, options.dtype)
            else:
                from devspeech.benchmark.models.onnx import export_onnx

                export_onnx(merged, partial, options.dtype)
    finally:
        shutil.rmtree(merged, ignore_errors=True)
    return output


def _write_ct2(merged: Path, out: Path, quantization: str) -> None:
    """A CTranslate2 folder with the files faster-whisper reads beside model.bin."""
    from ctranslate2.converters import TransformersConverter

    carried = [n for n in ("tokenizer.json", "preprocessor_config.json") if (merged / n).is_file()]
    TransformersConverter(str(merged), copy_files=carried).convert(
        str(out), quantization=quantization, force=True
    )


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
