"""`export`: turn a finished fine-tune run into a model a runtime loads.

`merge` folds the adapter into the base (a transformers folder that `bench --model`
loads, as do faster-whisper's and ONNX's converters); `interpolate` blends every
weight between base and tuned, w = base + alpha * (tuned - base), which trades some
of the gain for less forgetting (alpha 0 is the base, 1 the tuned model).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devspeech.errors import InputError
from devspeech.finetune.train import ADAPTER_DIR, MODEL_DIR, RUN_FILE


@dataclass(frozen=True)
class ExportOptions:
    interpolate: float | None = None  # None: the tuned weights as they are
    overwrite: bool = False

    def __post_init__(self) -> None:
        if self.interpolate is not None and not 0.0 <= self.interpolate <= 1.0:
            raise InputError("--interpolate must be between 0 and 1")


def finished_result(run: Path) -> tuple[dict[str, Any], Path]:
    """The run's record and its adapter or model folder; refuses an unfinished run."""
    path = run / RUN_FILE
    if not path.is_file():
        raise InputError(f"{run} is not a fine-tune run (no {RUN_FILE})")
    record = json.loads(path.read_text(encoding="utf-8"))
    if record.get("status") != "complete":
        raise InputError(f"{run} is not finished; resume it with devspeech finetune --resume")
    for name in (ADAPTER_DIR, MODEL_DIR):
        if (run / name).is_dir():
            return record, run / name
    raise InputError(f"{run} is finished but holds neither {ADAPTER_DIR}/ nor {MODEL_DIR}/")


def load_tuned(result: Path) -> tuple[Any, Any, str]:
    """(merged tuned model, processor, base location) of a run's result folder."""
    from transformers import WhisperForConditionalGeneration, WhisperProcessor

    from devspeech.benchmark.models import parse_spec, transformers_location

    spec = parse_spec(str(result))
    location = transformers_location(spec)
    processor = WhisperProcessor.from_pretrained(location)
    model = WhisperForConditionalGeneration.from_pretrained(location)
    if spec.kind == "peft":
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, str(result)).merge_and_unload()
    return model, processor, location


def export(run: Path, output: Path, options: ExportOptions = ExportOptions()) -> Path:
    """Write the merged (or interpolated) model of a finished run as a transformers folder."""
    import torch
    from transformers import WhisperForConditionalGeneration

    _, result = finished_result(run)
    if output.exists() and any(output.iterdir()) and not options.overwrite:
        raise InputError(f"{output} is not empty; pass --overwrite")
    model, processor, location = load_tuned(result)
    if options.interpolate is not None:
        base = WhisperForConditionalGeneration.from_pretrained(location).state_dict()
        alpha = options.interpolate
        done: set[int] = set()  # tied weights (embeddings and output projection) blend once
        with torch.no_grad():
            for name, tensor in model.state_dict().items():
                if tensor.is_floating_point() and tensor.data_ptr() not in done:
                    done.add(tensor.data_ptr())
                    tensor.copy_(base[name] + alpha * (tensor - base[name]))
    partial = output.with_name(f".{output.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    model.save_pretrained(partial)
    processor.save_pretrained(partial)
    if output.exists():
        shutil.rmtree(output)
    partial.replace(output)
    return output


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
