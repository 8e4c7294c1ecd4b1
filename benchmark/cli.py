"""`devspeech bench`, `devspeech bench score` and `devspeech models`: parse, call, print."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from devspeech.benchmark.biasing import DEFAULT_BONUS
from devspeech.cli import comma_list


def vocabulary_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--vocabulary, --biasing, --bias-bonus and --rerank, as bench and transcribe take them."""
    options = (
        click.option(
            "--vocabulary",
            type=click.Path(dir_okay=False, path_type=Path),
            default=None,
            help="The names to favour (devspeech corpus vocab writes one; one term a line).",
        ),
        click.option(
            "--biasing",
            type=click.Choice(["none", "trie"]),
            default="none",
            show_default=True,
            help="trie: favour the vocabulary's terms while decoding (shallow fusion; "
            "transformers and onnxruntime). Recorded in the decoding, e.g. greedy+trie.",
        ),
        click.option(
            "--bias-bonus",
            type=click.FloatRange(min=0.0),
            default=DEFAULT_BONUS,
            show_default=True,
            help="What a token that extends a vocabulary term gains (in logits).",
        ),
        click.option(
            "--rerank",
            is_flag=True,
            help="With --decoding beam:N, keep the hypothesis whose code parses and that "
            "writes the vocabulary's names (transformers). Recorded: beam:5+rerank.",
        ),
    )
    for option in reversed(options):
        command = option(command)
    return command


