"""`bench`: transcribe a dataset with each model under each prompt condition, then score.

Predictions are appended to predictions.jsonl as each batch finishes, raw (before any
normalization), so a killed run resumes where it stopped and `score` can re-score them
without running a model. Results (one object per model x dataset x split x condition,
every rate with its 95% bootstrap interval, breakdowns, speed, versions and machine) go
to results.json; the leaderboard reads only those.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from devspeech.benchmark.bootstrap import bootstrap
from devspeech.benchmark.data import EvalItem, EvalSet, decode, load_eval_set
from devspeech.benchmark.metrics import RATES, RowScore, Segment, score_pair
from devspeech.errors import InputError
from devspeech.generator.speech import SAMPLE_RATE
from devspeech.versions import installed_versions

CONDITIONS = ("none", "glossary", "oracle")
PREDICTIONS_FILE = "predictions.jsonl"
RESULTS_FILE = "results.json"
BREAKDOWNS = ("kind", "engine", "noise")
BREAKDOWN_METRICS = ("wer", "code_wer", "keyword_recall", "exact_match")
COMPARED_METRICS = ("wer", "code_wer", "keyword_recall")
PACKAGES = (
    "devspeech",
    "torch",
    "transformers",
    "peft",
    "ctranslate2",
    "faster-whisper",
    "jiwer",
    "whisper-normalizer",
    "numpy",
)


def default_glossary() -> str:
    return resources.files("devspeech.benchmark").joinpath("data/glossary.txt").read_text("utf-8")


def read_glossary(path: Path | None) -> str:
    """The glossary prompt: the file's non-comment lines joined by commas."""
    text = path.read_text(encoding="utf-8") if path is not None else default_glossary()
    terms = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    prompt = ", ".join(t for t in terms if t)
    if not prompt:
        raise InputError(f"the glossary {path} holds no terms")
    return prompt


@dataclass(frozen=True)
class BenchOptions:
    models: tuple[str, ...]
    data: str | None = None
    audio_dir: Path | None = None
    split: str = "test"
    conditions: tuple[str, ...] = ("none",)
    glossary: Path | None = None
    backend: str = "transformers"
    compute_type: str = "int8"  # faster-whisper; transformers runs float32 unless float16/bf16
    device: str = "cpu"
    batch_size: int = 8
    max_new_tokens: int | None = None
    limit: int | None = None
    kinds: tuple[str, ...] = ()
    strict: bool = False
    resamples: int = 1000
    seed: int = 0


def prompt_for(condition: str, item: EvalItem, glossary: str) -> str | None:
    if condition == "none":
        return None
    if condition == "glossary":
        return glossary
    if condition == "oracle":
        return ", ".join(item.keywords) or None
    raise InputError(f"unknown condition {condition!r}; available: {', '.join(CONDITIONS)}")


def _done_keys(path: Path, fingerprint: str) -> set[tuple[str, str, str]]:
    """(model, condition, id) already predicted; refuses a file from another dataset."""
    done: set[tuple[str, str, str]] = set()
    if not path.is_file():
        return done
    for line in _read_predictions(path):
        if line["dataset"] != fingerprint:
            raise InputError(
                f"{path} holds predictions for another dataset ({line['dataset']}, this is "
                f"{fingerprint}); write to another folder"
            )
        done.add((line["model"], line["condition"], line["id"]))
    return done


def _drop_partial_line(path: Path) -> None:
    """Cut a line a killed run left half-written, so appending starts on a fresh line."""
    if not path.is_file():
        return
    with path.open("rb+") as handle:
        data = handle.read()
        if data and not data.endswith(b"\n"):
            handle.truncate(data.rfind(b"\n") + 1)


