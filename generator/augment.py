"""The acoustic chain of one row: voice perturbation, room, noise, channel, level.

Every choice comes from the row's own generator and is returned in the
`augmentation` record, so a row can be reproduced and filtered.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

import numpy as np

from devspeech.generator.channel import apply_channel
from devspeech.generator.levels import peak_normalize
from devspeech.generator.noise import NoiseFile, make_noise, mix_at_snr
from devspeech.generator.perturb import PerturbOptions, apply_perturbation, draw_perturbation
from devspeech.generator.rooms import Room, apply_room
from devspeech.records import Augmentation

AUGMENT_LEVELS = ("none", "light", "default", "heavy")


@dataclass(frozen=True)
class AugmentLevel:
    """How likely each stage is and how hard it hits, for one `--augment` level."""

    perturb: float
    room: float
    noise: float
    snr_db: tuple[float, float]
    channel: str


LEVELS: dict[str, AugmentLevel] = {
    "none": AugmentLevel(perturb=0.0, room=0.0, noise=0.0, snr_db=(30.0, 30.0), channel="none"),
    "light": AugmentLevel(perturb=0.3, room=0.3, noise=0.5, snr_db=(20.0, 40.0), channel="light"),
    # a desk: talker 0.3-0.6 m from the microphone. Pearsons et al. (1977) measured 5-15 dB
    # SNR for conversation at 1 m in homes and offices; half the distance adds about 6 dB.
    # The 1 m conditions and worse are `heavy`.
    "default": AugmentLevel(
        perturb=0.5, room=0.6, noise=0.8, snr_db=(10.0, 35.0), channel="default"
    ),
    "heavy": AugmentLevel(perturb=0.7, room=0.9, noise=1.0, snr_db=(0.0, 20.0), channel="heavy"),
}

NOISE_WEIGHTS: dict[str, float] = {
    "white": 0.05, "pink": 0.15, "brown": 0.05, "keyboard": 0.2, "hum": 0.15, "babble": 0.25,
}  # fmt: skip


@dataclass(frozen=True)
class Acoustics:
    """What the chain may draw from: the room bank, babble talkers and user noise files."""

    rooms: tuple[Room, ...]
    babble: tuple[np.ndarray, ...] = ()
    noise_files: tuple[NoiseFile, ...] = ()


@dataclass
class Augmented:
    """A processed clip, how to move old times onto it (t * ratio + offset), and the record."""

    audio: np.ndarray
    ratio: float = 1.0
    offset: float = 0.0
    record: Augmentation = field(default_factory=Augmentation)


def augment(
    audio: np.ndarray,
    level: AugmentLevel,
    clean: bool,
    acoustics: Acoustics,
    rng: random.Random,
) -> Augmented:
    """Run the chain on a clip; `clean` rows skip everything but level normalisation."""
    record = Augmentation()
    chain: list[str] = []
    ratio = 1.0
    offset = 0.0
    audio = peak_normalize(audio)
    if not clean and rng.random() < level.perturb:
        perturbation = draw_perturbation(PerturbOptions(probability=0.6), rng)
        audio, ratio = apply_perturbation(audio, perturbation)
        chain += perturbation.describe()
    if not clean and acoustics.rooms and rng.random() < level.room:
        room = acoustics.rooms[rng.randrange(len(acoustics.rooms))]
        audio = apply_room(audio, room)
        offset = room.delay_s
        record = replace(record, room=room.name, rt60_s=room.rt60_s)
        chain.append(f"room({room.name})")
    if not clean and rng.random() < level.noise:
        weights = dict(NOISE_WEIGHTS)
        if acoustics.noise_files:
            weights["file"] = sum(weights.values())  # user noise is half of all noise
        kinds = list(weights)
        kind = rng.choices(kinds, weights=[weights[k] for k in kinds])[0]
        snr = round(rng.uniform(*level.snr_db), 1)
        noise_rng = np.random.default_rng(rng.getrandbits(63))
        noise, label = make_noise(
            kind, len(audio), noise_rng, list(acoustics.babble), list(acoustics.noise_files)
        )
        audio = mix_at_snr(audio, noise, snr)
        record = replace(record, snr_db=snr, noise=label)
        chain.append(f"noise({label},{snr}dB)")
    if not clean:
        audio, effects = apply_channel(audio, level.channel, rng.getrandbits(63))
        chain += effects
    audio = peak_normalize(audio, round(rng.uniform(0.3, 0.95), 2))
    record = replace(record, chain=tuple(chain))
    return Augmented(audio=audio, ratio=ratio, offset=offset, record=record)
