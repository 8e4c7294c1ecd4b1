"""The leaderboard, built from results files alone: Markdown, CSV, an HTML page with plots.

Results are grouped by dataset and split, and each group is ranked on its own: a score
on one test set says nothing about a score on another. The headline columns are per kind
of speech, each under the measure that suits it: prose under Whisper's normalizer (WER),
code and shell rows under the code-aware WER (the normalizer deletes what stands inside
parentheses); then keyword recall, precision and F1, Python AST and shell match, the loop
rate and speed. A WER over all kinds is shown last, labelled as such. Every row names
the model spec and its weights (hash or Hub commit), the backend, decoding and prompt
condition, the software and the machine.
"""

from __future__ import annotations

import csv
import html
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devspeech.benchmark.results import read_results
from devspeech.errors import InputError
from devspeech.records import Estimate, Result

_NONE = Estimate(None, None, None)


def _kind(kind: str, metric: str) -> Callable[[Result], Estimate]:
    def get(row: Result) -> Estimate:
        bucket = row.breakdowns.get("kind", {}).get(kind)
        return bucket.metrics.get(metric, _NONE) if bucket is not None else _NONE

    return get


def _overall(metric: str) -> Callable[[Result], Estimate]:
    return lambda row: row.metrics.get(metric, _NONE)


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    get: Callable[[Result], Estimate]


HEADLINES: tuple[Column, ...] = (
    Column("prose_wer", "prose WER %", _kind("prose", "wer")),
    Column("code_wer_code", "code rows: code WER %", _kind("code", "code_wer")),
    Column("code_wer_shell", "shell rows: code WER %", _kind("shell", "code_wer")),
    Column("keyword_recall", "keyword recall %", _overall("keyword_recall")),
    Column("keyword_precision", "keyword precision %", _overall("keyword_precision")),
    Column("keyword_f1", "keyword F1 %", _overall("keyword_f1")),
    Column("python_ast_match", "Python AST %", _overall("python_ast_match")),
    Column("shell_match", "shell match %", _overall("shell_match")),
    Column("loop_rate", "loops %", _overall("loop_rate")),
    Column("wer", "WER % over all kinds", _overall("wer")),
)
# the per-kind error rates a group is ranked by (their mean, over the kinds it has)
RANKED_BY = ("prose_wer", "code_wer_code", "code_wer_shell")
IDENTITY = ("model", "weights", "backend", "decoding", "condition", "rows", "RTFx")


@dataclass(frozen=True)
class Group:
    """The results on one dataset split, ranked."""

    data: str
    split: str
    dataset: str
    rows: tuple[Result, ...]

    @property
    def title(self) -> str:
        return f"{self.data} [{self.split}]"

    @property
    def slug(self) -> str:
        return re.sub(r"[^A-Za-z0-9]+", "-", f"{Path(self.data).name}-{self.split}").strip("-")


def rank_score(row: Result) -> float:
    """The mean of the row's per-kind error rates (lower is better; inf when none)."""
    values = [c.get(row).value for c in HEADLINES if c.key in RANKED_BY]
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else float("inf")


def load_results(paths: Sequence[Path]) -> list[Result]:
    """Every result of the files, validated."""
    rows = [result for path in paths for result in read_results(path)]
    if not rows:
        raise InputError("no results to rank")
    return rows


def group_results(rows: Sequence[Result]) -> list[Group]:
    """Results by dataset split, in first-seen order, each group best first."""
    groups: dict[str, list[Result]] = {}
    for row in rows:
        groups.setdefault(row.dataset, []).append(row)
    return [
        Group(members[0].data, members[0].split, key, tuple(sorted(members, key=rank_score)))
        for key, members in groups.items()
    ]


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


def _weights(row: Result) -> str:
    revision = row.model_revision
    return revision.split("@")[-1][:12] if revision.startswith("hub:") else revision[:19] or "—"


def _identity(row: Result) -> list[str]:
    rtfx = f"{row.rtfx:.1f}" if row.rtfx else "—"
    return [row.model, _weights(row), row.backend, row.decoding, row.condition, str(row.rows), rtfx]


