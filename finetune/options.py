"""What a fine-tune run is (the recipe, recorded in the run folder) and how it runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, asdict, dataclass, fields
from pathlib import Path

from devspeech.errors import InputError
from devspeech.files import changed_options
from devspeech.finetune.methods import check_method_name

PRECISIONS = ("auto", "bf16", "fp16", "fp32")
LORA_LAYERS = ("all", "decoder")
# LoRA on every attention projection and both feed-forward layers (the research note)
TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2")
WARMUP_FRACTION = 0.1
WARMUP_MIN = 10


@dataclass(frozen=True)
class FinetuneOptions:
    """Everything that decides the trained weights; a resumed run must match it."""

    model: str
    data: str
    method: str = "lora"
    rank: int = 32
    alpha: int = 64
    dropout: float = 0.05
    target_modules: tuple[str, ...] = TARGET_MODULES
    # LoRA on the layers of the whole model, or of the decoder alone: the encoder then stays
    # frozen and its outputs are computed once per clip (fast on a CPU)
    lora_layers: str = "all"
    train_layers: int = 0  # the decoder method: train only the top N decoder layers (0: all)
    learning_rate: float = 1e-4
    batch_size: int = 8
    grad_accum: int = 1
    warmup_steps: int | None = None  # None: WARMUP_FRACTION of the run (see `warmup`)
    max_steps: int = 600
    eval_every: int = 100
    eval_rows: int = 64
    timestamp_fraction: float = 0.2
    prompt_fraction: float = 0.2
    # rows prompted with a list of terms (their own keywords among distractors) to teach the
    # model to copy names from its prompt (vocab_prompts.py); drawn anew at every step
    vocabulary_prompt_fraction: float = 0.0
    vocabulary_distractors: int = 24  # at most this many distractors in one list
    # the loss on the tokens that spell a row's keywords counts this many times another
    # token's (1: every token alike, as Whisper was trained)
    keyword_loss_weight: float = 1.0
    general_data: str | None = None  # a dataset, or builtin:general-en (built on first use)
    general_fraction: float = 0.3
    recordings: str | None = None  # a person's own recordings, trained on with a weight
    recordings_weight: int = 4  # each recording counts as this many generated rows
    max_grad_norm: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        check_method_name(self.method)
        if self.lora_layers not in LORA_LAYERS:
            raise InputError(f"--lora-layers {self.lora_layers!r}; one of {', '.join(LORA_LAYERS)}")
        for name in ("timestamp_fraction", "prompt_fraction", "general_fraction",
                     "vocabulary_prompt_fraction"):  # fmt: skip
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise InputError(f"--{name.replace('_', '-')} must be between 0 and 1")
        for name in ("rank", "alpha", "batch_size", "grad_accum", "max_steps", "eval_every",
                     "recordings_weight"):  # fmt: skip
            if getattr(self, name) < 1:
                raise InputError(f"--{name.replace('_', '-')} must be at least 1")
        if self.learning_rate <= 0:
            raise InputError("--learning-rate must be positive")
        if self.keyword_loss_weight < 1:
            raise InputError(
                f"--keyword-loss-weight {self.keyword_loss_weight} is under 1; 1 weighs keyword "
                "tokens as any other, 2 to 5 favours them"
            )
        if ((self.warmup_steps or 0) < 0 or self.eval_rows < 0 or self.vocabulary_distractors < 0
                or self.train_layers < 0):  # fmt: skip
            raise InputError("--warmup-steps, --eval-rows, --vocabulary-distractors and "
                             "--train-layers must not be negative")  # fmt: skip
        if not self.target_modules:
            raise InputError("--target-modules is empty")
        if self.general_data and round(self.batch_size * self.general_fraction) >= self.batch_size:
            raise InputError("--general-fraction leaves no room for the training data in a batch")

    @property
    def warmup(self) -> int:
        """Warm-up steps: as given, or WARMUP_FRACTION of the run, at least WARMUP_MIN
        steps, and never more than half the run (a 40-step run reaches its rate)."""
        if self.warmup_steps is not None:
            return self.warmup_steps
        return min(max(WARMUP_MIN, round(WARMUP_FRACTION * self.max_steps)), self.max_steps // 2)

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["target_modules"] = list(self.target_modules)
        return data

    def changes(self, recorded: dict[str, object]) -> list[str]:
        """The options on which a recorded recipe differs from this one; an option added
        since it was recorded compares as its default, which is what that version did."""
        defaults = {f.name: f.default for f in fields(self) if f.default is not MISSING}
        defaults["target_modules"] = list(TARGET_MODULES)
        return changed_options(recorded, self.to_dict(), defaults)


@dataclass(frozen=True)
class TrainControl:
    """How this run goes; never changes the weights it ends with."""

    device: str = "cpu"
    resume: bool = False
    overwrite: bool = False
    progress: bool = False
    save_every: int | None = None  # None: at every evaluation
    gradient_checkpointing: bool = False
    allow_partial: bool = False  # train on a dataset the generator has not finished
    precision: str = "auto"  # on a GPU: auto (bf16 where supported, else fp16), bf16, fp16, fp32
    # where the decoder method keeps encoder outputs (default: RUN_DIR/encoder-cache); runs
    # of one base model may share it (keyed by the audio), as the frozen encoder never changes
    encoder_cache: Path | None = None
    # called with each finished step (after any checkpoint of it); a hook for tests and tools
    after_step: Callable[[int], None] | None = None

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise InputError(
                f"--precision {self.precision!r}; choose one of {', '.join(PRECISIONS)}"
            )
