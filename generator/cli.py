"""`devspeech generate` and `devspeech publish`: parse options, call the library, print."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from devspeech.cli import comma_list, executor_options, runner_of
from devspeech.generator.augment import AUGMENT_LEVELS


@click.command()
@click.argument("utterances", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Dataset folder to write (or resume).",
)
@click.option(
    "--engines",
    default="espeak,kokoro,piper",
    show_default=True,
    help="Comma-separated TTS engines: espeak, kokoro, piper, coqui (the coqui extra).",
)
@click.option(
    "--voices",
    default=None,
    metavar="LIST|@FILE",
    help="Voices to use: engine:name or name patterns (wildcards), or @file with one per line.",
)
@click.option(
    "--engine-weights",
    default=None,
    metavar="ENGINE=W,...",
    help="Share of train-side rows each engine speaks, e.g. espeak=4,kokoro=1 "
    "(unnamed engines weigh 1; test_heldout stays even): rows go where speech is cheap.",
)
@click.option("--list-voices", is_flag=True, help="Print the voices of --engines and exit.")
@click.option("--limit", type=int, default=None, help="At most this many utterances.")
@click.option("--hours", type=float, default=None, help="Stop at about this many hours of audio.")
@click.option(
    "--augment",
    type=click.Choice(AUGMENT_LEVELS),
    default="default",
    show_default=True,
    help="Strength of rooms, noise, perturbation and channel effects.",
)
@click.option(
    "--clean-fraction",
    type=float,
    default=0.1,
    show_default=True,
    help="Share of rows left without any augmentation.",
)
@click.option(
    "--longform-fraction",
    type=float,
    default=0.2,
    show_default=True,
    help="Share of train rows packing several utterances into up to 30 s.",
)
@click.option(
    "--heldout-engine",
    default="auto",
    show_default=True,
    help="Engine only test_heldout hears ('auto': piper when several engines, 'none').",
)
@click.option(
    "--heldout-voices",
    default=None,
    metavar="LIST|@FILE",
    help="Voices only test_heldout hears (default: 2 per engine).",
)
@click.option(
    "--noise-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder of wav/flac/ogg noise recordings to mix in.",
)
@click.option(
    "--rooms", type=int, default=48, show_default=True, help="Simulated rooms in the bank."
)
@click.option("--rows-per-shard", type=int, default=500, show_default=True)
@click.option(
    "--workers",
    type=int,
    default=None,
    help="Shards at once: worker processes, or Ray tasks (default: CPU count).",
)
@executor_options
@click.option(
    "--num-shards",
    type=int,
    default=1,
    show_default=True,
    help="Split the work into this many jobs ...",
)
@click.option(
    "--shard-index", type=int, default=0, show_default=True, help="... and run this one of them."
)
@click.option("--overwrite", is_flag=True, help="Replace a dataset of another recipe in --output.")
@click.pass_obj
def generate(
    settings,
    utterances: Path,
    output: Path,
    engines: str,
    voices: str | None,
    engine_weights: str | None,
    list_voices: bool,
    limit: int | None,
    hours: float | None,
    augment: str,
    clean_fraction: float,
    longform_fraction: float,
    heldout_engine: str,
    heldout_voices: str | None,
    noise_dir: Path | None,
    rooms: int,
    rows_per_shard: int,
    workers: int | None,
    executor: str,
    ray_address: str | None,
    num_shards: int,
    shard_index: int,
    overwrite: bool,
) -> None:
    """Speak UTTERANCES (a utterances.jsonl) into a Hugging Face speech dataset."""
    from devspeech.generator.api import GenerateOptions, RunOptions, format_summary, generate
    from devspeech.generator.voices import get_engine, parse_engines, read_voice_patterns

    engine_names = parse_engines(engines)
    if list_voices:
        for name in engine_names:
            for voice in get_engine(name).voices():
                click.echo(f"{voice.key}\t{voice.accent}")
        return
    options = GenerateOptions(
        engines=engine_names,
        voices=read_voice_patterns(voices),
        engine_weights=comma_list(engine_weights),
        limit=limit,
        hours=hours,
        augment=augment,
        clean_fraction=clean_fraction,
        longform_fraction=longform_fraction,
        heldout_engine=None if heldout_engine == "none" else heldout_engine,
        heldout_voices=read_voice_patterns(heldout_voices),
        noise_dir=noise_dir,
        rooms=rooms,
        rows_per_shard=rows_per_shard,
        seed=settings.seed,
    )
    run = RunOptions(
        runner=runner_of(executor, workers, ray_address),
        num_shards=num_shards,
        shard_index=shard_index,
        overwrite=overwrite,
        progress=settings.verbosity >= 0 and sys.stderr.isatty(),
    )
    summary = generate(utterances, output, options, run)
    click.echo(format_summary(summary))


@click.command()
@click.argument("dataset", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--repo-id", required=True, metavar="OWNER/NAME", help="Dataset repository on the Hub."
)
@click.option("--private", is_flag=True, help="Create the repository private.")
@click.option("--revision", default="main", show_default=True, help="Branch to commit to.")
@click.option(
    "--token",
    default=None,
    help="Hub token (default: HF_TOKEN, then the one `hf auth login` stored).",
)
@click.option(
    "--endpoint", default=None, help="Hub address (default: HF_ENDPOINT, then huggingface.co)."
)
@click.option("--message", default=None, help="Commit message.")
@click.option(
    "--dry-run", is_flag=True, help="Check the dataset and list what would be uploaded; no network."
)
def publish(
    dataset: Path,
    repo_id: str,
    private: bool,
    revision: str,
    token: str | None,
    endpoint: str | None,
    message: str | None,
    dry_run: bool,
) -> None:
    """Push DATASET (a folder `devspeech generate` finished) to the Hub in one commit."""
    from devspeech.generator.publish import PublishOptions, check_dataset
    from devspeech.generator.publish import publish as publish_dataset

    if repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise click.BadParameter("expected OWNER/NAME", param_hint="--repo-id")
    if dry_run:
        files = check_dataset(dataset)
        for file in files:
            click.echo(f"{file.size:>12,}  {file.path_in_repo}")
        total = sum(f.size for f in files)
        click.echo(f"{dataset} is complete: {len(files)} files, {total / 1e6:.1f} MB for {repo_id}")
        return
    options = PublishOptions(
        repo_id=repo_id,
        private=private,
        token=token,
        revision=revision,
        endpoint=endpoint,
        commit_message=message,
    )
    result = publish_dataset(dataset, options, log=click.echo)
    if result.commit_url is None:
        click.echo(f"{result.repo_url} is up to date")
    else:
        click.echo(
            f"pushed {len(result.uploaded)} files, deleted {len(result.deleted)}, "
            f"{len(result.unchanged)} unchanged: {result.commit_url}"
        )
