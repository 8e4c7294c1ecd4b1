"""`devspeech corpus ...`: parse options, call the library, print."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from devspeech.cli import comma_list, executor_options, runner_of
from devspeech.records import KINDS

_KIND_CHOICE = click.Choice(["auto", *KINDS])


def source_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--package, --stdlib, --help-of and --man-of, as mine and vocab take them."""
    for option in reversed((
        click.option("--package", "packages", multiple=True, metavar="NAME",
                     help="An installed distribution to mine (repeatable)."),
        click.option("--stdlib", is_flag=True, help="Mine Python's standard library."),
        click.option("--help-of", "help_of", default="", metavar="TOOL,...",
                     help="Mine the --help output of these tools; missing tools are skipped."),
        click.option("--man-of", "man_of", default="", metavar="TOOL,...",
                     help="Mine the EXAMPLES section of these tools' man pages; missing pages "
                     "are skipped."),
    )):  # fmt: skip
        command = option(command)
    return command


@click.group()
def corpus() -> None:
    """Mine code and developer prose into utterances."""


@corpus.command()
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="utterances.jsonl to write.",
)
@source_options
@click.option("--limit", type=click.IntRange(min=1), help="Write at most N utterances.")
@click.option("--mix", help="Kind proportions, e.g. code=0.4,shell=0.2,prose=0.4.")
@click.option("--kinds", default=",".join(KINDS), show_default=True, help="Kinds to keep.")
@click.option(
    "--max-words",
    type=click.IntRange(min=1),
    default=25,
    show_default=True,
    help="Longest utterance in spoken words.",
)
@click.option(
    "--max-seconds",
    type=click.FloatRange(min=0.5),
    default=12.0,
    show_default=True,
    help="Longest utterance in estimated seconds.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Files at once: processes, or Ray tasks (default: all cores).",
)
@executor_options
@click.option(
    "--general",
    is_flag=True,
    help="Keep only ordinary English sentences (no technical terms): a general set.",
)
@click.option(
    "--summary-json",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the run's counts as JSON.",
)
@click.option(
    "--vocab-out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the vocabulary of the mined utterances (as `corpus vocab` does).",
)
@click.pass_obj
def mine(
    settings,
    sources,
    output,
    packages,
    stdlib,
    help_of,
    man_of,
    limit,
    mix,
    kinds,
    max_words,
    max_seconds,
    workers,
    executor,
    ray_address,
    general,
    summary_json,
    vocab_out,
) -> None:  # type: ignore[no-untyped-def]
    """Mine SOURCES (directories or git repositories) and other sources into utterances."""
    from devspeech.corpus.api import MineRequest, run_mine

    tools, man_tools = comma_list(help_of), comma_list(man_of)
    if not (sources or packages or stdlib or tools or man_tools):
        raise click.UsageError(
            "give at least one source: a directory, --package, --stdlib, --help-of or --man-of"
        )
    chosen = comma_list(kinds)
    if unknown := [k for k in chosen if k not in KINDS]:
        raise click.BadParameter(
            f"unknown kind(s) {unknown}; expected {list(KINDS)}", param_hint="--kinds"
        )
    request = MineRequest(
        directories=tuple(sources),
        packages=tuple(packages),
        stdlib=stdlib,
        help_of=tools,
        man_of=man_tools,
        output=output,
        limit=limit,
        mix=mix,
        kinds=chosen,
        max_words=max_words,
        max_seconds=max_seconds,
        runner=runner_of(executor, workers, ray_address),
        seed=settings.seed,
        general=general,
        vocab_out=vocab_out,
    )
    summary = run_mine(request, progress=settings.verbosity >= 0)
    if summary_json:
        summary_json.write_text(json.dumps(summary.to_dict(), indent=2) + "\n")
    if settings.verbosity >= 0:
        from devspeech.corpus.mine import format_summary

        click.echo(format_summary(summary, output), err=True)


@corpus.command()
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="vocab.txt to write.",
)
@source_options
@click.option(
    "--utterances",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read mined utterances (utterances.jsonl) instead of mining SOURCES.",
)
@click.pass_obj
def vocab(settings, sources, output, packages, stdlib, help_of, man_of, utterances) -> None:  # type: ignore[no-untyped-def]
    """The vocabulary of SOURCES: every keyword with its count, kind and spoken forms."""
    import tempfile

    from devspeech.corpus.api import MineRequest, run_mine
    from devspeech.corpus.vocab import build_vocabulary
    from devspeech.jsonl import read_jsonl
    from devspeech.records import Utterance
    from devspeech.vocabulary import read_vocabulary, write_vocabulary

    tools, man_tools = comma_list(help_of), comma_list(man_of)
    mined = sources or packages or stdlib or tools or man_tools
    if bool(mined) == bool(utterances):
        raise click.UsageError(
            "give sources to mine (a directory, --package, --stdlib, --help-of, --man-of) "
            "or --utterances FILE, not both"
        )
    seed = settings.seed if settings else 0
    if utterances is None:
        with tempfile.TemporaryDirectory() as folder:
            request = MineRequest(
                output=Path(folder) / "utterances.jsonl", directories=tuple(sources),
                packages=tuple(packages), stdlib=stdlib, help_of=tools, man_of=man_tools,
                seed=seed, vocab_out=output,
            )  # fmt: skip
            run_mine(request, progress=settings is not None and settings.verbosity >= 0)
    else:
        write_vocabulary(
            output, build_vocabulary(read_jsonl(utterances, Utterance.from_dict), seed)
        )
    click.echo(f"wrote {output} ({len(read_vocabulary(output))} terms)")


@corpus.command()
@click.argument("text")
@click.option("--kind", type=_KIND_CHOICE, default="auto", show_default=True)
@click.option("--variants", type=click.IntRange(min=1, max=50), default=3, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per variant.")
@click.pass_obj
def speak(settings, text, kind, variants, as_json) -> None:  # type: ignore[no-untyped-def]
    """Show how TEXT is said: spoken variants with their styles, and its keywords."""
    from devspeech.corpus.guess import guess_kind
    from devspeech.corpus.keywords import extract_keywords
    from devspeech.corpus.verbalize import Unspeakable, speak_variants

    if not text.strip():
        raise click.BadParameter("TEXT is empty", param_hint="TEXT")
    if kind == "auto":
        kind = guess_kind(text)
    try:
        said = speak_variants(text, kind, settings.seed, variants)
    except Unspeakable as error:
        raise click.ClickException(str(error)) from None
    keywords = extract_keywords(text, kind)
    if as_json:
        for variant in said:
            click.echo(
                json.dumps(
                    {
                        "text": text,
                        "kind": kind,
                        "spoken": variant.spoken,
                        "style": str(variant.style),
                        "keywords": list(keywords),
                    }
                )
            )
        return
    click.echo(f"kind: {kind}")
    click.echo(f"keywords: {', '.join(keywords) or '(none)'}")
    for variant in said:
        click.echo(f"- {variant.spoken}\n    style: {variant.style}")


@corpus.command()
@click.argument("utterances", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="How many top keywords to list.",
)
def stats(utterances: Path, as_json: bool, top: int) -> None:
    """Statistics of an utterances file."""
    from devspeech.corpus.stats import compute_stats, format_stats
    from devspeech.jsonl import read_jsonl
    from devspeech.records import Utterance

    result = compute_stats(read_jsonl(utterances, Utterance.from_dict), top=top)
    if result.utterances == 0:
        raise click.ClickException(f"{utterances}: holds no utterances")
    if as_json:
        json.dump(result.to_dict(), sys.stdout, indent=2)
        click.echo()
    else:
        click.echo(format_stats(result))
