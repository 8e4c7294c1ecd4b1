"""The run folder: claiming it (its record is devspeech.run_record's), the metrics log and
checkpoints, each written under a temporary name and renamed when complete."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from devspeech.errors import InputError
from devspeech.files import atomic_folder, claim_folder, write_json_atomic
from devspeech.finetune.options import FinetuneOptions, TrainControl
from devspeech.run_record import RUN_FILE, RunRecord

METRICS_FILE = "metrics.jsonl"
CHECKPOINT_DIR = "checkpoint"
BEST_DIR = "best"
WEIGHTS_FILE = "trainable.safetensors"
STATE_FILE = "state.json"


def claim(output: Path, options: FinetuneOptions, control: TrainControl) -> bool:
    """Record the recipe; True when an earlier run of the same recipe is to be resumed."""
    recipe = options.to_dict()
    existing = RunRecord.read(output)
    if existing is not None:
        if control.overwrite:
            shutil.rmtree(output)
        elif changed := options.changes(existing.options):
            raise InputError(
                f"{output} holds a fine-tune run of another recipe (differs in "
                f"{', '.join(changed)}); pass --overwrite to replace it"
            )
        elif existing.complete and not control.resume:
            raise InputError(f"{output} holds a finished run of this recipe; pass --overwrite")
        elif not control.resume:
            raise InputError(
                f"{output} holds an unfinished run of this recipe; pass --resume to go on "
                "or --overwrite to start again"
            )
        else:
            return True
    claim_folder(output, RUN_FILE, "fine-tune run", control.overwrite)
    RunRecord(recipe).write(output)
    return False


def save_checkpoint(
    folder: Path, trainable: dict[str, Any], optimizer: Any, scheduler: Any, state: dict, step: int
) -> None:
    """Weights after `step`, replaced atomically; with the optimizer, schedule and random
    state when they are given (the best checkpoint keeps only what export needs)."""
    import torch
    from safetensors.torch import save_file

    with atomic_folder(folder) as partial:
        save_file({n: p.detach().cpu().contiguous() for n, p in trainable.items()},
                  str(partial / WEIGHTS_FILE))  # fmt: skip
        if optimizer is not None and scheduler is not None:
            torch.save(
                {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                 "torch_rng": torch.get_rng_state()},
                partial / "state.pt",
            )  # fmt: skip
        write_json_atomic(partial / STATE_FILE, {**state, "step": step})


def load_weights(folder: Path, trainable: dict[str, Any]) -> None:
    import torch
    from safetensors.torch import load_file

    stored = load_file(str(folder / WEIGHTS_FILE))
    if set(stored) != set(trainable):
        raise InputError(f"{folder} holds the weights of another model or method")
    with torch.no_grad():
        for name, parameter in trainable.items():
            parameter.copy_(stored[name])


def load_checkpoint(
    folder: Path, trainable: dict[str, Any], optimizer: Any, scheduler: Any
) -> dict[str, Any]:
    import torch

    load_weights(folder, trainable)
    saved = torch.load(folder / "state.pt", weights_only=False)
    optimizer.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    torch.set_rng_state(saved["torch_rng"])
    return json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))


def has_checkpoint(output: Path) -> bool:
    return (output / CHECKPOINT_DIR / STATE_FILE).is_file()


def log_metrics(output: Path, record: dict[str, Any]) -> None:
    with (output / METRICS_FILE).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")


def trim_metrics(output: Path, step: int) -> None:
    """Drop what a killed run logged after its last checkpoint (those steps run again)."""
    path = output / METRICS_FILE
    if not path.is_file():
        return
    kept = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            if json.loads(line)["step"] <= step:
                kept.append(line + "\n")
        except (json.JSONDecodeError, KeyError):
            continue  # a half-written last line
    if step == 0:
        kept = []
    path.write_text("".join(kept), encoding="utf-8")


def read_metrics(output: Path) -> list[dict[str, Any]]:
    path = output / METRICS_FILE
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
