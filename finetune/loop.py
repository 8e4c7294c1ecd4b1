"""The training loop: steps of seeded batches, evaluations, the best weights, checkpoints.

The batches are a pure function of the seed and the step, and a checkpoint carries the
optimizer, the schedule and the random state, so a run resumed from its latest
checkpoint ends with the weights of an uninterrupted one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devspeech.finetune.collate import WEIGHTS, EncoderCache, Prepared, collate
from devspeech.finetune.examples import Schedule
from devspeech.finetune.options import FinetuneOptions, TrainControl
from devspeech.finetune.run_folder import (
    BEST_DIR,
    CHECKPOINT_DIR,
    has_checkpoint,
    load_checkpoint,
    load_weights,
    log_metrics,
    save_checkpoint,
    trim_metrics,
)

SELECT_BY = ("code_wer", "wer")  # the first of these a validation set can score


@dataclass
class Evaluations:
    """How the loop scores the model: on validation at every evaluation, and the extra
    checks (general English, long-form timestamps) before training starts."""

    validation: Callable[[Any], dict[str, Any]]
    checks: Callable[[Any], dict[str, dict[str, Any]]]


@contextlib.contextmanager
def deterministic() -> Iterator[None]:
    """torch's deterministic kernels for a training step: without them two runs of one recipe
    with vocabulary prompts (long rows, many repeats of a token) ended a few float bits
    apart here, and a resumed run must end with an uninterrupted one's weights."""
    import torch

    before = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before, warn_only=warn_only)


def train_loop(
    options: FinetuneOptions,
    control: TrainControl,
    output: Path,
    tm: Any,
    train: Prepared,
    general: Prepared,
    evaluations: Evaluations,
    resuming: bool,
) -> tuple[dict[str, Any], int]:
    """Run the steps left; ends with the best weights loaded. Returns the loop's state
    (step, base and best scores, the best step, the checks of the base model) and the
    step it resumed from (0 for a fresh run)."""
    import torch

    per_batch = round(options.batch_size * options.general_fraction) if general.examples else 0
    schedule = Schedule(
        len(train.examples), len(general.examples), options.batch_size, per_batch, options.seed
    )
    trainable = tm.trainable()
    optimizer = torch.optim.AdamW(trainable.values(), lr=options.learning_rate, weight_decay=0.0)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor(options))
    state: dict[str, Any] = {"step": 0, "best": None, "best_step": None, "base": {}, "checks": {}}
    if resuming and has_checkpoint(output):
        state = load_checkpoint(output / CHECKPOINT_DIR, trainable, optimizer, scheduler)
    resumed_from = state["step"]
    trim_metrics(output, state["step"])
    if state["step"] == 0:
        state["base"] = evaluations.validation(tm)
        state["checks"] = evaluations.checks(tm)
        log_metrics(output, {"step": 0, "eval": state["base"], **state["checks"]})
    cache = EncoderCache(control.encoder_cache or output / "encoder-cache") if tm.frozen else None
    bar = _bar(options.max_steps, state["step"], control.progress)
    save_every = control.save_every or options.eval_every
    for step in range(state["step"] + 1, options.max_steps + 1):
        tm.model.train()
        if tm.frozen:
            tm.encoder().eval()  # frozen: no dropout, so its outputs can be cached
        loss = 0.0
        with deterministic():  # not around evaluation: generate runs 2.5x slower in it
            for micro in range(options.grad_accum):
                index = (step - 1) * options.grad_accum + micro
                picks = schedule.batch(index)
                batch = collate(picks, train, general, tm, control.device, cache, index,
                                options.keyword_loss_weight)  # fmt: skip
                weights = batch.pop(WEIGHTS, None)
                # weighted: the labels go to our loss alone, not to the model's own as well
                labels = batch.pop("labels") if weights is not None else None
                with autocast(control.device, control.precision):
                    output_ = tm.model(**batch, use_cache=False)  # no cache in training
                    step_loss = output_.loss
                    if weights is not None:
                        step_loss = weighted_loss(output_.logits, labels, weights)
                (step_loss / options.grad_accum).backward()
                loss += step_loss.detach().item() / options.grad_accum
            tm.method.before_update(tm.model, step, options)
            torch.nn.utils.clip_grad_norm_(list(trainable.values()), options.max_grad_norm)
            optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        record: dict[str, Any] = {"step": step, "loss": round(loss, 6),
                                  "lr": scheduler.get_last_lr()[0]}  # fmt: skip
        if step % options.eval_every == 0 or step == options.max_steps:
            scores = evaluations.validation(tm)
            record["eval"] = scores
            if better(scores, state["best"]):
                state["best"], state["best_step"] = scores, step
                save_checkpoint(output / BEST_DIR, trainable, None, None, state, step)
        log_metrics(output, record)
        if step % save_every == 0 or step == options.max_steps:
            save_checkpoint(output / CHECKPOINT_DIR, trainable, optimizer, scheduler, state, step)
        if bar is not None:
            bar.set_postfix_str(f"loss {loss:.3f}")
            bar.update(1)
        if control.after_step is not None:
            control.after_step(step)
    if bar is not None:
        bar.close()
    if state["best_step"] is not None and state["best_step"] != options.max_steps:
        load_weights(output / BEST_DIR, trainable)
    return state, resumed_from


def weighted_loss(logits: Any, labels: Any, weights: Any) -> Any:
    """Cross-entropy as Whisper's (the mean over labels that are not -100), each label's
    term counted `weights` times: a weighted mean, so the loss keeps its scale."""
    import torch

    flat = labels.reshape(-1)
    losses = torch.nn.functional.cross_entropy(
        logits.float().reshape(-1, logits.shape[-1]), flat, reduction="none", ignore_index=-100
    )
    counted = weights.reshape(-1) * (flat != -100)
    return (losses * counted).sum() / counted.sum().clamp(min=1e-9)


def autocast(device: str, precision: str):  # type: ignore[no-untyped-def]
    """bf16 or fp16 autocast on a GPU; fp32 (no autocast) on the CPU or when asked."""
    import contextlib

    import torch

    if precision == "fp32" or not device.startswith("cuda"):
        return contextlib.nullcontext()
    if precision == "auto":
        precision = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return torch.autocast("cuda", dtype=torch.bfloat16 if precision == "bf16" else torch.float16)


def lr_factor(options: FinetuneOptions) -> Callable[[int], float]:
    """Linear warm-up to the learning rate, then linear decay to zero at the last step."""
    warmup, total = options.warmup, options.max_steps

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total - step) / max(1, total - warmup))

    return factor


def better(scores: dict[str, Any], best: dict[str, Any] | None) -> bool:
    for name in SELECT_BY:
        value = scores.get(name)
        if value is not None:
            return best is None or best.get(name) is None or value < best[name]
    return best is None


def _bar(total: int, done: int, enabled: bool):  # type: ignore[no-untyped-def]
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=done, unit="step", desc="finetune", dynamic_ncols=True)
