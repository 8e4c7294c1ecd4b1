"""What a finished run shows a person: report.md (base against tuned on validation, the
general set and long-form timestamps) and training.png (loss and validation scores)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from devspeech.files import write_text_atomic
from devspeech.finetune.options import FinetuneOptions
from devspeech.finetune.run_folder import read_metrics

REPORT_FILE = "report.md"
PLOT_FILE = "training.png"


def write_report(output: Path, options: FinetuneOptions, summary: Any) -> None:
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
    write_text_atomic(output / REPORT_FILE, "\n".join(lines).rstrip() + "\n")


def _cell(name: str, value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.3f} s" if name.endswith("_s") else f"{100 * value:.1f}%"


def plot(output: Path) -> None:
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
