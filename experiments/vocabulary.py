"""Vocabulary biasing without training: how many of a repository's names does untuned Whisper
write when it is given the names in play, at 100, 500 and 1,000 terms?

    python experiments/vocabulary.py [--out experiments/out-vocab] [--rows 40]
        [--model bundled:tiny.en] [--terms 100,500,1000] [--tune [--steps 400]]

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

3. With `--tune`: tiny.en tuned (the whole decoder, 400 steps) on speech of other projects
   (the standard library, click, tqdm, jiwer, markdown-it-py, git and pip --help): without
   vocabulary prompts, with them on half the rows, and with them and the loss on keyword
   tokens counted `--keyword-loss-weight` times; each benched on the same rows at the
   middle size, and with the glossary of the true names (can it copy a name it is
   given?). The test's names are mostly ones training never saw; recall on those
   (unseen names) is the column that says whether the model learned to copy. Each run's
   general-English WER (its held-out general set, base and tuned) is reported under the
   table.
4. At the middle size, base (and with `--beam-tuned` each tuned model) also decodes with
   beam search (4 beams): alone, reranked (`+rerank`), and reranked with the vocabulary
   condition and the trie.

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
    parser.add_argument("--tune", action="store_true",
                        help="Also tune tiny.en on other projects' speech, with and without "
                        "vocabulary prompts, and bench both at the middle size.")  # fmt: skip
    parser.add_argument("--train-utterances", type=int, default=1200)
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--vocabulary-prompt-fraction", type=float, default=0.5)
    parser.add_argument("--keyword-loss-weight", type=float, default=3.0)
    parser.add_argument("--beams", type=int, default=4)
    parser.add_argument(
        "--beam-tuned", action="store_true", help="Beam rows for the tuned models too (slow)."
    )
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
    shown: set[str] = set()
    sizes = [int(t) for t in comma_list(args.terms)]
    for size in sizes:
        extra = max(0, size - len(names))
        folder = out / f"bench-{size}"  # one predictions file: every result paired with none
        run = None
        for biasing, conditions in (("none", ("none", "glossary", "vocabulary")),
                                    ("trie", ("none", "vocabulary"))):  # fmt: skip
            run = run_bench(BenchOptions(**common, conditions=conditions, glossary=glossary,
                                         vocabulary=glossary, distractors=extra,
                                         biasing=biasing), folder)  # fmt: skip
        assert run is not None
        for r in (r for r in run.results if r.decoding.startswith("greedy")):
            label = _label(r)
            if label in ("none", "glossary") and label in shown:
                continue  # the same at every size: shown once
            shown.add(label)
            results.append(("—" if label in ("none", "glossary") else str(len(names) + extra),
                            label, r))  # fmt: skip
    middle_size = sizes[len(sizes) // 2]
    extra = max(0, middle_size - len(names))
    beams = {**common, "vocabulary": glossary, "distractors": extra}
    beam = _beam_rows(beams, args.beams, out / f"bench-{middle_size}")
    results += [(str(len(names) + extra), _label(r), r) for r in beam]
    notes: list[str] = []
    if args.tune:
        for name, tuned in _tune(args, out):
            folder = out / f"bench-tuned-{name}"
            run = None
            for biasing, conditions in (("none", ("none", "vocabulary", "glossary")),
                                        ("trie", ("none", "vocabulary"))):  # fmt: skip
                run = run_bench(BenchOptions(**{**common, "models": (str(tuned),)},
                                             conditions=conditions, glossary=glossary,
                                             vocabulary=glossary, distractors=extra,
                                             biasing=biasing), folder)  # fmt: skip
            assert run is not None
            greedy = [r for r in run.results if r.decoding.startswith("greedy")]
            beam = []
            if args.beam_tuned:
                beam = _beam_rows({**beams, "models": (str(tuned),)}, args.beams, folder)
            results += [(f"{len(names) + extra}, tuned {name}", _label(r), r)
                        for r in [*greedy, *beam]]  # fmt: skip
            notes.append(_general_note(name, tuned.parent))

    # what one clip costs, as an application decodes it: one at a time, one pass or two
    cost = run_bench(BenchOptions(**common, conditions=("none", "vocabulary"), batch_size=1,
                                  vocabulary=glossary, distractors=extra),
                     out / "bench-cost")  # fmt: skip
    ratio = cost.results[0].rtfx / cost.results[1].rtfx if cost.results[1].rtfx else None
    results.append((f"{middle_size} (one clip at a time)", "vocabulary", cost.results[1]))
    report = _report(args, len(rows), len(names), results, time.perf_counter() - started)
    report += "".join(f"\n{note}\n" for note in notes)
    report += (
        f"\nOne clip at a time, the two-pass condition costs {ratio:.2f}x one pass "
        f"(RTFx {cost.results[0].rtfx} against {cost.results[1].rtfx}).\n"
    )
    (out / "report.md").write_text(report, encoding="utf-8")
    print(report)


def _beam_rows(common: dict, beams: int, folder: Path) -> list[Result]:
    """Beam search alone and reranked, without a prompt, and reranked with the vocabulary
    condition and the trie: written beside the model's greedy predictions in `folder`, so
    each is paired with greedy decoding without a prompt."""
    run = None
    for conditions, biasing, rerank in ((("none",), "none", False), (("none",), "none", True),
                                        (("vocabulary",), "trie", True)):  # fmt: skip
        run = run_bench(BenchOptions(**common, conditions=conditions, decoding=f"beam:{beams}",
                                     biasing=biasing, rerank=rerank), folder)  # fmt: skip
    assert run is not None
    return [r for r in run.results if r.decoding.startswith("beam")]


def _label(result: Result) -> str:
    """none, glossary, vocabulary, trie or vocabulary+trie; with beam search, the beams and
    any reranking after it (`vocabulary+trie, beam:4+rerank`)."""
    method, *extras = result.decoding.split("+")
    label = result.condition + ("+trie" if "trie" in extras else "")
    label = label.replace("none+trie", "trie")
    if method.startswith("beam"):
        label += f", {method}" + ("+rerank" if "rerank" in extras else "")
    return label


def _general_note(name: str, run: Path) -> str:
    """The run's general-English WER before and after tuning (its held-out general set)."""
    from devspeech.run_record import RunRecord

    record = RunRecord.read(run)
    checks = record.checks if record else {}
    base = checks.get("base", {}).get("general", {}).get("wer")
    tuned = checks.get("tuned", {}).get("general", {}).get("wer")
    if base is None or tuned is None:
        return f"tuned {name}: no general-English check recorded."
    change = (tuned - base) / base if base else 0.0
    return (f"tuned {name}: general-English WER {base:.3f} before tuning, {tuned:.3f} after "
            f"({change:+.1%} relative; the run's held-out general set).")  # fmt: skip