def _read_predictions(path: Path) -> Iterable[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            try:
                line = json.loads(raw)
            except json.JSONDecodeError:
                if not raw.endswith("\n"):  # the last line of a killed run: redone on resume
                    continue
                raise InputError(f"{path}:{number} is not JSON") from None
            for key in ("id", "model", "condition", "reference", "prediction", "dataset"):
                if key not in line:
                    raise InputError(f"{path}:{number} has no {key!r}; not a predictions file")
            yield line


def _batches(items: Sequence[EvalItem], size: int) -> Iterable[list[EvalItem]]:
    """Short and long-form rows apart (one decodes with timestamps), `size` at a time."""
    for long_form in (False, True):
        group = [i for i in items if i.long_form == long_form]
        for start in range(0, len(group), size):
            yield group[start : start + size]


@dataclass
class BenchRun:
    eval_set: EvalSet
    predicted: int = 0
    skipped: int = 0
    results: list[dict[str, Any]] = field(default_factory=list)


def run_bench(
    options: BenchOptions,
    output: Path,
    progress: Callable[[str, int, int], None] | None = None,
) -> BenchRun:
    """Predict every (model, condition, row) not already in output/predictions.jsonl, then score."""
    from devspeech.benchmark.backends import DecodeOptions, load_backend
    from devspeech.benchmark.models import parse_spec

    specs = [parse_spec(m) for m in options.models]  # every spec checked before any work
    for condition in options.conditions:
        if condition not in CONDITIONS:
            raise InputError(f"unknown condition {condition!r}; available: {', '.join(CONDITIONS)}")
    glossary = read_glossary(options.glossary) if "glossary" in options.conditions else ""
    eval_set = load_eval_set(
        options.data, options.audio_dir, options.split, options.limit, options.kinds, options.strict
    )
    if not eval_set.items:
        raise InputError(f"{eval_set.name} ({eval_set.split}) has no rows to benchmark")
    output.mkdir(parents=True, exist_ok=True)
    path = output / PREDICTIONS_FILE
    _drop_partial_line(path)
    done = _done_keys(path, eval_set.fingerprint)
    run = BenchRun(eval_set)
    with path.open("a", encoding="utf-8") as sink:
        for spec in specs:
            todo = {
                c: [i for i in eval_set.items if (spec.text, c, i.id) not in done]
                for c in options.conditions
            }
            run.skipped += sum(len(eval_set.items) - len(v) for v in todo.values())
            if not any(todo.values()):
                continue
            decoding = DecodeOptions(options.device, options.compute_type, options.max_new_tokens)
            backend = load_backend(options.backend, spec, decoding)
            first = eval_set.items[0]
            backend.transcribe([decode(first.audio)], None, first.long_form)  # warm-up, untimed
            for condition, items in todo.items():
                batch_size = 1 if condition == "oracle" else options.batch_size
                labels = {"model": spec.text, "backend": options.backend, "condition": condition}
                for batch in _batches(items, batch_size):
                    prompt = prompt_for(condition, batch[0], glossary)
                    for line in _predict_batch(backend, batch, prompt, eval_set, labels):
                        sink.write(json.dumps(line, ensure_ascii=False) + "\n")
                    sink.flush()
                    run.predicted += len(batch)
                    if progress is not None:
                        progress(f"{spec.text} [{condition}]", len(batch), len(items))
    run.results = score_file(path, options.resamples, options.seed, eval_set.failures)
    write_results(run.results, output / RESULTS_FILE)
    return run


def _predict_batch(
    backend: Any,
    batch: list[EvalItem],
    prompt: str | None,
    eval_set: EvalSet,
    labels: dict[str, str],
) -> list[dict[str, Any]]:
    """Prediction lines of one batch, raw text; `labels` name model, backend and condition.

    The batch's wall time is shared among its rows in proportion to their audio.
    """
    audios = [decode(item.audio) for item in batch]
    started = time.perf_counter()
    transcripts = backend.transcribe(audios, prompt, batch[0].long_form)
    elapsed = time.perf_counter() - started
    total_s = sum(len(a) for a in audios) / SAMPLE_RATE
    lines = []
    for item, audio, transcript in zip(batch, audios, transcripts, strict=True):
        audio_s = len(audio) / SAMPLE_RATE
        line: dict[str, Any] = {
            "id": item.id,
            **labels,
            "reference": item.reference,
            "prediction": transcript.text,
            "audio_s": round(audio_s, 3),
            "elapsed_s": round(elapsed * audio_s / total_s, 6),
            "dataset": eval_set.fingerprint,
            "data": eval_set.name,
            "split": eval_set.split,
            "meta": item.meta(),
        }
        if transcript.segments is not None:
            line["segments"] = [[s.text, s.start, s.end] for s in transcript.segments]
        lines.append(line)
    return lines


def _row_score(line: dict[str, Any]) -> RowScore:
    meta = line.get("meta") or {}
    predicted = line.get("segments")
    return score_pair(
        line["reference"],
        line["prediction"],
        keywords=meta.get("keywords") or (),
        kind=meta.get("kind", "unknown"),
        language=meta.get("language", ""),
        duration_s=float(meta.get("duration_s") or line.get("audio_s") or 0.0),
        reference_segments=[Segment(*s) for s in meta.get("segments") or ()],
        predicted_segments=None if predicted is None else [Segment(*s) for s in predicted],
    )


def _metrics(scores: Sequence[RowScore], names: Iterable[str], resamples: int, seed: int):
    return {name: bootstrap(scores, name, resamples, seed).to_dict() for name in names}


def machine() -> dict[str, Any]:
    """The host; a GPU is named only if torch is already loaded (importing it costs a second)."""
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def versions() -> dict[str, str]:
    return installed_versions(PACKAGES)


def score_predictions(
    lines: Sequence[dict[str, Any]],
    resamples: int = 1000,
    seed: int = 0,
    failures: dict[str, int] | None = None,
) -> list[dict[str, Any]]:
    """One result per (model, backend, condition) of the predictions, in first-seen order."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for line in lines:
        groups[(line["model"], line.get("backend", ""), line["condition"])].append(line)
    datasets = {line["dataset"] for line in lines}
    if len(datasets) > 1:
        raise InputError(f"the predictions mix datasets: {', '.join(sorted(datasets))}")
    results = []
    host, software = machine(), versions()
    baseline: dict[str, RowScore] | None = None
    for (model, backend, condition), group in groups.items():
        scores = [_row_score(line) for line in group]
        by_id = {line["id"]: score for line, score in zip(group, scores, strict=True)}
        compared = {}
        if baseline is None:
            baseline, baseline_label = by_id, f"{model} [{condition}, {backend}]"
        else:
            compared = _compare(by_id, baseline, baseline_label, resamples, seed)
        audio_s = sum(float(line.get("audio_s") or 0.0) for line in group)
        elapsed_s = sum(float(line.get("elapsed_s") or 0.0) for line in group)
        breakdowns: dict[str, dict[str, Any]] = {}
        for axis in BREAKDOWNS:
            buckets: dict[str, list[RowScore]] = defaultdict(list)
            for line, score in zip(group, scores, strict=True):
                buckets[str((line.get("meta") or {}).get(axis) or "unknown")].append(score)
            breakdowns[axis] = {
                value: {"rows": len(bucket), **_metrics(bucket, BREAKDOWN_METRICS, resamples, seed)}
                for value, bucket in sorted(buckets.items())
            }
        results.append(
            {
                "model": model,
                "backend": backend,
                "condition": condition,
                "data": group[0].get("data", ""),
                "dataset": group[0]["dataset"],
                "split": group[0].get("split", ""),
                "rows": len(group),
                "failures": dict(failures or {}),
                "metrics": _metrics(scores, RATES, resamples, seed),
                "counts": {
                    "substitutions": sum(s.substitutions for s in scores),
                    "deletions": sum(s.deletions for s in scores),
                    "insertions": sum(s.insertions for s in scores),
                    "reference_words": int(sum(s.counts["std_ref"] for s in scores)),
                },
                "audio_s": round(audio_s, 3),
                "elapsed_s": round(elapsed_s, 3),
                "rtfx": round(audio_s / elapsed_s, 2) if elapsed_s else None,
                "breakdowns": breakdowns,
                "compared": compared,
                "versions": software,
                "machine": host,
            }
        )
    return results


def _compare(
    scores: dict[str, RowScore],
    baseline: dict[str, RowScore],
    label: str,
    resamples: int,
    seed: int,
) -> dict[str, Any]:
    """Paired bootstrap of this result minus the first one, on the rows both have."""
    from devspeech.benchmark.bootstrap import paired_bootstrap

    shared = [i for i in scores if i in baseline]
    if not shared:
        return {}
    out: dict[str, Any] = {"baseline": label, "rows": len(shared)}
    for metric in COMPARED_METRICS:
        result = paired_bootstrap(
            [scores[i] for i in shared], [baseline[i] for i in shared], metric, resamples, seed
        )
        out[metric] = {**result.difference.to_dict(), "p_value": result.p_value}
    return out


def score_file(
    path: Path,
    resamples: int = 1000,
    seed: int = 0,
    failures: dict[str, int] | None = None,
    expect_dataset: str | None = None,
) -> list[dict[str, Any]]:
    lines = list(_read_predictions(path))
    if not lines:
        raise InputError(f"{path} holds no predictions")
    if expect_dataset is not None and lines[0]["dataset"] != expect_dataset:
        raise InputError(
            f"{path} holds predictions for {lines[0]['dataset']}, not for {expect_dataset}"
        )
    return score_predictions(lines, resamples, seed, failures)


def write_results(results: list[dict[str, Any]], path: Path) -> None:
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    partial.replace(path)


def format_results(results: Sequence[dict[str, Any]]) -> str:
    """A compact table: model, condition, WER, code WER, keyword recall, RTFx."""

    def cell(metric: dict[str, Any]) -> str:
        if metric["value"] is None:
            return "—"
        return f"{100 * metric['value']:.1f} ({100 * metric['low']:.1f}–{100 * metric['high']:.1f})"

    header = (
        f"{'model':<28} {'condition':<9} {'WER %':<18} {'code WER %':<18} {'kw recall %':<18} RTFx"
    )
    lines = [header]
    for r in results:
        m = r["metrics"]
        rtfx = f"{r['rtfx']:.1f}" if r["rtfx"] else "—"
        lines.append(
            f"{r['model']:<28} {r['condition']:<9} {cell(m['wer']):<18} "
            f"{cell(m['code_wer']):<18} {cell(m['keyword_recall']):<18} {rtfx}"
        )
    return "\n".join(lines)
