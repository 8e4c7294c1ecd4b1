"""`devspeech merge` for datasets: assemble the parts that `generate --num-shards N
--shard-index I` jobs wrote (one folder each, on any machines) into one dataset.

Parts must hold the same recipe and the same plan. Shards are linked where the file
system allows, else copied through a temporary name; a shard that two parts both hold
must be byte-identical (the same seed writes the same bytes). The card is written once
every shard of the plan is present, exactly as `generate` writes it, so a merged dataset
equals one generated on one machine.
"""

from __future__ import annotations

import filecmp
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from devspeech.dataset import DATA_DIR, FAILURES_DIR, RECIPE_FILE, STATE_DIR, shard_files
from devspeech.errors import InputError
from devspeech.generator.api import claim_output, read_plan, recipe_changes, write_plan
from devspeech.generator.card import collect_stats, write_card
from devspeech.jsonl import read_json


@dataclass
class MergeSummary:
    output: Path
    parts: int = 0
    shards_added: int = 0
    shards_present: int = 0
    missing: list[str] = field(default_factory=list)  # shards of the plan no part holds

    @property
    def complete(self) -> bool:
        return not self.missing


def _recipe(part: Path) -> dict[str, object]:
    path = part / RECIPE_FILE
    if not path.is_file():
        raise InputError(f"{part} is not a devspeech dataset (no {RECIPE_FILE})")
    hint = "merge the folders `generate --num-shards` wrote"
    return dict(read_json(path, "a dataset recipe", hint))


def _place(source: Path, target: Path) -> bool:
    """Put `source` at `target` (a hard link, else a copy renamed into place); False when
    an identical file is already there, InputError when a different one is."""
    if target.exists():
        if filecmp.cmp(source, target, shallow=False):
            return False
        raise InputError(
            f"{source} differs from {target}: the parts were not made by the same recipe "
            "and seed (or a file is damaged)"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        os.link(source, partial)
    except OSError:  # another file system, or links not allowed
        shutil.copyfile(source, partial)
    partial.replace(target)
    return True


def merge_datasets(parts: Sequence[Path], output: Path, overwrite: bool = False) -> MergeSummary:
    """Merge dataset `parts` into `output` (which may be one of them); returns what was done.
    Nothing is written until every part has been checked."""
    if not parts:
        raise InputError("merge needs at least one part")
    recipe, plan = _recipe(parts[0]), read_plan(parts[0])
    for part in parts:
        changed = recipe_changes(_recipe(part), recipe)
        if changed:
            raise InputError(
                f"{part} holds another recipe than {parts[0]} (differs in {', '.join(changed)})"
            )
        part_plan = read_plan(part)
        if part_plan is None:
            raise InputError(f"{part} names no shard plan; regenerate it with this version")
        if part_plan != plan:
            raise InputError(f"{part} plans other shards than {parts[0]}")
    assert plan is not None
    claim_output(output, recipe, overwrite)
    write_plan(output, plan)
    summary = MergeSummary(output, parts=len(parts))
    planned = set(plan)
    for part in parts:
        if part.resolve() == output.resolve():
            continue
        for shard in shard_files(part):
            if shard.name not in planned:
                raise InputError(f"{shard} is not a shard of the plan")
            summary.shards_added += _place(shard, output / DATA_DIR / shard.name)
            failures = part / STATE_DIR / FAILURES_DIR / f"{shard.name}.json"
            if failures.is_file():
                _place(failures, output / STATE_DIR / FAILURES_DIR / failures.name)
    present = {p.name for p in shard_files(output)}
    summary.shards_present = len(present & planned)
    summary.missing = [name for name in plan if name not in present]
    if summary.complete:
        write_card(output, recipe, collect_stats(output))
    return summary