@click.group(invoke_without_command=True)
@click.option(
    "--model",
    "models",
    multiple=True,
    metavar="SPEC",
    help="Model to score (repeatable): bundled:tiny.en, a Hub id, a folder, random:80.",
)
@click.option(
    "--data",
    default=None,
    metavar="DIR|HUB_ID",
    help="A generated dataset folder or a Hub dataset id.",
)
@click.option(
    "--audio-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Your own recordings: wav/flac files with same-named .txt transcripts.",
)
@click.option("--split", default="test", show_default=True)
@click.option(
    "--conditions",
    default="none",
    show_default=True,
    help="Prompt conditions: none, glossary, oracle, vocabulary (comma-separated). "
    "vocabulary: decode, prompt with the vocabulary's terms that sound most like what was "
    "heard, decode again.",
)
@click.option(
    "--glossary",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Glossary file for the glossary condition (default: shipped).",
)
@click.option(
    "--backend",
    type=click.Choice(["auto", "transformers", "faster-whisper", "onnxruntime"]),
    default="auto",
    show_default=True,
    help="auto: faster-whisper for CTranslate2 folders, onnxruntime for ONNX, else transformers.",
)
@click.option(
    "--compute-type",
    default="int8",
    show_default=True,
    help="faster-whisper: int8 or float32; transformers: float16/bfloat16 on a GPU.",
)
@click.option("--device", default="cpu", show_default=True)
@click.option("--batch-size", type=int, default=8, show_default=True)
@click.option(
    "--max-new-tokens", type=int, default=None, help="Decoding limit (default: the model's)."
)
@click.option(
    "--decoding",
    default="greedy",
    show_default=True,
    metavar="greedy|fallback|beam:N",
    help="greedy (the open ASR leaderboard's setting), fallback (Whisper's temperature "
    "fallback, as openai-whisper and faster-whisper run by default) or beam:N. Recorded in "
    "every prediction and result.",
)
@vocabulary_options
@click.option(
    "--distractors",
    type=click.IntRange(min=0),
    default=None,
    help="Terms in play: the vocabulary (or the dataset's own keywords) plus N names of "
    "other projects from a shipped pool, so runs at 100, 500 and 1,000 terms compare.",
)
@click.option(
    "--train-data",
    default=None,
    metavar="DIR|HUB_ID",
    help="The dataset the models trained on: keyword recall is split into names seen and "
    "unseen in training (found by itself for a fine-tune run's result).",
)
@click.option("--limit", type=int, default=None, help="At most this many rows.")
@click.option("--kinds", default=None, help="Only these kinds (code, shell, prose).")
@click.option("--strict", is_flag=True, help="Fail on a corrupt audio row instead of counting it.")
@click.option(
    "--allow-partial", is_flag=True, help="Read a dataset whose generation has not finished."
)
@click.option(
    "--num-shards",
    type=int,
    default=1,
    show_default=True,
    help="Split the rows into this many jobs ...",
)
@click.option(
    "--shard-index",
    type=int,
    default=0,
    show_default=True,
    help="... and predict this one's share; `devspeech merge` scores the parts together.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("bench"),
    show_default=True,
    help="Folder for predictions.jsonl and results.json (resumed if present).",
)
@click.pass_context
def bench(
    ctx: click.Context,
    models,
    data,
    audio_dir,
    split,
    conditions,
    glossary,
    backend,
    compute_type,
    device,
    batch_size,
    max_new_tokens,
    decoding,
    vocabulary,
    biasing,
    bias_bonus,
    rerank,
    distractors,
    train_data,
    limit,
    kinds,
    strict,
    allow_partial,
    num_shards,
    shard_index,
    output,
) -> None:
    """Transcribe a dataset with Whisper models and score them for developer speech."""
    if ctx.invoked_subcommand is not None:
        return
    from devspeech.benchmark.results import format_results
    from devspeech.benchmark.run import BenchOptions, run_bench

    if not models:
        raise click.UsageError("give at least one --model")
    options = BenchOptions(
        models=tuple(models),
        data=data,
        audio_dir=audio_dir,
        split=split,
        conditions=comma_list(conditions),
        glossary=glossary,
        backend=backend,
        compute_type=compute_type,
        device=device,
        batch_size=batch_size,
        max_new_tokens=max_new_tokens,
        decoding=decoding,
        vocabulary=vocabulary,
        biasing=biasing,
        bias_bonus=bias_bonus,
        rerank=rerank,
        distractors=distractors,
        train_data=train_data,
        limit=limit,
        kinds=comma_list(kinds),
        strict=strict,
        allow_partial=allow_partial,
        num_shards=num_shards,
        shard_index=shard_index,
        seed=ctx.obj.seed if ctx.obj else 0,
    )
    bars: dict[str, object] = {}
    verbose = (ctx.obj is None or ctx.obj.verbosity >= 0) and sys.stderr.isatty()

    def progress(model: str, rows: int, total: int | None) -> None:
        if not verbose:
            return
        from tqdm import tqdm

        if model not in bars:
            for bar in bars.values():
                bar.close()  # type: ignore[attr-defined]
            bars[model] = tqdm(total=total, desc=model, unit="clip")
        bars[model].update(rows)  # type: ignore[attr-defined]

    run = run_bench(options, output, progress)
    for bar in bars.values():
        bar.close()  # type: ignore[attr-defined]
    source = run.source
    failures = ", ".join(f"{k}: {v}" for k, v in source.failures.items()) or "none"
    if source.failed:
        more = sum(source.failures.values()) - len(source.failed)
        failures += f" ({', '.join(source.failed)}{f' and {more} more' if more > 0 else ''})"
    click.echo(
        f"{source.name} [{source.split}]: {run.rows} rows, "
        f"{run.predicted} predicted, {run.skipped} already done, failures {failures}"
    )
    if num_shards > 1:
        click.echo(
            f"wrote part {shard_index} of {num_shards} to {output}; once every part is done, "
            "`devspeech merge PART... -o DIR` scores them together"
        )
        return
    click.echo(format_results(run.results))
    click.echo(f"wrote {output / 'predictions.jsonl'} and {output / 'results.json'}")


@bench.command()
@click.argument("predictions", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Results file (default: results.json next to the predictions).",
)
@click.option(
    "--data",
    default=None,
    metavar="DIR|HUB_ID",
    help="Check the predictions come from this dataset.",
)
@click.option("--split", default="test", show_default=True)
@click.pass_obj
def score(settings, predictions: Path, output: Path | None, data: str | None, split: str) -> None:
    """Re-score PREDICTIONS (a predictions.jsonl) without running any model."""
    from devspeech.benchmark.results import format_results, write_results
    from devspeech.benchmark.score import score_file

    expected = None
    if data is not None:
        from devspeech.benchmark.data import load_eval_set

        expected = load_eval_set(data, None, split, limit=1).fingerprint
    results = score_file(
        predictions, seed=settings.seed if settings else 0, expect_dataset=expected
    )
    target = output or predictions.with_name("results.json")
    write_results(results, target)
    click.echo(format_results(results))
    click.echo(f"wrote {target}")


