"""What `devspeech finetune` costs per step against a bare PEFT loop, and what caching buys.

    python perf/finetune_step.py [--model bundled:tiny.en] [--steps 12] [--batch-size 8]

Speaks a small dataset with espeak-ng, then trains the same model on the same batch size,
each run in a fresh process:

- bare: the Hugging Face recipe by hand: LoRA r=32 (alpha 64, q/k/v/out_proj/fc1/fc2)
  through peft, log-mel features and tokenizer labels per batch, AdamW;
- devspeech lora: `finetune` with the same LoRA settings (evaluation off);
- devspeech decoder: `finetune --method decoder` (encoder outputs cached after their
  first use);
- devspeech lora-decoder: `finetune --lora-layers decoder` (LoRA on the decoder's layers
  alone, encoder outputs cached the same way).

Seconds per step are the median over the steps after the first epoch (so the decoder's
cache is warm). Prints each, the ratio bare / devspeech lora (target >= 0.9), the cached
methods' speed-up over lora, and the peak memory of each process (target for lora: under
8 GB).
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


def devspeech(
    dataset: Path, model_spec: str, steps: int, batch_size: int, kind: str
) -> list[float]:
    from devspeech.finetune.options import FinetuneOptions, TrainControl
    from devspeech.finetune.train import finetune

    marks = [time.perf_counter()]
    method, _, layers = kind.partition("-")
    options = FinetuneOptions(model=model_spec, data=str(dataset), method=method,
                              lora_layers=layers or "all",
                              batch_size=batch_size, max_steps=steps, warmup_steps=1,
                              eval_every=steps, eval_rows=0, timestamp_fraction=0.0,
                              prompt_fraction=0.0)  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        control = TrainControl(after_step=lambda _: marks.append(time.perf_counter()),
                               save_every=steps)  # fmt: skip
        finetune(options, Path(folder) / "run", control)
    return [b - a for a, b in pairwise(marks)]


def child(kind: str, dataset: Path, model: str, steps: int, batch_size: int) -> None:
    """Run one kind of training and print its step times and peak memory as JSON."""
    times = (bare(dataset, model, steps, batch_size) if kind == "bare"
             else devspeech(dataset, model, steps, batch_size, kind))  # fmt: skip
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"times": times, "peak_mib": peak_mib}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="bundled:tiny.en")
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=8)
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
        for kind in ("bare", "lora", "decoder", "lora-decoder"):
            command = [sys.executable, __file__, "--child", kind, str(root / "ds"),
                       "--model", args.model, "--steps", str(args.steps),
                       "--batch-size", str(args.batch_size)]  # fmt: skip
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            figures[kind] = json.loads(done.stdout.strip().splitlines()[-1])
    rows = 32  # train rows of 40 utterances, about; one epoch is rows / batch steps
    warm = max(1, rows // args.batch_size + 1)
    step_s = {k: statistics.median(v["times"][warm:] or v["times"]) for k, v in figures.items()}
    print(
        f"model              {args.model}, batch {args.batch_size}, LoRA r=32, {args.steps} steps"
    )
    for kind, label in (("bare", "bare PEFT loop"), ("lora", "devspeech lora"),
                        ("decoder", "devspeech decoder"),
                        ("lora-decoder", "lora, decoder")):  # fmt: skip
        print(f"{label:<18} {step_s[kind]:7.2f} s/step, peak {figures[kind]['peak_mib']:7.0f} MiB")
    ratio = step_s["bare"] / step_s["lora"]
    print(f"ratio              {ratio:7.2f} (bare / devspeech lora; target >= 0.9)")
    for kind in ("decoder", "lora-decoder"):
        speed_up = step_s["lora"] / step_s[kind]
        print(f"{kind + ' speed-up':<22} {speed_up:6.2f}x over lora (cached encoder)")
    print(f"lora peak memory   {figures['lora']['peak_mib'] / 1024:7.2f} GiB (target < 8)")


if __name__ == "__main__":
    main()
