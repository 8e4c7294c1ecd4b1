"""Every fine-tune method on one held-out table: what each costs, what it gains, what it breaks.

    python experiments/methods.py [--out experiments/out-methods] [--data DIR --general DIR]
        [--model bundled:tiny.en] [--steps 300] [--kinds lora,lora-decoder,...] [--export]
        [--versus OTHER_OUT]

1. The data: with `--data` and `--general`, spoken datasets that have train, validation
   and test_heldout splits (experiments/lora_heldout.py makes them); otherwise the
   developer and general corpora of that experiment are mined and spoken here with
   espeak-ng and Piper, Piper's voices held out (no Kokoro: its 3x real time would take
   most of the run), once, and reused.
2. Every kind (a method, `-decoder` for an adapter on the decoder alone, `-topN` for
   `--train-layers N`) trains `--steps` steps of the same recipe (lr per kind below, the
   general set mixed into every batch, 20% timestamp rows), each in its own process, so
   its peak memory is its own. The cached-encoder kinds share one encoder cache.
3. Base and each result are benched on the developer and general test_heldout splits
   (greedy, transformers); base's predictions are made once and shared, so each result
   is paired with base on the same rows. With `--export`, each result is exported to
   CTranslate2 int8 and benched through faster-whisper for its size and RTFx.

One table: kind, trainable parameters, seconds per step (median after the first epoch)
and peak memory, keyword recall on names seen and unseen in training, code-aware WER with
its paired difference against base, general-English WER and the KL divergence of the
result's next-token distributions from base's on that general speech (teacher-forced on
the references), timestamps well formed and loop rate on long-form rows (the run's own
check), and the export's size and RTFx. Every stage is kept in OUT and skipped when done,
so a killed run goes on where it stopped.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

from devspeech.benchmark.predict import PREDICTIONS_FILE
from devspeech.benchmark.run import BenchOptions, run_bench
from devspeech.records import Result

KINDS = ("lora", "lora-decoder", "dora-decoder", "ia3-decoder", "bottleneck-decoder", "prompt",
         "deep-prompt", "decoder", "decoder-top2", "progressive", "full")  # fmt: skip
TIMING = "timing.json"


def kind_options(kind: str) -> dict[str, Any]:
    """FinetuneOptions fields of a kind: its variant's, and its method's learning rate (the
    CLI's default for it: larger for fewer, newer parameters)."""
    from devspeech.finetune.methods import get_method, variant_options

    fields = variant_options(kind)
    return {**fields, "learning_rate": get_method(str(fields["method"])).learning_rate}


def train_child(kind: str, out: Path, model: str, steps: int, data: Path, general: Path) -> None:
    """Train one kind in this process; write its step times, trainable parameters and peak
    memory beside the run."""
    from devspeech.finetune.options import FinetuneOptions, TrainControl
    from devspeech.finetune.train import finetune
    from devspeech.run_record import RunRecord

    options = FinetuneOptions(model=model, data=str(data), general_data=str(general),
                              max_steps=steps, warmup_steps=max(1, steps // 12),
                              eval_every=max(1, steps // 4), eval_rows=48,
                              timestamp_fraction=0.2, **kind_options(kind))  # fmt: skip
    run = out / f"run-{kind}"
    marks = [time.perf_counter()]
    control = TrainControl(resume=RunRecord.read(run) is not None, progress=True,
                           encoder_cache=out / f"encoder-cache-{model.replace(':', '-')}",
                           after_step=lambda _: marks.append(time.perf_counter()))  # fmt: skip
    summary = finetune(options, run, control)
    timing = {"step_s": [b - a for a, b in pairwise(marks)], "resumed_from": summary.resumed_from,
              "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
              "trainable": summary.trained_parameters}  # fmt: skip
    (run / TIMING).write_text(json.dumps(timing), encoding="utf-8")


def speak(out: Path, seed: int) -> tuple[Path, Path]:
    """The held-out experiment's corpora spoken by espeak-ng and Piper (Piper held out)."""
    from lora_heldout import PACKAGES  # experiments/ is on the path of a script run there

    from devspeech.corpus.api import MineRequest, run_mine
    from devspeech.generator.api import GenerateOptions, RunOptions, generate
    from devspeech.runner import RunnerOptions

    developer, general = out / "developer.jsonl", out / "general.jsonl"
    if not developer.is_file():
        run_mine(MineRequest(output=developer, stdlib=True, packages=PACKAGES,
                             help_of=("git", "pip"), limit=2400,
                             mix="code=0.4,shell=0.2,prose=0.4", seed=seed))  # fmt: skip
    if not general.is_file():
        run_mine(MineRequest(output=general, stdlib=True, limit=700, general=True, seed=seed))
    speech = GenerateOptions(engines=("espeak", "piper"), engine_weights=("espeak=2",), seed=seed)
    for corpus in (developer, general):
        folder = out / corpus.stem
        generate(corpus, folder, speech, RunOptions(RunnerOptions(workers=2), progress=True))
    return out / "developer", out / "general"


def bench_paired(model: str, result: Path, data: Path, out: Path, slug: str) -> list[Result]:
    """Base and the result on data's test_heldout; base's predictions shared by all."""
    options = BenchOptions(models=(model,), data=str(data), split="test_heldout")
    base = out / f"bench-base-{slug}"
    run_bench(options, base)
    folder = out / f"bench-{result.parent.name}-{slug}"
    if not (folder / PREDICTIONS_FILE).is_file():
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(base / PREDICTIONS_FILE, folder / PREDICTIONS_FILE)
    return run_bench(BenchOptions(models=(model, str(result)), data=str(data),
                                  split="test_heldout"), folder).results  # fmt: skip


def kl_to_base(model: str, result: Path, general: Path, out: Path) -> float:
    """How far the result moved from base on general speech: the mean, over the reference
    tokens of general test_heldout (teacher-forced), of KL(base || tuned) in nats."""
    import torch

    from devspeech.benchmark.backends import prompt_ids
    from devspeech.benchmark.models import parse_spec
    from devspeech.benchmark.models.soft_prompt import learned_prompt
    from devspeech.benchmark.models.whisper import load_whisper
    from devspeech.finetune.collate import features
    from devspeech.finetune.examples import read_split

    cached = out / f"kl-{result.parent.name}.json"
    if cached.is_file():
        return float(json.loads(cached.read_text(encoding="utf-8"))["kl"])
    base, tuned = load_whisper(parse_spec(model)), load_whisper(parse_spec(str(result)))
    tokenizer = base.processor.tokenizer
    # a soft prompt's model decodes after its prompt: so it is compared, on the same tokens
    learned = learned_prompt(tuned.model)
    opening = prompt_ids(tokenizer, None, learned) if learned else []
    total, count = 0.0, 0
    with torch.no_grad():
        for item in read_split(str(general), "test_heldout"):
            ids = tokenizer(item.reference).input_ids  # start tokens included
            mel = features(base.processor, [item.audio])
            p = base.model.eval()(mel, decoder_input_ids=torch.tensor([ids])).logits
            q = tuned.model.eval()(mel, decoder_input_ids=torch.tensor([opening + ids])).logits
            p, q = p.log_softmax(-1), q[:, len(opening) :].log_softmax(-1)
            total += float((p.exp() * (p - q)).sum())
            count += len(ids)
    kl = total / max(1, count)
    cached.write_text(json.dumps({"kl": kl, "tokens": count}), encoding="utf-8")
    return kl


def export_figures(run: Path, data: Path, out: Path) -> tuple[float, float | None]:
    """(size in MB, RTFx on developer test_heldout) of the run's CTranslate2 int8 export."""
    from devspeech.finetune.export import ExportOptions, export

    folder = out / f"export-{run.name}"
    if not folder.is_dir():
        export(run, folder, ExportOptions(format="ct2"))
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6
    bench = BenchOptions(models=(str(folder),), data=str(data), split="test_heldout")
    (result,) = run_bench(bench, out / f"bench-export-{run.name}").results
    return size, result.rtfx


def _cell(result: Result, metric: str, digits: int = 3) -> str:
    m = result.metrics.get(metric)
    if m is None or m.value is None:
        return "—"
    return f"{m.value:.{digits}f} [{m.low:.{digits}f}, {m.high:.{digits}f}]"


def versus(out: Path, other: Path, kinds: list[str]) -> str:
    """Each kind trained in both OUT folders (two base models), paired on the same
    developer test_heldout rows: the other's result minus this one's."""
    from devspeech.benchmark.predict import read_predictions
    from devspeech.benchmark.score import score_predictions

    lines = ["", f"## {other} against {out}, paired on the same rows", "",
             "| kind | keyword recall | code-aware WER |", "|---|---|---|"]  # fmt: skip
    for kind in kinds:
        found = [other / f"bench-run-{kind}-developer" / PREDICTIONS_FILE,
                 out / f"bench-run-{kind}-developer" / PREDICTIONS_FILE]  # fmt: skip
        if not all(path.is_file() for path in found):
            continue
        tuned = [line for path in reversed(found) for line in read_predictions(path)
                 if Path(line.model).parent.name == f"run-{kind}"]  # fmt: skip
        _, theirs = score_predictions(tuned, 1000, 0)
        lines.append(f"| {kind} | {_paired(theirs, 'keyword_recall')} | "
                     f"{_paired(theirs, 'code_wer')} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _paired(result: Result, metric: str) -> str:
    d = result.compared.differences.get(metric) if result.compared else None
    if d is None or d.value is None:
        return "—"
    return f"{d.value:+.3f} [{d.low:+.3f}, {d.high:+.3f}] ({d.p_value:.3f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("experiments/out-methods"))
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--general", type=Path, default=None)
    parser.add_argument("--model", default="bundled:tiny.en")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--export", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--versus",
        type=Path,
        default=None,
        help="Another OUT (another --model): each kind both trained, paired.",
    )
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    if (args.data is None) != (args.general is None):
        parser.error("give --data and --general together, or neither")
    data, general = (args.data, args.general) if args.data else speak(out, args.seed)
    if args.child:
        train_child(args.child, out, args.model, args.steps, data, general)
        return
    started = time.perf_counter()
    from devspeech.run_record import RunRecord, finished

    rows = []
    for kind in [k for k in args.kinds.split(",") if k]:
        run = out / f"run-{kind}"
        record = RunRecord.read(run)
        if record is None or not record.complete or not (run / TIMING).is_file():
            print(f"== train {kind}", flush=True)
            subprocess.run([sys.executable, __file__, "--child", kind, "--out", str(out),
                            "--data", str(data), "--general", str(general),
                            "--model", args.model, "--steps", str(args.steps)],
                           check=True)  # fmt: skip
        record, result = finished(run)
        timing = json.loads((run / TIMING).read_text(encoding="utf-8"))
        print(f"== bench {kind}", flush=True)
        base, developer = bench_paired(args.model, result, data, out, "developer")
        base_plain, plain = bench_paired(args.model, result, general, out, "general")
        exported = export_figures(run, data, out) if args.export else None
        kl = kl_to_base(args.model, result, general, out)
        if not rows:
            rows.append(("base", None, None, base, base_plain, None, None))
        rows.append((kind, record, timing, developer, plain, exported, kl))
    report = _render(args, rows, time.perf_counter() - started)
    if args.versus is not None:
        report += versus(out, args.versus, [row[0] for row in rows[1:]])
    (out / "report.md").write_text(report, encoding="utf-8")
    print(report)


def _render(args: argparse.Namespace, rows: list[Any], elapsed: float) -> str:
    lines = [
        f"# Fine-tune methods, {args.model}, {args.steps} steps of 8",
        "",
        "| kind | trained | s/step | peak MiB | recall seen | recall unseen | code-aware WER "
        "| - base (paired, p) | general WER | - base (paired, p) | KL to base "
        "| timestamps well formed | loops | export MB | export RTFx |",
        "|---" * 15 + "|",
    ]
    # base's long-form checks, as the first run measured them on the same rows
    first = next((row[1] for row in rows if row[1] is not None), None)
    base_checks = first.checks.get("base", {}).get("long_form", {}) if first else {}
    for kind, record, timing, developer, plain, exported, kl in rows:
        if record is None:  # base: recall not split, nothing trained
            lines.append(f"| {kind} | — | — | — | {_cell(developer, 'keyword_recall')} (all) | "
                         f"— | {_cell(developer, 'code_wer')} | | {_cell(plain, 'wer')} | | 0 | "
                         f"{_share(base_checks.get('timestamp_well_formed'))} | "
                         f"{_share(base_checks.get('loop_rate'))} | | |")  # fmt: skip
            continue
        steps = timing["step_s"]
        epoch = max(1, len(steps) // 4)  # the cache is warm after the first epoch or so
        step_s = statistics.median(steps[epoch:] or steps)
        checks = record.checks.get("tuned", {}).get("long_form", {})
        well = checks.get("timestamp_well_formed")
        loops = checks.get("loop_rate")
        size, rtfx = exported if exported else (None, None)
        lines.append(
            f"| {kind} | {timing['trainable'] / 1e6:.2f}M | {step_s:.2f} | "
            f"{timing['peak_mib']:.0f} | {_cell(developer, 'keyword_recall_seen')} | "
            f"{_cell(developer, 'keyword_recall_unseen')} | {_cell(developer, 'code_wer')} | "
            f"{_paired(developer, 'code_wer')} | {_cell(plain, 'wer')} | "
            f"{_paired(plain, 'wer')} | {kl:.3f} | {_share(well)} | {_share(loops)} | "
            f"{'—' if size is None else f'{size:.0f}'} | {'—' if rtfx is None else rtfx} |"
        )
    lines += ["", f"Took {elapsed / 60:.1f} min for the stages this invocation ran."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