@click.group()
def models() -> None:
    """List and prepare the models `--model` accepts."""


@models.command("list")
def list_models() -> None:
    """Bundled models (installed? cached?) and the other kinds of spec."""
    from devspeech.benchmark.models import cached_models
    from devspeech.benchmark.models.bundled import BUNDLED, is_installed

    cached = set(cached_models())
    for name, model in BUNDLED.items():
        spec = f"bundled:{name}"
        state = "cached" if spec in cached else "installed" if is_installed(model) else "missing"
        languages = "English-only" if model.english_only else "multilingual"
        click.echo(f"{spec:<18} {state:<10} {languages:<13} {', '.join(model.distributions)}")
    for mels in (80, 128):
        spec = f"random:{mels}"
        state = "cached" if spec in cached else "on use"
        click.echo(f"{spec:<18} {state:<10} {'multilingual':<13} random weights, {mels} mel bins")
    click.echo(
        "also: a Hub id (owner/name), or a local transformers, CTranslate2, ONNX (devspeech "
        "export --onnx) or PEFT adapter folder"
    )


@models.command()
@click.argument("specs", nargs=-1, required=True)
def prepare(specs: tuple[str, ...]) -> None:
    """Convert bundled models (or build random ones) into the cache now."""
    from devspeech.benchmark.models import parse_spec, transformers_location

    for text in specs:
        spec = parse_spec(text)
        if spec.kind not in ("bundled", "random"):
            raise click.UsageError(f"{text} needs no preparation")
        click.echo(f"{text}: {transformers_location(spec)}")
        if spec.kind == "bundled":
            from devspeech.benchmark.models import ctranslate2_location

            click.echo(f"{text} (CTranslate2): {ctranslate2_location(spec)}")


@click.command()
@click.argument(
    "results", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("leaderboard"),
    show_default=True,
)
def leaderboard(results: tuple[Path, ...], output: Path) -> None:
    """Rank RESULTS (results.json files) into Markdown, CSV, HTML and plots."""
    from devspeech.benchmark.leaderboard import build_leaderboard, to_markdown

    rows, files = build_leaderboard(list(results), output)
    click.echo(to_markdown(rows), nl=False)
    click.echo("wrote " + ", ".join(str(f) for f in files))


@click.command()
@click.argument("audio", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--model", default="bundled:tiny.en", show_default=True, metavar="SPEC")
@vocabulary_options
@click.option(
    "--two-pass",
    is_flag=True,
    help="Decode, prompt with the vocabulary's terms that sound like what was heard, decode again.",
)
@click.option("--decoding", default="greedy", show_default=True, metavar="greedy|fallback|beam:N")
@click.option(
    "--backend",
    type=click.Choice(["auto", "transformers", "faster-whisper", "onnxruntime"]),
    default="auto",
    show_default=True,
)
@click.option("--device", default="cpu", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object a file, with timings.")
def transcribe(audio, model, vocabulary, two_pass, biasing, bias_bonus, rerank, decoding, backend,
               device, as_json) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    """Transcribe AUDIO files (WAV, FLAC, OGG) with a model, favouring a vocabulary's names."""
    import json

    from devspeech.benchmark.transcribe import TranscribeOptions, Transcriber

    options = TranscribeOptions(model=model, vocabulary=vocabulary, two_pass=two_pass,
                                biasing=biasing, bias_bonus=bias_bonus, rerank=rerank,
                                decoding=decoding, backend=backend, device=device)  # fmt: skip
    transcriber = Transcriber(options)
    for path in audio:
        result = transcriber.transcribe_file(path)
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False) if as_json else result.text)
