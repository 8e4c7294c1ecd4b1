"""The leaderboard, built from results files alone: Markdown, CSV, a sortable HTML page, plots.

Each row is one result (model x backend x condition x dataset split) and names the exact
model spec, the data, the package versions and the machine it ran on. Rows sort by WER.
"""

from __future__ import annotations

import csv
import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from devspeech.benchmark.results import read_results
from devspeech.errors import InputError
from devspeech.records import Estimate, Result

COLUMNS: tuple[tuple[str, str], ...] = (
    ("wer", "WER %"),
    ("cer", "CER %"),
    ("code_wer", "code WER %"),
    ("keyword_f1", "keyword F1 %"),
    ("biased_wer", "B-WER %"),
    ("exact_match", "exact %"),
    ("python_ast_match", "Python AST %"),
    ("insertion_rate", "insertions %"),
)


def load_results(paths: Sequence[Path]) -> list[Result]:
    """Every result of the files, validated, best WER first."""
    rows = [result for path in paths for result in read_results(path)]
    if not rows:
        raise InputError("no results to rank")
    return sorted(rows, key=lambda r: (r.metrics["wer"].value is None, r.metrics["wer"].value or 0))


def _software(row: Result) -> str:
    versions = row.versions
    keys = {"faster-whisper": ("ctranslate2",), "onnxruntime": ("onnxruntime",)}.get(
        row.backend, ("transformers", "torch")
    )
    return ", ".join(f"{k} {versions[k]}" for k in ("devspeech", *keys) if k in versions)


def _machine(row: Result) -> str:
    machine = row.machine
    return machine.gpu or f"{machine.processor or '?'} x{machine.cpus or '?'}"


def _pct(metric: Estimate, interval: bool = True) -> str:
    if metric.value is None:
        return "—"
    value = f"{100 * metric.value:.1f}"
    if interval and metric.low is not None and metric.high is not None:
        value += f" ({100 * metric.low:.1f}–{100 * metric.high:.1f})"
    return value


def _identity(row: Result) -> list[str]:
    rtfx = f"{row.rtfx:.1f}" if row.rtfx else "—"
    return [
        row.model,
        row.backend,
        row.decoding,
        row.condition,
        f"{row.data} [{row.split}]",
        str(row.rows),
        rtfx,
    ]


HEAD = ["model", "backend", "decoding", "condition", "data", "rows", "RTFx"]