_NUMERIC = {"rows", "RTFx"}


def to_markdown(rows: Sequence[Result]) -> str:
    header = [*IDENTITY, *(c.title for c in HEADLINES), "software", "machine"]
    align = ["---:" if h in _NUMERIC or h.endswith("%") else "---" for h in header]
    lines: list[str] = []
    for group in group_results(rows):
        lines += [f"### {group.title}", "", "| " + " | ".join(header) + " |"]
        lines.append("|" + "|".join(align) + "|")
        for row in group.rows:
            cells = [*_identity(row), *(_pct(c.get(row)) for c in HEADLINES)]
            cells += [_software(row), _machine(row)]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        lines.append("")
    lines.append(
        "Each dataset split is ranked on its own, by the mean of its per-kind error rates "
        "(prose WER, code-aware WER on code and on shell rows). Rates in percent with 95% "
        "bootstrap intervals; RTFx is audio seconds per transcription second after warm-up."
    )
    return "\n".join(lines) + "\n"


def write_csv(rows: Sequence[Result], path: Path) -> None:
    header = ["data", "split", "dataset", *IDENTITY, "model_revision", "failures"]
    for column in HEADLINES:
        header += [column.key, f"{column.key}_low", f"{column.key}_high"]
    extra = ("cer", "code_wer", "biased_wer", "unbiased_wer", "exact_match", "insertion_rate")
    for metric in extra:
        header += [metric, f"{metric}_low", f"{metric}_high"]
    header += ["substitutions", "deletions", "insertions", "reference_words", "software", "machine"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for group in group_results(rows):
            for row in group.rows:
                values: list[Any] = [row.data, row.split, row.dataset, *_identity(row)]
                values += [row.model_revision, json.dumps(row.failures)]
                for column in HEADLINES:
                    m = column.get(row)
                    values += [m.value, m.low, m.high]
                for metric in extra:
                    m = row.metrics.get(metric, _NONE)
                    values += [m.value, m.low, m.high]
                counts = row.counts
                values += [counts.substitutions, counts.deletions, counts.insertions,
                           counts.reference_words, _software(row), _machine(row)]  # fmt: skip
                writer.writerow(values)


_SCRIPT = """
document.querySelectorAll("th").forEach((th) => th.addEventListener("click", () => {
  const column = th.cellIndex;
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


def to_html(rows: Sequence[Result], plots: dict[str, list[Path]] | None = None) -> str:
    header = [*IDENTITY, *(c.title for c in HEADLINES), "software", "machine"]
    out = [
        "<!doctype html><html><head><meta charset='utf-8'><title>devspeech leaderboard</title>",
        "<style>body{font:14px system-ui;margin:2em}table{border-collapse:collapse}"
        "th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}th{cursor:pointer;"
        "background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}"
        "img{max-width:48%;margin:1em 1% 0 0}</style></head><body>",
        "<h1>devspeech leaderboard</h1><p>Each dataset split is ranked on its own, by the mean "
        "of its per-kind error rates. Click a column to sort. Rates in percent with 95% "
        "bootstrap intervals.</p>",
    ]
    for group in group_results(rows):
        out.append(f"<h2>{html.escape(group.title)}</h2><table><thead><tr>")
        out += [f"<th>{html.escape(h)}</th>" for h in header]
        out.append("</tr></thead><tbody>")
        for row in group.rows:
            cells = []
            for name, value in zip(IDENTITY, _identity(row), strict=True):
                numeric = " class='n'" if name in _NUMERIC else ""
                cells.append(f"<td{numeric}>{html.escape(value)}</td>")
            for column in HEADLINES:
                metric = column.get(row)
                sort = "" if metric.value is None else f" data-sort='{100 * metric.value:.6f}'"
                cells.append(f"<td class='n'{sort}>{html.escape(_pct(metric))}</td>")
            cells += [f"<td>{html.escape(_software(row))}</td>",
                      f"<td>{html.escape(_machine(row))}</td>"]  # fmt: skip
            out.append("<tr>" + "".join(cells) + "</tr>")
        out.append("</tbody></table>")
        for image in (plots or {}).get(group.dataset, []):
            out.append(f"<img src='{html.escape(image.name)}' alt='{html.escape(image.stem)}'>")
    out += ["<script>", _SCRIPT, "</script></body></html>"]
    return "\n".join(out) + "\n"


def _label(row: Result) -> str:
    return f"{row.model} [{row.condition}, {row.backend}, {row.decoding}]"


def plot(rows: Sequence[Result], out: Path) -> dict[str, list[Path]]:
    """Per dataset split: error rate against speed, and error rate per kind with 95%
    intervals; points are numbered and the legend names each (model, condition, backend,
    decoding), the title the dataset and split, so no label sits on another; axes from 0."""
    import matplotlib

    matplotlib.use("Agg")

    written: dict[str, list[Path]] = {}
    for index, group in enumerate(group_results(rows), 1):
        stem = out / f"{index}-{group.slug}"  # numbered: two datasets may share a name
        written[group.dataset] = [_speed_plot(group, stem), _kinds_plot(group, stem)]
    return written


def _save(figure: Any, axes: Any, title: str, path: Path) -> Path:
    import matplotlib.pyplot as plt

    axes.set_ylim(bottom=0)
    axes.set_title(title, fontsize=10)
    if axes.get_legend_handles_labels()[0]:
        axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def _speed_plot(group: Group, stem: Path) -> Path:
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 4.8))
    for number, row in enumerate(group.rows, 1):
        score = rank_score(row)
        if score == float("inf") or not row.rtfx:
            continue
        axes.scatter(row.rtfx, 100 * score, label=f"{number}: {_label(row)}")
        axes.annotate(str(number), (row.rtfx, 100 * score), fontsize=8,
                      xytext=(4, 4), textcoords="offset points")  # fmt: skip
    axes.set_xlim(left=0)
    axes.set_xlabel("RTFx (audio s per transcription s)")
    axes.set_ylabel("mean per-kind error rate %")
    title = f"Accuracy against speed — {group.title}"
    return _save(figure, axes, title, stem.with_name(stem.name + "-speed.png"))


def _kinds_plot(group: Group, stem: Path) -> Path:
    import matplotlib.pyplot as plt

    kinds = [c for c in HEADLINES if c.key in RANKED_BY]
    figure, axes = plt.subplots(figsize=(8, 4.8))
    width = 0.8 / max(1, len(group.rows))
    for i, row in enumerate(group.rows):
        estimates = [column.get(row) for column in kinds]
        values = [100 * (e.value or 0.0) for e in estimates]
        spans = [
            (100 * (e.value - e.low), 100 * (e.high - e.value))
            if e.value is not None and e.low is not None and e.high is not None
            else (0.0, 0.0)
            for e in estimates
        ]
        positions = [k + i * width for k in range(len(kinds))]
        axes.bar(positions, values, width, yerr=list(zip(*spans, strict=True)), capsize=3,
                 label=f"{i + 1}: {_label(row)}")  # fmt: skip
    axes.set_xticks(
        [k + width * (len(group.rows) - 1) / 2 for k in range(len(kinds))],
        ["prose: WER", "code rows: code WER", "shell rows: code WER"],
    )
    axes.set_ylabel("error rate % (95% interval)")
    title = f"Errors by kind of speech — {group.title}"
    return _save(figure, axes, title, stem.with_name(stem.name + "-kinds.png"))


def build_leaderboard(paths: Sequence[Path], out: Path) -> tuple[list[Result], list[Path]]:
    """Write leaderboard.md/.csv/.html and the plots into `out`; returns rows and files."""
    rows = load_results(paths)
    out.mkdir(parents=True, exist_ok=True)
    plots = plot(rows, out)
    (out / "leaderboard.md").write_text(to_markdown(rows), encoding="utf-8")
    write_csv(rows, out / "leaderboard.csv")
    (out / "leaderboard.html").write_text(to_html(rows, plots), encoding="utf-8")
    files = [out / "leaderboard.md", out / "leaderboard.csv", out / "leaderboard.html"]
    return rows, files + [p for group in plots.values() for p in group]
