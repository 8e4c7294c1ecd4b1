"""What `devspeech finetune` costs per step with every method, against a bare PEFT loop.

    python perf/finetune_step.py [--model bundled:tiny.en] [--steps 12] [--batch-size 8]
        [--kinds bare,lora,...]

Speaks a small dataset with espeak-ng, then trains the same model on the same batch size,
each run in a fresh process:

- bare: the Hugging Face recipe by hand: LoRA r=32 (alpha 64, q/k/v/out_proj/fc1/fc2)
  through peft, log-mel features and tokenizer labels per batch, AdamW;
- every registered method but qlora (a CUDA GPU's) through `finetune` (evaluation off):
  `lora`, `dora`, `ia3` and `full` train the encoder too; `decoder`, `progressive` and
  the adapters with `-decoder` (`--lora-layers decoder`; bottleneck adapters only so
  here), `prompt` and `deep-prompt` (soft prompts of 32 vectors) keep it frozen and read
  its outputs from the cache after their first use; `decoder-top2` is `--train-layers 2`.

Seconds per step are the median over the steps after the first epoch (so the cache is
warm). Prints each with its trainable parameters and peak memory, the ratio bare /
devspeech lora (target >= 0.9), every cached-encoder method's speed-up over lora on every
layer (target >= 8x), and lora's peak memory (target: under 8 GB).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path


def bare(dataset: Path, model_spec: str, steps: int, batch_size: int) -> list[float]:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import WhisperForConditionalGeneration, WhisperProcessor

    from devspeech.audio import SAMPLE_RATE, decode_16k
    from devspeech.benchmark.models import parse_spec, transformers_location
    from devspeech.dataset import read_records

    torch.manual_seed(0)
    location = transformers_location(parse_spec(model_spec))
    processor = WhisperProcessor.from_pretrained(location)
    model = WhisperForConditionalGeneration.from_pretrained(location)
    targets = ["q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2"]
    config = LoraConfig(r=32, lora_alpha=64, lora_dropout=0.05, bias="none", target_modules=targets)
    model = get_peft_model(model, config)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    rows = list(read_records(dataset, "train"))
    marks = [time.perf_counter()]
    model.train()
    for step in range(steps):
        batch = [rows[(step * batch_size + i) % len(rows)] for i in range(batch_size)]
        audio = [decode_16k(r.audio.bytes) for r in batch]
        features = processor.feature_extractor(audio, sampling_rate=SAMPLE_RATE,
                                               return_tensors="pt").input_features  # fmt: skip
        labels = processor.tokenizer([r.text for r in batch], return_tensors="pt", padding=True)
        ids = labels.input_ids.masked_fill(labels.attention_mask == 0, -100)
        loss = model(input_features=features, labels=ids, use_cache=False).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        marks.append(time.perf_counter())
    return [b - a for a, b in pairwise(marks)]


KINDS = ("bare", "lora", "lora-decoder", "dora-decoder", "ia3", "ia3-decoder",
         "bottleneck-decoder", "prompt", "deep-prompt", "decoder", "decoder-top2", "progressive",
         "full")  # fmt: skip


def devspeech(
    dataset: Path, model_spec: str, steps: int, batch_size: int, kind: str
) -> tuple[list[float], int]:
    from devspeech.finetune.methods import variant_options
    from devspeech.finetune.options import FinetuneOptions, TrainControl
    from devspeech.finetune.train import finetune

    marks = [time.perf_counter()]
    options = FinetuneOptions(model=model_spec, data=str(dataset), **variant_options(kind),  # type: ignore[arg-type]
                              batch_size=batch_size, max_steps=steps, warmup_steps=1,
                              eval_every=steps, eval_rows=0, timestamp_fraction=0.0,
                              prompt_fraction=0.0)  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        control = TrainControl(after_step=lambda _: marks.append(time.perf_counter()),
                               save_every=steps)  # fmt: skip
        summary = finetune(options, Path(folder) / "run", control)
    return [b - a for a, b in pairwise(marks)], summary.trained_parameters


def child(kind: str, dataset: Path, model: str, steps: int, batch_size: int) -> None:
    """Run one kind of training and print its step times, trainable parameters and peak
    memory as JSON."""
    if kind == "bare":
        times, trainable = bare(dataset, model, steps, batch_size), 0
    else:
        times, trainable = devspeech(dataset, model, steps, batch_size, kind)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"times": times, "peak_mib": peak_mib, "trainable": trainable}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="bundled:tiny.en")
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--child", nargs=2, metavar=("KIND", "DATASET"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), args.model, args.steps, args.batch_size)
        return
    from devspeech.generator.api import GenerateOptions, RunOptions, generate
    from devspeech.jsonl import write_jsonl
    from devspeech.records import Utterance, utterance_id
    from devspeech.runner import RunnerOptions

    texts = [f"x{n} = np.array(values[{n}])" for n in range(40)]
    utterances = [Utterance(utterance_id("code", t), t, t.replace("_", " "), "code", "python",
                            ("np.array",), "perf", "perf", "MIT") for t in texts]  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write_jsonl(root / "u.jsonl", utterances)
        options = GenerateOptions(engines=("espeak",), augment="none", longform_fraction=0.0)
        generate(root / "u.jsonl", root / "ds", options, RunOptions(RunnerOptions(workers=2)))
        figures = {}
        kinds = [k for k in args.kinds.split(",") if k]
        for kind in dict.fromkeys(["bare", "lora", *kinds]):
            command = [sys.executable, __file__, "--child", kind, str(root / "ds"),
                       "--model", args.model, "--steps", str(args.steps),
                       "--batch-size", str(args.batch_size)]  # fmt: skip
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            figures[kind] = json.loads(done.stdout.strip().splitlines()[-1])
    rows = 32  # train rows of 40 utterances, about; one epoch is rows / batch steps
    warm = max(1, rows // args.batch_size + 1)
    step_s = {k: statistics.median(v["times"][warm:] or v["times"]) for k, v in figures.items()}
    print(f"model              {args.model}, batch {args.batch_size}, {args.steps} steps")
    for kind, figure in figures.items():
        label = "bare PEFT loop" if kind == "bare" else f"devspeech {kind}"
        trainable = f", {figure['trainable'] / 1e6:.2f}M trained" if figure["trainable"] else ""
        print(f"{label:<26} {step_s[kind]:7.2f} s/step, peak {figure['peak_mib']:7.0f} MiB"
              f"{trainable}")  # fmt: skip
    ratio = step_s["bare"] / step_s["lora"]
    print(f"ratio                      {ratio:7.2f} (bare / devspeech lora; target >= 0.9)")
    for kind in (k for k in figures if k not in ("bare", *FULL_ENCODER)):
        speed_up = step_s["lora"] / step_s[kind]
        print(f"{kind + ' speed-up':<26} {speed_up:6.2f}x over lora on every layer "
              "(cached encoder; target >= 8)")  # fmt: skip
    print(f"lora peak memory           {figures['lora']['peak_mib'] / 1024:7.2f} GiB (target < 8)")


FULL_ENCODER = ("lora", "dora", "ia3", "full")  # kinds that train the encoder: no cache


if __name__ == "__main__":
    main()
