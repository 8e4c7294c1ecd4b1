"""`devspeech merge PART... -o DIR`: put together what the jobs of a job array wrote.

Parts of `generate --num-shards N --shard-index I` (dataset folders) become one dataset
with its card once every shard of the plan is present; parts of `bench --num-shards N
--shard-index I` become one predictions file and one results.json, scored once over
every row. The kind of part is read from the folders.
"""

from __future__ import annotations

from pathlib import Path

import click


@click.command("merge")
@click.argument(
    "parts", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.option(
    "-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True,
    help="Folder to write the merged dataset or benchmark into.",
)  # fmt: skip
@click.option("--overwrite", is_flag=True, help="Replace a dataset of another recipe in OUTPUT.")
def merge_command(parts: tuple[Path, ...], output: Path, overwrite: bool) -> None:
    """Merge the PARTS that sharded `generate` or `bench` jobs wrote into OUTPUT."""
    from devspeech.benchmark.parts import is_part, merge_bench
    from devspeech.dataset import RECIPE_FILE
    from devspeech.errors import InputError

    benches = [p for p in parts if is_part(p)]
    datasets = [p for p in parts if (p / RECIPE_FILE).is_file()]
    if benches and len(benches) == len(parts):
        from devspeech.benchmark.results import format_results

        results = merge_bench(list(parts), output)
        click.echo(format_results(results))
        click.echo(f"merged {len(parts)} parts into {output / 'results.json'}")
        return
    if not datasets or len(datasets) != len(parts):
        odd = [str(p) for p in parts if p not in benches and p not in datasets]
        raise InputError(
            "every part must be a dataset folder (generate --num-shards) or every part a bench "
            f"part (bench --num-shards); not: {', '.join(odd) or 'a mix of both'}"
        )
    from devspeech.generator.merge import merge_datasets

    summary = merge_datasets(list(parts), output, overwrite)
    click.echo(
        f"merged {summary.parts} parts into {output}: {summary.shards_added} shards added, "
        f"{summary.shards_present} present"
    )
    if summary.complete:
        click.echo(f"{output} is complete; its card is {output / 'README.md'}")
    else:
        shown = ", ".join(summary.missing[:5]) + (" ..." if len(summary.missing) > 5 else "")
        click.echo(f"{len(summary.missing)} shards of the plan are still missing: {shown}")
