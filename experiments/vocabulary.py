"""Vocabulary biasing without training: how many of a repository's names does untuned Whisper
write when it is given the names in play, at 100, 500 and 1,000 terms?

    python experiments/vocabulary.py [--out experiments/out-vocab] [--rows 40]
        [--model bundled:tiny.en] [--terms 100,500,1000]

1. Mine utterances from two installed projects that the shipped distractor pool does not
   draw from (requests, rich), and speak them with Piper, clean (no room, no noise): the
   voice tiny.en hears best here, so what is measured is the names, not the voice.
2. Bench the model on `--rows` rows under:
   - none: no prompt;
   - glossary: a prompt of just the true names of those rows (what a glossary could give
     at best: the names and nothing else);
   - at each size T of `--terms` (the rows' own names plus T minus that many names of
     other projects, drawn from the shipped pool): the vocabulary condition (decode,
     prompt with the 24 terms that sound most like what was heard, decode again), trie
     shallow fusion over all T terms, and both together.
   Each result has keyword recall and precision (over every term in play), code-aware WER
   and RTFx, with 95% bootstrap intervals and a paired bootstrap against none.

The spoken dataset and every bench are kept in OUT and reused, so a rerun costs nothing
and a killed run goes on where it stopped. Prints a table and writes OUT/report.md.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from devspeech.benchmark.data import load_eval_set
from devspeech.benchmark.run import BenchOptions, run_bench
from devspeech.cli import comma_list
from devspeech.corpus.api import MineRequest, run_mine
from devspeech.generator.api import GenerateOptions, RunOptions, generate
from devspeech.records import Result
from devspeech.runner import RunnerOptions
from devspeech.vocabulary import Term, write_vocabulary

PACKAGES = ("requests", "rich")
SPLIT = "train"  # an untuned model has heard no split: all rows are equally new to it
METRICS = ("keyword_recall", "keyword_precision", "code_wer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("experiments/out-vocab"))
    parser.add_argument("--model", default="bundled:tiny.en")
    parser.add_argument("--rows", type=int, default=40)
    parser.add_argument("--terms", default="100,500,1000")
    parser.add_argument("--bonus", type=float, default=2.0, help="Trie bonus (logits).")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    corpus, dataset = out / "utterances.jsonl", out / "dataset"
    if not corpus.is_file():
        print("== mine", PACKAGES, flush=True)
        run_mine(MineRequest(output=corpus, packages=PACKAGES, limit=4 * args.rows,
                             mix="code=0.5,shell=0.1,prose=0.4", seed=args.seed))  # fmt: skip
    print("== speak with Piper, clean", flush=True)
    speech = GenerateOptions(engines=("piper",), augment="none", seed=args.seed)
    generate(corpus, dataset, speech, RunOptions(RunnerOptions(workers=2), progress=True))

    rows = list(load_eval_set(str(dataset), None, SPLIT, args.rows, ()).items())[: args.rows]
    names = list(dict.fromkeys(k for row in rows for k in row.labels.keywords))
    glossary = out / "true-names.txt"
    write_vocabulary(glossary, [Term(n) for n in names])
    print(f"== {len(rows)} rows, {len(names)} distinct names", flush=True)
    common = dict(models=(args.model,), data=str(dataset), split=SPLIT, limit=args.rows,
                  seed=args.seed, bias_bonus=args.bonus)  # fmt: skip

    results: list[tuple[str, str, Result]] = []
    for size in (int(t) for t in comma_list(args.terms)):
        extra = max(0, size - len(names))
        folder = out / f"bench-{size}"  # one predictions file: every result paired with none
        run = None
        for biasing, conditions in (("none", ("none", "glossary", "vocabulary")),
                                    ("trie", ("none", "vocabulary"))):  # fmt: skip
            run = run_bench(BenchOptions(**common, conditions=conditions, glossary=glossary,
                                         vocabulary=glossary, distractors=extra,
                                         biasing=biasing), folder)  # fmt: skip
        assert run is not None
        for r in run.results:
            label = r.condition + ("+trie" if r.decoding.endswith("+trie") else "")
            label = label.replace("none+trie", "trie")
            if label in ("none", "glossary") and results:
                continue  # the same at every size: shown once
            results.append(("—" if label in ("none", "glossary") else str(len(names) + extra),
                            label, r))  # fmt: skip
    # what one clip costs, as an application decodes it: one at a time, one pass or two
    sizes = [int(t) for t in comma_list(args.terms)]
    middle = sizes[len(sizes) // 2]
    cost = run_bench(BenchOptions(**common, conditions=("none", "vocabulary"), batch_size=1,
                                  vocabulary=glossary, distractors=max(0, middle - len(names))),
                     out / "bench-cost")  # fmt: skip
    ratio = cost.results[0].rtfx / cost.results[1].rtfx if cost.results[1].rtfx else None
    results.append((f"{middle} (one clip at a time)", "vocabulary", cost.results[1]))
    report = _report(args, len(rows), len(names), results, time.perf_counter() - started)
    report += (
        f"\nOne clip at a time, the two-pass condition costs {ratio:.2f}x one pass "
        f"(RTFx {cost.results[0].rtfx} against {cost.results[1].rtfx}).\n"
    )
    (out / "report.md").write_text(report, encoding="utf-8")
    print(report)


def _cell(result: Result, name: str) -> str:
    m = result.metrics[name]
    if m.value is None:
        return "—"
    return f"{m.value:.3f} [{m.low:.3f}, {m.high:.3f}]"


def _report(args: argparse.Namespace, rows: int, names: int,
            results: list[tuple[str, str, Result]], elapsed: float) -> str:  # fmt: skip
    none = next(r for _, c, r in results if c == "none")
    lines = [
        f"# Vocabulary biasing, untuned {args.model}",
        "",
        f"{rows} clean Piper rows mined from {', '.join(PACKAGES)}, {names} distinct names; "
        f"trie bonus {args.bonus}; greedy decoding, transformers on this machine's CPU.",
        "",
        "| terms | condition | keyword recall | precision | code-aware WER | RTFx | "
        "recall - none [95% CI] (p) |",
        "|---|---|---|---|---|---|---|",
    ]
    for terms, condition, r in results:
        diff = ""
        paired = r.compared.differences.get("keyword_recall") if r.compared else None
        if paired is not None and paired.value is not None:
            diff = (f"{paired.value:+.3f} [{paired.low:+.3f}, {paired.high:+.3f}] "
                    f"({paired.p_value:.3f})")  # fmt: skip
        lines.append(f"| {terms} | {condition} | {_cell(r, 'keyword_recall')} | "
                     f"{_cell(r, 'keyword_precision')} | {_cell(r, 'code_wer')} | "
                     f"{r.rtfx or 0:.1f} | {diff} |")  # fmt: skip
    lines += ["", f"none: RTFx {none.rtfx}. Took {elapsed / 60:.1f} min."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
