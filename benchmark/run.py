"""`bench`: transcribe a dataset with each model under each prompt condition, then score.

Rows stream from the source a batch at a time and each clip is decoded once per model,
for every condition, so memory stays flat in the number of rows. Results (one per
model x dataset x split x condition) go to results.json; the leaderboard reads only those.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from devspeech.benchmark.biasing import DEFAULT_BONUS
from devspeech.benchmark.data import Clip, EvalSource, load_eval_set, split_keywords
from devspeech.benchmark.decoding import Decoding
from devspeech.benchmark.models import ModelSpec
from devspeech.benchmark.parts import claim_part, write_part
from devspeech.benchmark.predict import (
    PREDICTIONS_FILE,
    Key,
    append_predictions,
    batches,
    check_conditions,
    done_keys,
    drop_partial_line,
    predict_batch,
    predict_two_pass,
    prompt_for,
    read_glossary,
    record_vocabulary,
    with_distractors,
)
from devspeech.benchmark.results import RESULTS_FILE, write_results
from devspeech.benchmark.score import score_file
from devspeech.errors import InputError
from devspeech.records import Result
from devspeech.run_record import RunRecord
from devspeech.vocabulary import Term, Vocabulary, read_vocabulary


@dataclass(frozen=True)
class BenchOptions:
    models: tuple[str, ...]
    data: str | None = None
    audio_dir: Path | None = None
    split: str = "test"
    conditions: tuple[str, ...] = ("none",)
    glossary: Path | None = None
    backend: str = "auto"  # auto: the runtime each model's files are for
    compute_type: str = "int8"  # faster-whisper; transformers runs float32 unless float16/bf16
    device: str = "cpu"
    batch_size: int = 8
    max_new_tokens: int | None = None
    decoding: str = "greedy"  # greedy | fallback | beam:N
    vocabulary: Path | None = None  # the terms `biasing` and the vocabulary condition use
    biasing: str = "none"  # none | trie
    bias_bonus: float = DEFAULT_BONUS
    rerank: bool = False  # with beam search: keep the hypothesis a developer meant (rerank.py)
    # terms in play: the vocabulary (or the dataset's own keywords) plus this many other
    # projects' names from a shipped pool, so runs at 100, 500 and 1,000 terms compare
    distractors: int | None = None
    # a dataset whose train split a model trained on: recall is split into names seen and
    # unseen in training (a fine-tune run's own data is found from its run folder)
    train_data: str | None = None
    limit: int | None = None
    kinds: tuple[str, ...] = ()
    strict: bool = False
    allow_partial: bool = False  # read a dataset the generator has not finished
    resamples: int = 1000
    seed: int = 0
    num_shards: int = 1  # a job array: this job predicts every num_shards-th row ...
    shard_index: int = 0  # ... from this one; `devspeech merge` scores the parts together


@dataclass
class BenchRun:
    source: EvalSource
    rows: int = 0
    predicted: int = 0
    skipped: int = 0
    results: list[Result] = field(default_factory=list)
    ids: list[str] | None = None  # the rows of the first pass, in the source's order


Progress = Callable[[str, int, int | None], None]  # (model, rows just done, rows in a pass)


def run_bench(options: BenchOptions, output: Path, progress: Progress | None = None) -> BenchRun:
    """Predict every (model, condition, row) not already in output/predictions.jsonl, then score."""
    from devspeech.benchmark.backends import DecodeOptions, load_backend, resolve_backend
    from devspeech.benchmark.models import check_available, parse_spec
    from devspeech.benchmark.models.adapter import model_revision

    specs = [parse_spec(m) for m in options.models]  # every spec checked before any work
    for spec in specs:
        check_available(spec)
    method = Decoding.parse(options.decoding, options.biasing, options.rerank)
    check_conditions(options.conditions)
    glossary = read_glossary(options.glossary) if "glossary" in options.conditions else ""
    source = load_eval_set(
        options.data, options.audio_dir, options.split, options.limit, options.kinds,
        options.strict, options.allow_partial,
    )  # fmt: skip
    source.shard(options.num_shards, options.shard_index)
    vocabulary = vocabulary_in_play(options, source)
    warm_up = source.first_clip()
    output.mkdir(parents=True, exist_ok=True)
    claim_part(output, options.num_shards, options.shard_index)
    path = output / PREDICTIONS_FILE
    drop_partial_line(path)
    done, recorded = done_keys(path, source.fingerprint)
    run = BenchRun(source)
    decoding = DecodeOptions(
        options.device, options.compute_type, options.max_new_tokens, method,
        vocabulary.texts if vocabulary else (), options.bias_bonus,
    )  # fmt: skip
    in_play = record_vocabulary(output, vocabulary) if vocabulary else ""
    with path.open("a", encoding="utf-8") as sink:
        for spec in specs:
            revision = model_revision(spec)
            if recorded.get(spec.text, revision) not in (revision, ""):
                raise InputError(
                    f"{path} holds predictions of {spec.text} from other weights "
                    f"({recorded[spec.text][:23]}, now {revision[:23]}); write to another folder"
                )
            run_key = (spec.text, resolve_backend(options.backend, spec), str(method))
            labels = {
                "model": spec.text,
                "backend": run_key[1],
                "decoding": run_key[2],
                "model_revision": revision,
                "dataset": source.fingerprint,
                "data": source.name,
                "split": source.split,
                "vocabulary": in_play,
            }
            backend = None
            seen: frozenset[str] | None = None
            for batch in batches(_todo(source, run_key, options.conditions, done, run),
                                 options.batch_size):  # fmt: skip
                if backend is None:  # loaded only when something is left to predict
                    backend = load_backend(options.backend, spec, decoding)
                    seen = training_names(spec, options.train_data)
                    backend.transcribe([warm_up.audio], None, warm_up.long_form)  # untimed
                for condition in options.conditions:
                    todo = [c for c in batch if (*run_key, condition, c.id) not in done]
                    run.skipped += len(batch) - len(todo)
                    size = 1 if condition == "oracle" else max(len(todo), 1)  # a prompt per row
                    for start in range(0, len(todo), size):
                        group = todo[start : start + size]
                        named = {**labels, "condition": condition}
                        if condition == "vocabulary":
                            assert vocabulary is not None
                            predictions = predict_two_pass(backend, group, vocabulary, named, seen)
                        else:
                            prompt = prompt_for(condition, group[0].labels, glossary)
                            predictions = predict_batch(backend, group, prompt, named, seen)
                        append_predictions(sink, predictions)
                        run.predicted += len(group)
                if progress is not None:
                    progress(spec.text, len(batch), source.expected_rows())
    if options.num_shards > 1:  # a part: scored once every part is merged
        write_part(output, source, options, run.ids or [])
        return run
    run.results = score_file(
        path, options.resamples, options.seed, dict(source.failures), tuple(source.failed)
    )
    write_results(run.results, output / RESULTS_FILE)
    return run


def training_names(spec: ModelSpec, train_data: str | None) -> frozenset[str] | None:
    """The keywords of the train split the model learned from: of `train_data`, or of the
    data its fine-tune run names (a model folder inside a run); None when not known."""
    data = train_data
    if data is None and spec.kind in ("adapter", "transformers"):
        record = RunRecord.read(Path(spec.location).parent)
        data = record.options.get("data") if record is not None else None
    return None if data is None else split_keywords(str(data), "train")


def vocabulary_in_play(options: BenchOptions, source: EvalSource) -> Vocabulary | None:
    """The vocabulary the biasing and the vocabulary condition use: the file, or with
    `distractors` and no file the dataset's own keywords, plus that many names of other
    projects (a seeded draw from the shipped pool, none already in play)."""
    needs = options.biasing != "none" or "vocabulary" in options.conditions
    if options.vocabulary is None and options.distractors is None:
        if needs:
            raise InputError(
                "the vocabulary condition and --biasing need the names in play: give "
                "--vocabulary FILE, or --distractors N to use the dataset's own keywords"
            )
        return None
    if options.vocabulary is not None:
        vocabulary = read_vocabulary(options.vocabulary)
    else:
        own = dict.fromkeys(k for item in source.items() for k in item.labels.keywords)
        vocabulary = Vocabulary(tuple(Term(k) for k in own), "the dataset's keywords")
    if options.distractors:
        vocabulary = with_distractors(vocabulary, options.distractors, options.seed)
    return vocabulary


def _todo(
    source: EvalSource,
    run_key: tuple[str, str, str],
    conditions: tuple[str, ...],
    done: set[Key],
    run: BenchRun,
) -> Iterator[Clip]:
    """The clips the (model, backend, decoding) still has a condition to predict for; rows
    done under every condition are not decoded again, only counted."""

    def finished(row_id: str) -> bool:
        return all((*run_key, c, row_id) in done for c in conditions)

    rows = 0
    source.reset_failures()  # each pass reads every row: count one pass's failures
    ids = [] if run.ids is None else None
    for clip in source.clips(finished):
        rows += 1
        if ids is not None:
            ids.append(clip.id if isinstance(clip, Clip) else clip)
        if isinstance(clip, Clip):
            yield clip
        else:
            run.skipped += len(conditions)
    run.rows = max(run.rows, rows)
    if ids is not None:
        run.ids = ids