TRAIN_PACKAGES = ("click", "tqdm", "jiwer", "markdown-it-py")


def _tune(args: argparse.Namespace, out: Path) -> list[tuple[str, Path]]:
    """tiny.en tuned (whole decoder, run F's recipe) on other projects' speech, without and
    with vocabulary prompts; the test rows' projects are never in its training data."""
    from devspeech.finetune.options import FinetuneOptions, TrainControl
    from devspeech.finetune.train import finetune
    from devspeech.run_record import RunRecord, finished

    corpus, dataset = out / "train-utterances.jsonl", out / "train-dataset"
    if not corpus.is_file():
        print("== mine training utterances", TRAIN_PACKAGES, flush=True)
        run_mine(MineRequest(output=corpus, packages=TRAIN_PACKAGES, stdlib=True,
                             help_of=("git", "pip"), limit=args.train_utterances,
                             mix="code=0.4,shell=0.2,prose=0.4", seed=args.seed))  # fmt: skip
    print("== speak training data (espeak-ng and Piper)", flush=True)
    speech = GenerateOptions(engines=("espeak", "piper"), engine_weights=("espeak=2",),
                             seed=args.seed)  # fmt: skip
    generate(corpus, dataset, speech, RunOptions(RunnerOptions(workers=2), progress=True))
    runs = []
    copying, heavier = args.vocabulary_prompt_fraction, args.keyword_loss_weight
    for name, fraction, weight in (("plain", 0.0, 1.0), ("copying", copying, 1.0),
                                   ("copying+keyword-loss", copying, heavier)):  # fmt: skip
        run = out / f"run-{name}"
        options = FinetuneOptions(
            model="bundled:tiny.en", data=str(dataset), method="decoder", learning_rate=2e-4,
            batch_size=8, max_steps=args.steps, warmup_steps=max(1, args.steps // 12),
            eval_every=max(1, args.steps // 4), eval_rows=32, timestamp_fraction=0.2,
            general_data="builtin:general-en", vocabulary_prompt_fraction=fraction,
            keyword_loss_weight=weight, seed=args.seed,
        )  # fmt: skip
        record = RunRecord.read(run)
        if record is None or not record.complete:
            print(f"== fine-tune ({name}: vocabulary prompts on {fraction:.0%} of rows)")
            finetune(options, run, TrainControl(resume=record is not None, progress=True,
                                                encoder_cache=out / "encoder-cache"))  # fmt: skip
        runs.append((name, finished(run)[1]))
    return runs


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
        "| terms | condition | keyword recall | unseen names | precision | code-aware WER | "
        "RTFx | recall - none [95% CI] (p) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for terms, condition, r in results:
        diff = ""
        paired = r.compared.differences.get("keyword_recall") if r.compared else None
        if paired is not None and paired.value is not None:
            diff = (f"{paired.value:+.3f} [{paired.low:+.3f}, {paired.high:+.3f}] "
                    f"({paired.p_value:.3f})")  # fmt: skip
        lines.append(f"| {terms} | {condition} | {_cell(r, 'keyword_recall')} | "
                     f"{_cell(r, 'keyword_recall_unseen')} | "
                     f"{_cell(r, 'keyword_precision')} | {_cell(r, 'code_wer')} | "
                     f"{r.rtfx or 0:.1f} | {diff} |")  # fmt: skip
    lines += ["", f"none: RTFx {none.rtfx}. Took {elapsed / 60:.1f} min."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
