"""The run folder: its record (run.json), claiming it, the metrics log and checkpoints.

run.json holds the recipe and where the run stands; a finished run's record also names
its result folder (`adapter/` or `model/`, as the method says), which export, bench and
the workflows read from here instead of deciding it again. Checkpoints and results are
written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from devspeech.errors import InputError
from devspeech.files import atomic_folder, claim_folder, write_json_atomic
from devspeech.finetune.options import FinetuneOptions, TrainControl

RUN_FILE = "run.json"
METRICS_FILE = "metrics.jsonl"
CHECKPOINT_DIR = "checkpoint"
BEST_DIR = "best"
WEIGHTS_FILE = "trainable.safetensors"
STATE_FILE = "state.json"


@dataclass(frozen=True)
class RunRecord:
    """run.json: the recipe, the status, and (once complete) the result and its checks."""

    options: dict[str, Any]
    status: str = "running"  # running | complete
    result: str | None = None  # the result folder's name inside the run
    best_step: int | None = None
    checks: dict[str, Any] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def method(self) -> str:
        return str(self.options.get("method", "lora"))

    @property
    def complete(self) -> bool:
        return self.status == "complete"

    @classmethod
    def read(cls, run: Path) -> RunRecord | None:
        """The record of `run`, or None when the folder holds no fine-tune run."""
        path = run / RUN_FILE
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
            return cls(**known)
        except (json.JSONDecodeError, TypeError) as error:
            raise InputError(f"{path} is not a fine-tune run record ({error})") from None

    def write(self, run: Path) -> None:
        write_json_atomic(run / RUN_FILE, {k: v for k, v in asdict(self).items()
                                           if v is not None and v != {}})  # fmt: skip

    def result_path(self, run: Path) -> Path:
        """The finished run's result folder; refuses an unfinished run or a missing result."""
        if not self.complete:
            raise InputError(f"{run} is not finished; resume it with devspeech finetune --resume")
        if self.result is None or not (run / self.result).is_dir():
            raise InputError(f"{run} is finished but its result {self.result}/ is missing")
        return run / self.result


def finished(run: Path) -> tuple[RunRecord, Path]:
    """The record and result folder of a finished run; one clear line otherwise."""
    record = RunRecord.read(run)
    if record is None:
        raise InputError(f"{run} is not a fine-tune run (no {RUN_FILE})")
    return record, record.result_path(run)


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
