"""The built-in general-English set: ordinary sentences, spoken, for fine-tuning to mix in.

Offline there is no human speech, and no package found on PyPI ships plain English text,
so the set is made from the prose of Python's standard library that names no technical
term (docstrings and comments such as "Return the number of items in the queue.": mined
with `corpus mine --general`), spoken by the generator with espeak-ng and Piper in its
default rooms and noise. Its splits are those of any generated dataset: `train` is what
fine-tuning mixes into every batch; `test_heldout` (an engine and voices that train
never heard) is what the fine-tune report scores the general set on.

It is built once into the user cache (about two minutes on two cores) and reused; the
recipe below is its version, and a change to it gets a new folder.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from devspeech.cache import cached_folder

log = logging.getLogger(__name__)

NAME = "general-en-v1"
UTTERANCES = 500
ENGINES = ("espeak", "piper")
SEED = 0


def general_set(progress: bool | None = None) -> Path:
    """The folder of the built-in set, built on first use."""
    from devspeech.dataset import RECIPE_FILE

    if progress is None:
        progress = sys.stderr.isatty()
    return cached_folder(NAME, RECIPE_FILE, lambda folder: _build(folder, progress), "datasets")


def _build(folder: Path, progress: bool) -> None:
    from devspeech.corpus.api import MineRequest, run_mine
    from devspeech.generator.api import GenerateOptions, RunOptions, generate
    from devspeech.runner import RunnerOptions, cpu_count

    log.warning(
        "building the built-in general-English set (%d standard-library sentences, spoken "
        "with %s) into %s; this happens once",
        UTTERANCES, " and ".join(ENGINES), folder.parent / NAME,
    )  # fmt: skip
    utterances = folder.with_name(f".{NAME}.utterances.jsonl")
    run_mine(
        MineRequest(output=utterances, stdlib=True, general=True, limit=UTTERANCES, seed=SEED),
        progress=progress,
    )
    run = RunOptions(RunnerOptions(workers=min(2, cpu_count())), progress=progress)
    generate(utterances, folder, GenerateOptions(engines=ENGINES, seed=SEED), run)
    utterances.unlink()
