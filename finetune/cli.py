"""`devspeech finetune` and `devspeech export`: parse, call, print."""

from __future__ import annotations

from pathlib import Path

import click

from devspeech.cli import comma_list
from devspeech.finetune.methods import (
    AUTO,
    METHOD_HELP,
    choose_method,
    get_method,
    learning_rates_help,
)


@click.command()
@click.option(
    "--model", required=True, metavar="SPEC", help="Base: bundled:tiny.en, a Hub id, a folder."
)
@click.option(
    "--data",
    required=True,
    metavar="DIR|HUB_ID",
    help="A generated dataset (folder or Hub id), or any Hugging Face audio dataset.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Run folder: checkpoints, metrics.jsonl, report.md and the result.",
)
@click.option("--method", default=AUTO, show_default=True, help=METHOD_HELP)
@click.option(
    "--rank",
    type=int,
    default=32,
    show_default=True,
    help="LoRA and DoRA's rank; the bottleneck adapters' width; the soft prompt's vectors.",
)
@click.option("--alpha", type=int, default=64, show_default=True)
@click.option("--dropout", type=float, default=0.05, show_default=True)
@click.option(
    "--target-modules", default="q_proj,k_proj,v_proj,out_proj,fc1,fc2", show_default=True
)
@click.option(
    "--lora-layers",
    type=click.Choice(["all", "decoder"]),
    default="all",
    show_default=True,
    help="decoder: the adapter (lora, dora, ia3) on the decoder alone, the encoder's outputs "
    "cached (fast on a CPU).",
)
@click.option(
    "--train-layers",
    type=int,
    default=0,
    show_default=True,
    help="--method decoder: train only the top N decoder layers (0: every layer).",
)
@click.option(
    "--learning-rate",
    "--lr",
    type=float,
    default=None,
    help="Default: the method's own (" + learning_rates_help() + ").",
)
@click.option("--batch-size", type=int, default=8, show_default=True)
@click.option("--grad-accum", type=int, default=1, show_default=True)
@click.option(
    "--warmup-steps",
    type=int,
    default=None,
    help="Steps of linear warm-up (default: 10% of the run, at least 10, at most half).",
)
@click.option("--max-steps", type=int, default=600, show_default=True)
@click.option("--eval-every", type=int, default=100, show_default=True)
@click.option(
    "--eval-rows", type=int, default=64, show_default=True, help="Validation rows scored."
)
@click.option("--timestamp-fraction", type=float, default=0.2, show_default=True)
@click.option("--prompt-fraction", type=float, default=0.2, show_default=True)
@click.option(
    "--vocabulary-prompt-fraction",
    type=float,
    default=0.0,
    show_default=True,
    help="Rows prompted with a term list (their keywords among distractors, drawn anew at "
    "every step), which teaches the model to copy names it is given.",
)
@click.option(
    "--vocabulary-distractors",
    type=int,
    default=24,
    show_default=True,
    help="At most this many distractors in a vocabulary prompt.",
)
@click.option(
    "--keyword-loss-weight",
    type=float,
    default=1.0,
    show_default=True,
    help="The loss on the tokens of a row's keywords counts this many times another token's.",
)
@click.option(
    "--general-data",
    default="builtin:general-en",
    show_default=True,
    metavar="DIR|HUB_ID",
    help="General English speech mixed into every batch against forgetting "
    "(built once from standard-library prose when left at the default); 'none' for none.",
)
@click.option("--general-fraction", type=float, default=0.3, show_default=True)
@click.option(
    "--recordings",
    default=None,
    metavar="DIR",
    help="Your own recordings (wav/flac + .txt, or an audiofolder), trained on too.",
)
@click.option(
    "--recordings-weight",
    type=int,
    default=4,
    show_default=True,
    help="Each recording counts as this many generated rows.",
)
@click.option(
    "--allow-partial", is_flag=True, help="Train on a dataset whose generation has not finished."
)
@click.option("--device", default="cpu", show_default=True)
@click.option(
    "--precision",
    type=click.Choice(["auto", "bf16", "fp16", "fp32"]),
    default="auto",
    show_default=True,
    help="On a GPU: autocast to bf16 (where supported) or fp16; the CPU trains in fp32.",
)
@click.option(
    "--gradient-checkpointing", is_flag=True, help="Less memory, more time (large models)."
)
@click.option("--resume", is_flag=True, help="Go on with a killed run in the same folder.")
@click.option("--overwrite", is_flag=True, help="Replace a run of another recipe.")
@click.pass_obj
def finetune(settings, **flags) -> None:  # type: ignore[no-untyped-def]
    """Fine-tune Whisper on a generated dataset: LoRA by default, evaluated as it trains."""
    from devspeech.finetune.options import FinetuneOptions, TrainControl
    from devspeech.finetune.train import finetune as run_finetune

    method, why = flags["method"], ""
    if method == AUTO:  # said once the run is done: a refused run stays one line
        method, why = choose_method(flags["device"])
    options = FinetuneOptions(
        model=flags["model"], data=flags["data"], method=method, rank=flags["rank"],
        alpha=flags["alpha"], dropout=flags["dropout"],
        target_modules=comma_list(flags["target_modules"]), lora_layers=flags["lora_layers"],
        train_layers=flags["train_layers"],
        learning_rate=get_method(method).learning_rate
        if flags["learning_rate"] is None
        else flags["learning_rate"],
        batch_size=flags["batch_size"],
        grad_accum=flags["grad_accum"], warmup_steps=flags["warmup_steps"],
        max_steps=flags["max_steps"], eval_every=flags["eval_every"], eval_rows=flags["eval_rows"],
        timestamp_fraction=flags["timestamp_fraction"], prompt_fraction=flags["prompt_fraction"],
        vocabulary_prompt_fraction=flags["vocabulary_prompt_fraction"],
        vocabulary_distractors=flags["vocabulary_distractors"],
        keyword_loss_weight=flags["keyword_loss_weight"],
        general_data=None if flags["general_data"] == "none" else flags["general_data"],
        general_fraction=flags["general_fraction"], recordings=flags["recordings"],
        recordings_weight=flags["recordings_weight"],
        seed=settings.seed if settings else 0,
    )  # fmt: skip
    control = TrainControl(
        device=flags["device"], resume=flags["resume"], overwrite=flags["overwrite"],
        progress=True, gradient_checkpointing=flags["gradient_checkpointing"],
        precision=flags["precision"], allow_partial=flags["allow_partial"],
    )  # fmt: skip
    summary = run_finetune(options, flags["output"], control)
    if why:
        click.echo(f"method: {method} at lr {options.learning_rate:g} (auto: {why})")
    click.echo((flags["output"] / "report.md").read_text(encoding="utf-8"))
    resumed = f", resumed from step {summary.resumed_from}" if summary.resumed_from else ""
    click.echo(
        f"wrote {summary.result} ({summary.steps} steps{resumed}, {summary.elapsed_s:.0f} s)"
    )