def to_markdown(rows: Sequence[Result]) -> str:
    header = [*HEAD, *(title for _, title in COLUMNS), "software", "machine"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [
            *_identity(row),
            *(_pct(row.metrics[m]) for m, _ in COLUMNS),
            _software(row),
            _machine(row),
        ]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    lines += [
        "",
        "Rates in percent with 95% bootstrap intervals; RTFx is audio seconds per "
        "transcription second after warm-up.",
    ]
    return "\n".join(lines) + "\n"


def write_csv(rows: Sequence[Result], path: Path) -> None:
    header = [*HEAD, "dataset", "failures"]
    for metric, _ in COLUMNS:
        header += [metric, f"{metric}_low", f"{metric}_high"]
    header += ["substitutions", "deletions", "insertions", "reference_words", "software", "machine"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            values: list[Any] = [
                *_identity(row),
                row.dataset,
                json.dumps(row.failures),
            ]
            for metric, _ in COLUMNS:
                m = row.metrics[metric]
                values += [m.value, m.low, m.high]
            counts = row.counts
            values += [
                counts.substitutions,
                counts.deletions,
                counts.insertions,
                counts.reference_words,
            ]
            values += [_software(row), _machine(row)]
            writer.writerow(values)


_SCRIPT = """
document.querySelectorAll("th").forEach((th, column) => th.addEventListener("click", () => {
  const body = th.closest("table").tBodies[0];
  const up = th.dataset.order !== "asc";
  th.dataset.order = up ? "asc" : "desc";
  const key = (row) => {
    const text = row.cells[column].dataset.sort ?? row.cells[column].textContent;
    const number = parseFloat(text);
    return Number.isNaN(number) ? text : number;
  };
  [...body.rows].sort((a, b) => {
    const x = key(a), y = key(b);
    return (x > y ? 1 : x < y ? -1 : 0) * (up ? 1 : -1);
  }).forEach((row) => body.appendChild(row));
}));
"""


def to_html(rows: Sequence[Result]) -> str:
    header = [*HEAD, *(title for _, title in COLUMNS), "software", "machine"]
    out = [
        "<!doctype html><html><head><meta charset='utf-8'><title>devspeech leaderboard</title>",
        "<style>body{font:14px system-ui;margin:2em}table{border-collapse:collapse}"
        "th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}th{cursor:pointer;"
        "background:#f4f4f4}td.n{text-align:right}</style></head><body>",
        "<h1>devspeech leaderboard</h1><p>Click a column to sort. Rates in percent with 95% "
        "bootstrap intervals.</p><table><thead><tr>",
    ]
    out += [f"<th>{html.escape(h)}</th>" for h in header]
    out.append("</tr></thead><tbody>")
    for row in rows:
        cells = [f"<td>{html.escape(c)}</td>" for c in _identity(row)]
        for metric, _ in COLUMNS:
            value = row.metrics[metric].value
            sort = "" if value is None else f" data-sort='{100 * value:.6f}'"
            cells.append(f"<td class='n'{sort}>{html.escape(_pct(row.metrics[metric]))}</td>")
        cells += [
            f"<td>{html.escape(_software(row))}</td>",
            f"<td>{html.escape(_machine(row))}</td>",
        ]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out += ["</tbody></table><script>", _SCRIPT, "</script></body></html>"]
    return "\n".join(out) + "\n"


def _label(row: Result) -> str:
    return f"{row.model} [{row.condition}, {row.backend}, {row.decoding}]"


def plot(rows: Sequence[Result], out: Path) -> list[Path]:
    """wer_vs_rtfx.png and wer_by_kind.png (bars with 95% intervals)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for row in rows:
        wer = row.metrics["wer"].value
        if wer is None or not row.rtfx:
            continue
        axes.scatter(row.rtfx, 100 * wer)
        axes.annotate(
            _label(row),
            (row.rtfx, 100 * wer),
            fontsize=7,
            xytext=(4, 4),
            textcoords="offset points",
        )
    axes.set_xscale("log")
    axes.set_xlabel("RTFx (audio s / transcription s, log)")
    axes.set_ylabel("WER %")
    axes.set_title("Accuracy against speed")
    figure.tight_layout()
    figure.savefig(out / "wer_vs_rtfx.png", dpi=120)
    plt.close(figure)
    written.append(out / "wer_vs_rtfx.png")

    kinds = sorted({k for row in rows for k in row.breakdowns.get("kind", {})})
    figure, axes = plt.subplots(figsize=(max(6, 1.6 * len(kinds) * max(1, len(rows)) / 2), 4.5))
    width = 0.8 / max(1, len(rows))
    for i, row in enumerate(rows):
        values, lows, highs = [], [], []
        for kind in kinds:
            bucket = row.breakdowns.get("kind", {}).get(kind)
            metric = bucket.metrics["wer"] if bucket is not None else Estimate(None, None, None)
            value, low, high = metric.value, metric.low, metric.high
            known = value is not None and low is not None and high is not None
            values.append(100 * value if value is not None else 0.0)
            lows.append(100 * (value - low) if known else 0.0)  # type: ignore[operator]
            highs.append(100 * (high - value) if known else 0.0)  # type: ignore[operator]
        positions = [k + i * width for k in range(len(kinds))]
        axes.bar(positions, values, width, yerr=[lows, highs], capsize=3, label=_label(row))
    axes.set_xticks([k + width * (len(rows) - 1) / 2 for k in range(len(kinds))], kinds)
    axes.set_ylabel("WER % (95% interval)")
    axes.set_title("WER by kind of speech")
    axes.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(out / "wer_by_kind.png", dpi=120)
    plt.close(figure)
    written.append(out / "wer_by_kind.png")
    return written


def build_leaderboard(paths: Sequence[Path], out: Path) -> tuple[list[Result], list[Path]]:
    """Write leaderboard.md/.csv/.html and the plots into `out`; returns rows and files."""
    rows = load_results(paths)
    out.mkdir(parents=True, exist_ok=True)
    (out / "leaderboard.md").write_text(to_markdown(rows), encoding="utf-8")
    write_csv(rows, out / "leaderboard.csv")
    (out / "leaderboard.html").write_text(to_html(rows), encoding="utf-8")
    files = [out / "leaderboard.md", out / "leaderboard.csv", out / "leaderboard.html"]
    files += plot(rows, out)
    return rows, files
