"""`finetune`: train Whisper on a generated dataset, score it as it goes, keep the best.

This module reads the data, builds the examples and the checks, and hands them to the
loop (loop.py); the run folder, its record and checkpoints are run_folder.py's, the
batches collate.py's, report.md and training.png report.py's. What trains, and what the
result folder holds (`adapter/` or `model/`), is the method's (methods/). A killed run
resumes from its latest checkpoint with `resume` and ends with the weights of an
uninterrupted run.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devspeech.benchmark.data import EvalItem
from devspeech.builtin import resolve_data
from devspeech.errors import InputError
from devspeech.files import atomic_folder
from devspeech.finetune.collate import Prepared
from devspeech.finetune.evaluate import EvalRow, eval_rows, evaluate
from devspeech.finetune.examples import (
    Example,
    general_examples,
    optional_split,
    plan_examples,
    read_split,
)
from devspeech.finetune.labels import LabelTooLong, TokenSequence, Vocabulary, build_sequence
from devspeech.finetune.loop import Evaluations, train_loop
from devspeech.finetune.model import TrainModel, check_method, load_model
from devspeech.finetune.options import FinetuneOptions, TrainControl
from devspeech.finetune.report import plot, write_report
from devspeech.finetune.run_folder import claim, read_metrics
from devspeech.finetune.vocab_prompts import VocabularyPrompts
from devspeech.run_record import RunRecord

log = logging.getLogger(__name__)

LONG_FORM_ROWS = 8  # packed rows whose timestamps the report checks

__all__ = ["FinetuneSummary", "finetune", "read_metrics"]


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
    trained_parameters: int = 0  # how many numbers the method trains


def _prepare(
    examples: Sequence[Example],
    tokenizer: Any,
    vocabulary: Vocabulary,
    skipped: Counter[str],
    name_keywords: bool = False,
) -> Prepared:
    kept, sequences = [], []
    for example in examples:
        try:
            sequence = build_sequence(
                tokenizer, vocabulary, example.text, example.segments,
                timestamps=example.timestamps, prompt=example.prompt,
                keywords=example.keywords if name_keywords else (),
            )  # fmt: skip
        except LabelTooLong:
            skipped["label longer than the decoder takes"] += 1
            continue
        kept.append(example)
        sequences.append(sequence)
    return Prepared(kept, sequences)


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

    def validate(self, tm: TrainModel) -> dict[str, Any]:
        return evaluate(tm.model, tm.processor, self.validation)

    def run(self, tm: TrainModel) -> dict[str, dict[str, Any]]:
        return {
            "general": evaluate(tm.model, tm.processor, self.general),
            "long_form": evaluate(tm.model, tm.processor, self.long_form, timestamps=True),
        }


def finetune(
    options: FinetuneOptions, output: Path, control: TrainControl | None = None
) -> FinetuneSummary:
    """Train as `options` say into `output` (or go on with a killed run); returns what was done."""
    import torch

    control = control or TrainControl()
    started = time.perf_counter()
    check_method(options, control.device)  # before data is read or a set is built
    data = _load_data(options, control.allow_partial)  # fails before anything is written
    summary = FinetuneSummary(output, options.method, train_rows=len(data.train))
    torch.manual_seed(options.seed)
    tm = load_model(options, control.device)
    if control.gradient_checkpointing:
        tm.model.gradient_checkpointing_enable()
    summary.trained_parameters = sum(p.numel() for p in tm.trainable().values())
    train, general = _examples(options, data, tm, summary)
    resuming = claim(output, options, control)  # only once model and data are known good
    checks = _Checks.of(data, options)
    evaluations = Evaluations(checks.validate, checks.run)
    state, summary.resumed_from = train_loop(
        options, control, output, tm, train, general, evaluations, resuming
    )
    summary.steps = options.max_steps
    summary.base, summary.best = state["base"], state["best"] or {}
    summary.best_step = state["best_step"]
    summary.checks = {"base": state.get("checks", {}), "tuned": checks.run(tm)}
    summary.long_form_source = checks.long_form_source
    summary.result = _save_result(output, tm)
    write_report(output, options, summary)
    plot(output)
    RunRecord(options.to_dict(), "complete", summary.result.name, summary.best_step,
              summary.checks, dict(summary.skipped)).write(output)  # fmt: skip
    summary.elapsed_s = time.perf_counter() - started
    return summary


def _examples(
    options: FinetuneOptions, data: _Data, tm: TrainModel, summary: FinetuneSummary
) -> tuple[Prepared, Prepared]:
    """Training examples (recordings repeated by their weight) and general examples."""
    from devspeech.benchmark.models.soft_prompt import learned_prompt
    from devspeech.benchmark.predict import read_glossary

    tokenizer = tm.processor.tokenizer
    limit = tm.model.config.max_target_positions
    vocabulary = Vocabulary.of(tokenizer, tm.loaded.multilingual, limit, learned_prompt(tm.model))
    rows = data.train + data.recordings * options.recordings_weight
    planned = plan_examples(
        rows, options.seed, options.timestamp_fraction, options.prompt_fraction,
        read_glossary(None), options.vocabulary_prompt_fraction,
    )  # fmt: skip
    weighted = options.keyword_loss_weight != 1.0
    train = _prepare(planned, tokenizer, vocabulary, summary.skipped, weighted)
    if options.vocabulary_prompt_fraction > 0:
        train.redraw = _vocabulary_prompts(options, data, tokenizer, vocabulary)
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


def _vocabulary_prompts(
    options: FinetuneOptions, data: _Data, tokenizer: Any, vocabulary: Vocabulary
) -> Callable[[Example, int], TokenSequence]:
    """How a vocabulary-prompt example's sequence is drawn for a batch: a term list from
    its keywords and distractors (the training rows' vocabulary and made-up names)."""
    pool = tuple(sorted({k for row in data.train for k in row.labels.keywords}))
    prompts = VocabularyPrompts(pool, options.seed, max_distractors=options.vocabulary_distractors)

    def count(text: str) -> int:
        return len(tokenizer.encode(" " + text, add_special_tokens=False))

    def redraw(example: Example, batch: int) -> TokenSequence:
        prompt = prompts.prompt(example.keywords, example.id, batch, count)
        named = example.keywords if options.keyword_loss_weight != 1.0 else ()
        return build_sequence(tokenizer, vocabulary, example.text, example.segments,
                              prompt=prompt or None, keywords=named)  # fmt: skip

    return redraw


def _save_result(output: Path, tm: TrainModel) -> Path:
    """The trained result, in the folder the method names (adapter/ or model/)."""
    target = output / tm.method.result_dir
    with atomic_folder(target) as partial:
        tm.method.save(tm.model, tm.loaded, partial)
    return target
