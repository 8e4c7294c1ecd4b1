"""A fine-tune run's record (run.json): the recipe, where the run stands, and, once it is
complete, the name of its result folder (`adapter/` or `model/`, as the method says) and
the checks of base and tuned. The fine-tune stage writes it; export, the workflows and the
benchmark (which names a model trained on) read it here instead of deciding again."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from devspeech.errors import InputError
from devspeech.files import write_json_atomic
from devspeech.jsonl import read_json

RUN_FILE = "run.json"


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
        hint = "give a folder `devspeech finetune -o` wrote"
        data = read_json(path, "a fine-tune run record", hint)
        try:
            known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
            return cls(**known)
        except TypeError as error:
            raise InputError(f"{path} is not a fine-tune run record ({error}); {hint}") from None

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
        raise InputError(
            f"{run} is not a fine-tune run (no {RUN_FILE}); give a folder `devspeech finetune -o` "
            "wrote"
        )
    return record, record.result_path(run)
