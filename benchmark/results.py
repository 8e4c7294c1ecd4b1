"""Results files: written atomically, read back validated, printed as a compact table."""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Sequence
from pathlib import Path

from devspeech.errors import InputError, RecordError
from devspeech.files import write_text_atomic
from devspeech.jsonl import read_json
from devspeech.records import Estimate, Machine, Result
from devspeech.versions import installed_versions

RESULTS_FILE = "results.json"
PACKAGES = (
    "devspeech",
    "torch",
    "transformers",
    "peft",
    "ctranslate2",
    "faster-whisper",
    "onnxruntime",
    "jiwer",
    "whisper-normalizer",
    "numpy",
)


def machine() -> Machine:
    """The host; a GPU is named only if torch is already loaded (importing it costs a second)."""
    torch = sys.modules.get("torch")
    gpu = torch.cuda.get_device_name(0) if torch is not None and torch.cuda.is_available() else ""
    return Machine(
        platform=platform.platform(),
        cpus=os.cpu_count(),
        processor=platform.processor() or platform.machine(),
        gpu=gpu,
    )


def versions() -> dict[str, str]:
    return installed_versions(PACKAGES)


def write_results(results: Sequence[Result], path: Path) -> None:
    data = [r.to_dict() for r in results]
    write_text_atomic(path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def read_results(path: Path) -> list[Result]:
    """The results of a results.json, validated; an error names the file, entry and field."""
    hint = "give the results.json a bench run wrote"
    data = read_json(path, "a results file", hint)
    if not isinstance(data, list):
        raise InputError(f"{path}: not a results file (it holds no list of results); {hint}")
    results = []
    for index, entry in enumerate(data):
        try:
            results.append(Result.from_dict(entry))
        except RecordError as error:
            raise InputError(f"{path}: result {index}: {error}") from None
    return results


def format_results(results: Sequence[Result]) -> str:
    """A compact table: model, condition, WER, code WER, keyword recall, RTFx."""

    def cell(metric: Estimate) -> str:
        if metric.value is None or metric.low is None or metric.high is None:
            return "—"
        return f"{100 * metric.value:.1f} ({100 * metric.low:.1f}–{100 * metric.high:.1f})"

    header = (
        f"{'model':<28} {'condition':<9} {'WER %':<18} {'code WER %':<18} {'kw recall %':<18} RTFx"
    )
    lines = [header]
    for r in results:
        m = r.metrics
        rtfx = f"{r.rtfx:.1f}" if r.rtfx else "—"
        lines.append(
            f"{r.model:<28} {r.condition:<9} {cell(m['wer']):<18} "
            f"{cell(m['code_wer']):<18} {cell(m['keyword_recall']):<18} {rtfx}"
        )
    return "\n".join(lines)


# what a before/after table shows, in order: (metric, label)
BEFORE_AFTER = (
    ("keyword_recall", "keyword recall"),
    ("keyword_recall_seen", "keyword recall, names seen in training"),
    ("keyword_recall_unseen", "keyword recall, names never seen in training"),
    ("keyword_precision", "keyword precision (every term in play)"),
    ("code_wer", "code-aware WER (code and shell rows)"),
    ("wer", "WER (Whisper normalizer)"),
    ("python_ast_match", "Python AST match"),
    ("shell_match", "shell match"),
    ("exact_match", "exact match"),
    ("loop_rate", "loop rate"),
)


def format_estimate(metric: Estimate) -> str:
    """`value [low, high]` to three places, or a dash when there is none."""
    if metric.value is None or metric.low is None or metric.high is None:
        return "—"
    return f"{metric.value:.3f} [{metric.low:.3f}, {metric.high:.3f}]"


def _paired(result: Result, metric: str) -> str:
    if result.compared is None or metric not in result.compared.differences:
        return "—"
    d = result.compared.differences[metric]
    if d.value is None or d.low is None or d.high is None:
        return "—"
    return f"{d.value:+.3f} [{d.low:+.3f}, {d.high:+.3f}], p={d.p_value:.3f}"


def before_after(
    base: Result, tuned: Result, metrics: Sequence[tuple[str, str]] = BEFORE_AFTER
) -> str:
    """A markdown table of base against tuned on the same rows: each metric with its 95%
    interval, and the paired bootstrap of tuned minus base (tuned compared to base)."""
    lines = ["| metric | base | tuned | tuned - base (paired) |", "|---|---|---|---|"]
    for metric, label in metrics:
        if metric not in base.metrics or metric not in tuned.metrics:
            continue
        lines.append(
            f"| {label} | {format_estimate(base.metrics[metric])} | "
            f"{format_estimate(tuned.metrics[metric])} | {_paired(tuned, metric)} |"
        )
    return "\n".join(lines)
