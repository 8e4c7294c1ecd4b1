"""`finetune`: train Whisper on a generated dataset, score it as it goes, keep the best.

The run folder holds the recipe (run.json), a metrics log (metrics.jsonl: the loss of
every step and the validation scores of every evaluation), the latest checkpoint and
the best one, each written under a temporary name and renamed when complete. A killed
run resumes from its latest checkpoint with `resume`: the batches are a pure function
of the seed and the step, and the checkpoint carries the optimizer, the schedule and
the random state, so the weights it ends with are those of an uninterrupted run.
At the end the best weights become `adapter/` (LoRA, QLoRA) or `model/` (decoder,
full), with report.md (base against tuned on validation) and training.png.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from devspeech.audio import SAMPLE_RATE, decode_16k
from devspeech.benchmark.data import EvalItem
from devspeech.benchmark.models.adapter import write_base_record
from devspeech.builtin import resolve_data
from devspeech.errors import InputError
from devspeech.files import write_text_atomic
from devspeech.finetune.evaluate import EvalRow, eval_rows, evaluate
from devspeech.finetune.examples import (
    Example,
    Schedule,
    general_examples,
    optional_split,
    plan_examples,
    read_split,
)
from devspeech.finetune.labels import (
    IGNORE,
    LabelTooLong,
    TokenSequence,
    Vocabulary,
    build_sequence,
)
from devspeech.finetune.model import TrainModel, check_method, load_model
from devspeech.finetune.options import FinetuneOptions, TrainControl

log = logging.getLogger(__name__)

RUN_FILE = "run.json"
METRICS_FILE = "metrics.jsonl"
CHECKPOINT_DIR = "checkpoint"
BEST_DIR = "best"
ADAPTER_DIR = "adapter"
MODEL_DIR = "model"
REPORT_FILE = "report.md"
PLOT_FILE = "training.png"
SELECT_BY = ("code_wer", "wer")  # the first of these a validation set can score
LONG_FORM_ROWS = 8  # packed rows whose timestamps the report checks


@dataclass
class FinetuneSummary:
    output: Path
    method: str
    steps: int = 0
    resumed_from: int = 0
    train_rows: int = 0
    general_rows: int = 0
    recordings: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    base: dict[str, Any] = field(default_factory=dict)
    best: dict[str, Any] = field(default_factory=dict)
    best_step: int | None = None
    checks: dict[str, Any] = field(default_factory=dict)  # base/tuned: general, long_form
    long_form_source: str = ""
    result: Path | None = None
    elapsed_s: float = 0.0


@dataclass
class _Prepared:
    """Examples with their token sequences, in the order the schedule indexes them."""

    examples: list[Example]
    sequences: list[TokenSequence]


def _prepare(
    examples: Sequence[Example], tokenizer: Any, vocabulary: Vocabulary, skipped: Counter[str]
) -> _Prepared:
    kept, sequences = [], []
    for example in examples:
        try:
            sequence = build_sequence(
                tokenizer, vocabulary, example.text, example.segments,
                timestamps=example.timestamps, prompt=example.prompt,
            )  # fmt: skip
        except LabelTooLong:
            skipped["label longer than the decoder takes"] += 1
            continue
        kept.append(example)
        sequences.append(sequence)
    return _Prepared(kept, sequences)


def _claim(output: Path, options: FinetuneOptions, control: TrainControl) -> bool:
    """Record the recipe; True when an earlier run of the same recipe is to be resumed."""
    path = output / RUN_FILE
    recipe = options.to_dict()
    if path.is_file():
        existing = json.loads(path.read_text(encoding="utf-8"))
        if control.overwrite:
            shutil.rmtree(output)
        elif existing.get("options") != recipe:
            changed = sorted(
                k for k in {*existing.get("options", {}), *recipe}
                if existing.get("options", {}).get(k) != recipe.get(k)
            )  # fmt: skip
            raise InputError(
                f"{output} holds a fine-tune run of another recipe (differs in "
                f"{', '.join(changed)}); pass --overwrite to replace it"
            )
        elif existing.get("status") == "complete" and not control.resume:
            raise InputError(f"{output} holds a finished run of this recipe; pass --overwrite")
        elif not control.resume:
            raise InputError(
                f"{output} holds an unfinished run of this recipe; pass --resume to go on "
                "or --overwrite to start again"
            )
        else:
            return True
    elif output.exists() and any(output.iterdir()) and not control.overwrite:
        raise InputError(f"{output} is not empty and holds no fine-tune run; pass --overwrite")
    output.mkdir(parents=True, exist_ok=True)
    _write_json(path, {"options": recipe, "status": "running"})
    return False


def _write_json(path: Path, data: dict[str, Any]) -> None:
    write_text_atomic(path, json.dumps(data, indent=1, sort_keys=True) + "\n")


@dataclass
class _Data:
    """Every row a run reads, loaded (and checked) before anything is written."""

    train: list[EvalItem]
    general: list[EvalItem]
    validation: list[EvalItem]
    general_check: list[EvalItem]  # ordinary English the model does not train on
    recordings: list[EvalItem]


def _load_data(options: FinetuneOptions, allow_partial: bool = False) -> _Data:
    train = read_split(options.data, "train", allow_partial)
    recordings = read_split(options.recordings, "train") if options.recordings else []
    general, general_check = [], []
    if options.general_data:
        location = resolve_data(options.general_data)
        general = read_split(location, "train")
        if location != options.general_data:
            log.info("general data: %s, the built-in general-English set (%d train rows, %s); "
                     "--general-data chooses another", options.general_data, len(general),
                     location)  # fmt: skip
        general_check = optional_split(location, "test_heldout") or optional_split(
            location, "validation"
        )
    validation = optional_split(options.data, "validation", allow_partial)
    return _Data(train, general, validation, general_check, recordings)


@dataclass
class _Checks:
    """What the report compares base and tuned on: validation, the general set held out
    from training, and timestamps of packed long-form rows (the note's warning)."""

    validation: list[EvalRow]
    general: list[EvalRow]
    long_form: list[EvalRow]
    long_form_source: str

    @classmethod
    def of(cls, data: _Data, options: FinetuneOptions) -> _Checks:
        count = min(LONG_FORM_ROWS, max(1, options.eval_rows // 4))
        long_form = eval_rows(data.validation, count, long_form=True)
        source = "validation"
        if not long_form:  # packed rows are few; heard in training, but still a check
            long_form, source = eval_rows(data.train, count, long_form=True), "train"
        general = eval_rows(data.general_check, max(1, options.eval_rows // 2))
        return cls(eval_rows(data.validation, options.eval_rows), general, long_form, source)

    def run(self, tm: TrainModel) -> dict[str, dict[str, Any]]:
        return {
            "general": evaluate(tm.model, tm.processor, self.general, tm.multilingual),
            "long_form": evaluate(
                tm.model, tm.processor, self.long_form, tm.multilingual, timestamps=True
            ),
        }


def finetune(
    options: FinetuneOptions, output: Path, control: TrainControl | None = None
) -> FinetuneSummary:
    """Train as `options` say into `output` (or go on with a killed run); returns what was done."""
    import torch

    control = control or TrainControl()
    started = time.perf_counter()
    check_method(options.method, control.device)  # before data is read or a set is built
    data = _load_data(options, control.allow_partial)  # fails before anything is written
    summary = FinetuneSummary(output, options.method, train_rows=len(data.train))
    torch.manual_seed(options.seed)
    tm = load_model(options, control.device)
    if control.gradient_checkpointing:
        tm.model.gradient_checkpointing_enable()
    train, general = _examples(options, data, tm, summary)
    resuming = _claim(output, options, control)  # only once model and data are known good
    checks = _Checks.of(data, options)
    state = _train(options, control, output, tm, train, general, checks, resuming, summary)
    summary.steps = options.max_steps
    summary.base, summary.best = state["base"], state["best"] or {}
    summary.best_step = state["best_step"]
    summary.checks = {"base": state.get("checks", {}), "tuned": checks.run(tm)}
    summary.long_form_source = checks.long_form_source
    summary.result = _save_result(output, tm, options.method)
    _write_report(output, options, summary)
    _plot(output)
    _write_json(output / RUN_FILE, {"options": options.to_dict(), "status": "complete",
                                    "result": summary.result.name, "best_step": summary.best_step,
                                    "checks": summary.checks,
                                    "skipped": dict(summary.skipped)})  # fmt: skip
    summary.elapsed_s = time.perf_counter() - started
    return summary


def _examples(
    options: FinetuneOptions, data: _Data, tm: TrainModel, summary: FinetuneSummary
) -> tuple[_Prepared, _Prepared]:
    """Training examples (recordings repeated by their weight) and general examples."""
    from devspeech.benchmark.predict import read_glossary

    tokenizer = tm.processor.tokenizer
    vocabulary = Vocabulary.of(tokenizer, tm.multilingual, tm.model.config.max_target_positions)
    rows = data.train + data.recordings * options.recordings_weight
    planned = plan_examples(
        rows, options.seed, options.timestamp_fraction, options.prompt_fraction,
        read_glossary(None),
    )  # fmt: skip
    train = _prepare(planned, tokenizer, vocabulary, summary.skipped)
    general = _prepare(general_examples(data.general), tokenizer, vocabulary, summary.skipped)
    if not train.examples:
        raise InputError(
            f"{options.data}: no training row fits the model ({dict(summary.skipped)})"
        )
    summary.general_rows = len(general.examples)
    summary.recordings = len(data.recordings)
    if not general.examples:
        log.warning("no --general-data: nothing in the batches guards general English")
    return train, general


def _train(
    options: FinetuneOptions,
    control: TrainControl,
    output: Path,
    tm: TrainModel,
    train: _Prepared,
    general: _Prepared,
    checks: _Checks,
    resuming: bool,
    summary: FinetuneSummary,
) -> dict[str, Any]:
    """The loop: steps, evaluations, checkpoints; ends with the best weights loaded."""
    import torch

    per_batch = round(options.batch_size * options.general_fraction) if general.examples else 0
    schedule = Schedule(
        len(train.examples), len(general.examples), options.batch_size, per_batch, options.seed
    )
    trainable = tm.trainable()
    optimizer = torch.optim.AdamW(trainable.values(), lr=options.learning_rate, weight_decay=0.0)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _schedule(options))
    state: dict[str, Any] = {"step": 0, "best": None, "best_step": None, "base": {}, "checks": {}}
    if resuming and (output / CHECKPOINT_DIR / "state.json").is_file():
        state = _load_checkpoint(output / CHECKPOINT_DIR, trainable, optimizer, scheduler)
        summary.resumed_from = state["step"]
    _trim_metrics(output / METRICS_FILE, state["step"])
    if state["step"] == 0:
        state["base"] = evaluate(tm.model, tm.processor, checks.validation, tm.multilingual)
        state["checks"] = checks.run(tm)
        _log_metrics(output, {"step": 0, "eval": state["base"], **state["checks"]})
    cache = None
    frozen = tm.encoder_frozen()
    if frozen:
        cache = _EncoderCache(control.encoder_cache or output / "encoder-cache")
    bar = _bar(options.max_steps, state["step"], control.progress)
    save_every = control.save_every or options.eval_every
    for step in range(state["step"] + 1, options.max_steps + 1):
        tm.model.train()
        if frozen:
            tm.encoder().eval()  # frozen: no dropout, so its outputs can be cached
        loss = 0.0
        for micro in range(options.grad_accum):
            picks = schedule.batch((step - 1) * options.grad_accum + micro)
            batch = _collate(picks, train, general, tm, control.device, cache)
            with _autocast(control.device, control.precision):
                output_ = tm.model(**batch, use_cache=False)  # no cache in training
            (output_.loss / options.grad_accum).backward()
            loss += output_.loss.detach().item() / options.grad_accum
        torch.nn.utils.clip_grad_norm_(list(trainable.values()), options.max_grad_norm)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        record: dict[str, Any] = {"step": step, "loss": round(loss, 6),
                                  "lr": scheduler.get_last_lr()[0]}  # fmt: skip
        if step % options.eval_every == 0 or step == options.max_steps:
            scores = evaluate(tm.model, tm.processor, checks.validation, tm.multilingual)
            record["eval"] = scores
            if _better(scores, state["best"]):
                state["best"], state["best_step"] = scores, step
                _save_checkpoint(output / BEST_DIR, trainable, None, None, state, step)
        _log_metrics(output, record)
        if step % save_every == 0 or step == options.max_steps:
            _save_checkpoint(output / CHECKPOINT_DIR, trainable, optimizer, scheduler, state, step)
        if bar is not None:
            bar.set_postfix_str(f"loss {loss:.3f}")
            bar.update(1)
        if control.after_step is not None:
            control.after_step(step)
    if bar is not None:
        bar.close()
    if state["best_step"] is not None and state["best_step"] != options.max_steps:
        _load_weights(output / BEST_DIR, trainable)
    return state


def _autocast(device: str, precision: str):  # type: ignore[no-untyped-def]
    """bf16 or fp16 autocast on a GPU; fp32 (no autocast) on the CPU or when asked."""
    import contextlib

    import torch

    if precision == "fp32" or not device.startswith("cuda"):
        return contextlib.nullcontext()
    if precision == "auto":
        precision = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return torch.autocast("cuda", dtype=torch.bfloat16 if precision == "bf16" else torch.float16)


def _schedule(options: FinetuneOptions):  # type: ignore[no-untyped-def]
    """Linear warm-up to the learning rate, then linear decay to zero at the last step."""
    warmup, total = options.warmup_steps, options.max_steps

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total - step) / max(1, total - warmup))

    return factor


def _better(scores: dict[str, Any], best: dict[str, Any] | None) -> bool:
    for name in SELECT_BY:
        value = scores.get(name)
        if value is not None:
            return best is None or best.get(name) is None or value < best[name]
    return best is None


class _EncoderCache:
    """Encoder outputs of each clip, computed once and kept on disk (float16) for the
    methods whose encoder never changes (`decoder`, LoRA on the decoder); every use reads
    the stored values, so the first epoch and a resumed run see the same numbers. Keys
    are hashes of the encoded audio, so runs of one base model may share a cache."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def get(self, key: str, compute: Any) -> np.ndarray:
        path = self.folder / f"{key}.npy"
        if path.is_file():
            return np.load(path)
        value = compute().astype(np.float16)
        partial = path.with_name(f".{path.name}.partial.npy")
        np.save(partial, value)
        partial.replace(path)
        return value


def _collate(
    picks: list[tuple[bool, int]],
    train: _Prepared,
    general: _Prepared,
    tm: TrainModel,
    device: str,
    cache: _EncoderCache | None,
) -> dict[str, Any]:
    """Model inputs of one batch: log-mel features (or cached encoder outputs), decoder
    inputs padded with <|endoftext|>, and labels padded with -100."""
    import torch

    chosen = [(general if is_general else train, index) for is_general, index in picks]
    examples = [source.examples[i] for source, i in chosen]
    sequences = [source.sequences[i] for source, i in chosen]
    width = max(len(s.input_ids) for s in sequences)
    pad = tm.processor.tokenizer.convert_tokens_to_ids("<|endoftext|>")
    input_ids = torch.full((len(sequences), width), pad, dtype=torch.long)
    labels = torch.full((len(sequences), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, sequence in enumerate(sequences):
        n = len(sequence.input_ids)
        input_ids[row, :n] = torch.tensor(sequence.input_ids)
        labels[row, :n] = torch.tensor(sequence.labels)
        mask[row, :n] = 1
    batch: dict[str, Any] = {
        "decoder_input_ids": input_ids.to(device),
        "decoder_attention_mask": mask.to(device),
        "labels": labels.to(device),
    }
    if cache is None:
        batch["input_features"] = _features(tm, [e.audio for e in examples]).to(device)
        return batch
    encoder = tm.encoder()

    def encode(example: Example) -> np.ndarray:
        features = _features(tm, [example.audio]).to(device)
        with torch.no_grad():
            return encoder(features).last_hidden_state[0].float().cpu().numpy()

    hidden = [cache.get(hashlib.sha256(e.audio).hexdigest()[:24], lambda e=e: encode(e))
              for e in examples]  # fmt: skip
    stacked = torch.from_numpy(np.stack(hidden).astype(np.float32)).to(device)
    batch["encoder_outputs"] = (stacked,)
    return batch


def _features(tm: TrainModel, encoded: list[bytes]) -> Any:
    audios = [decode_16k(data) for data in encoded]
    extractor = tm.processor.feature_extractor
    return extractor(audios, sampling_rate=SAMPLE_RATE, return_tensors="pt").input_features


def _save_checkpoint(
    folder: Path, trainable: dict[str, Any], optimizer: Any, scheduler: Any, state: dict, step: int
) -> None:
    """Weights after `step`, replaced atomically; with the optimizer, schedule and random
    state when they are given (the best checkpoint keeps only what export needs)."""
    import torch
    from safetensors.torch import save_file

    partial = folder.with_name(f".{folder.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    save_file({n: p.detach().cpu().contiguous() for n, p in trainable.items()},
              str(partial / "trainable.safetensors"))  # fmt: skip
    if optimizer is not None and scheduler is not None:
        torch.save(
            {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
             "torch_rng": torch.get_rng_state()},
            partial / "state.pt",
        )  # fmt: skip
    _write_json(partial / "state.json", {**state, "step": step})
    old = folder.with_name(f".{folder.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.replace(old)
    partial.replace(folder)
    shutil.rmtree(old, ignore_errors=True)


def _load_weights(folder: Path, trainable: dict[str, Any]) -> None:
    import torch
    from safetensors.torch import load_file

    stored = load_file(str(folder / "trainable.safetensors"))
    if set(stored) != set(trainable):
        raise InputError(f"{folder} holds the weights of another model or method")
    with torch.no_grad():
        for name, parameter in trainable.items():
            parameter.copy_(stored[name])


def _load_checkpoint(
    folder: Path, trainable: dict[str, Any], optimizer: Any, scheduler: Any
) -> dict[str, Any]:
    import torch

    _load_weights(folder, trainable)
    saved = torch.load(folder / "state.pt", weights_only=False)
    optimizer.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    torch.set_rng_state(saved["torch_rng"])
    return json.loads((folder / "state.json").read_text(encoding="utf-8"))


def _log_metrics(output: Path, record: dict[str, Any]) -> None:
    with (output / METRICS_FILE).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")


def _trim_metrics(path: Path, step: int) -> None:
    """Drop what a killed run logged after its last checkpoint (those steps run again)."""
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


def _save_result(output: Path, tm: TrainModel, method: str) -> Path:
    """adapter/ for LoRA methods (loads over its base), model/ for decoder and full."""
    target = output / (ADAPTER_DIR if method in ("lora", "qlora") else MODEL_DIR)
    partial = target.with_name(f".{target.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    tm.model.save_pretrained(partial)
    if method not in ("lora", "qlora"):
        tm.processor.save_pretrained(partial)
    else:
        write_base_record(partial, tm.spec.text, tm.base_location)
    if target.exists():
        shutil.rmtree(target)
    partial.replace(target)
    return target


def _write_report(output: Path, options: FinetuneOptions, summary: FinetuneSummary) -> None:
    recordings = f", {summary.recordings} recordings x {options.recordings_weight}" if (
        summary.recordings) else ""  # fmt: skip
    lines = [
        f"# Fine-tune of {options.model} ({options.method})",
        "",
        f"{summary.train_rows} training rows{recordings}, {summary.general_rows} general rows "
        f"({options.general_data or 'none'}), {options.max_steps} steps of "
        f"{options.batch_size} x {options.grad_accum}; best step {summary.best_step}.",
        "",
    ]
    base, tuned = summary.checks.get("base", {}), summary.checks.get("tuned", {})
    sections = (
        ("validation", summary.base, summary.best),
        ("general English, held out from training", base.get("general"), tuned.get("general")),
        (f"long-form timestamps ({summary.long_form_source} rows)", base.get("long_form"),
         tuned.get("long_form")),
    )  # fmt: skip
    for title, before, after in sections:
        if not before and not after:
            lines += [f"No {title.split(',')[0].split(' (')[0]} rows to check.", ""]
            continue
        before, after = before or {}, after or {}
        lines += [f"| metric ({title}) | base | tuned |", "|---|---|---|"]
        for name in sorted({*before, *after}):
            lines.append(f"| {name} | {_cell(name, before.get(name))} | "
                         f"{_cell(name, after.get(name))} |")  # fmt: skip
        lines.append("")
    if summary.skipped:
        lines += ["Left out: " + ", ".join(f"{k} {v}" for k, v in summary.skipped.items())]
    (output / REPORT_FILE).write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")


def _cell(name: str, value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.3f} s" if name.endswith("_s") else _pct(value)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _plot(output: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = read_metrics(output)
    steps = [r["step"] for r in records if "loss" in r]
    losses = [r["loss"] for r in records if "loss" in r]
    evals = [(r["step"], r["eval"]) for r in records if r.get("eval")]
    figure, left = plt.subplots(figsize=(7, 4))
    left.plot(steps, losses, color="tab:blue", linewidth=1)
    left.set_xlabel("step")
    left.set_ylabel("training loss", color="tab:blue")
    if evals:
        right = left.twinx()
        for name, colour in (("code_wer", "tab:red"), ("wer", "tab:orange")):
            points = [(s, e[name]) for s, e in evals if e.get(name) is not None]
            if points:
                right.plot(
                    *zip(*points, strict=True), "o-", color=colour, label=f"validation {name}"
                )
        right.set_ylabel("validation error rate")
        right.legend(fontsize=7, loc="upper right")
    figure.tight_layout()
    figure.savefig(output / PLOT_FILE, dpi=110)
    plt.close(figure)


def _bar(total: int, done: int, enabled: bool):  # type: ignore[no-untyped-def]
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=done, unit="step", desc="finetune", dynamic_ncols=True)