@click.command()
@click.argument("run", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--merge", is_flag=True, help="A merged transformers folder (the default format).")
@click.option("--ct2", is_flag=True, help="A CTranslate2 folder for faster-whisper.")
@click.option("--onnx", is_flag=True, help="ONNX encoder and decoder for ONNX Runtime.")
@click.option(
    "--quantization",
    default=None,
    help="ct2: int8 (default), int8_float32, float16, float32; "
    "onnx: int8 (default), int8_decoder, float32.",
)
@click.option(
    "--interpolate",
    type=float,
    default=None,
    metavar="ALPHA",
    help="Blend weights: base + ALPHA * (tuned - base).",
)
@click.option("--overwrite", is_flag=True)
def export(
    run: Path,
    output: Path,
    merge: bool,
    ct2: bool,
    onnx: bool,
    quantization: str | None,
    interpolate: float | None,
    overwrite: bool,
) -> None:
    """Export a finished fine-tune RUN: merged transformers, CTranslate2 or ONNX."""
    from devspeech.finetune.export import ExportOptions, folder_size
    from devspeech.finetune.export import export as run_export

    if merge + ct2 + onnx > 1:
        raise click.UsageError("give one of --merge, --ct2 and --onnx")
    fmt = "ct2" if ct2 else "onnx" if onnx else "transformers"
    options = ExportOptions(fmt, quantization, interpolate, overwrite)
    folder = run_export(run, output, options)
    click.echo(
        f"wrote {folder} ({folder_size(folder) / 1e6:.1f} MB); devspeech bench --model {folder}"
    )
