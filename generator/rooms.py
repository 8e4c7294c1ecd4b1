"""A bank of simulated room impulse responses, built once per run and applied by convolution.

Rooms are shoeboxes of random size with wall, floor and ceiling materials from
pyroomacoustics' database, a talker and a microphone at random positions; each is
simulated by the image-source method and its RT60 measured from the response.
The bank is a pure function of (seed, size), so it is cached on disk and shared by
every worker.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from devspeech.audio import SAMPLE_RATE
from devspeech.seeding import item_rng

log = logging.getLogger(__name__)

WALLS = ("brickwork", "plasterboard", "rough_concrete", "ceramic_tiles", "wooden_lining",
         "glass_window", "gypsum_board", "curtains_cotton_0.5",
         "panel_fabric_covered_6pcf")  # fmt: skip
FLOORS = ("concrete_floor", "linoleum_on_concrete", "carpet_cotton", "carpet_thin",
          "wood_16mm", "marble_floor")  # fmt: skip
CEILINGS = ("ceiling_plasterboard", "ceiling_fibre_absorber", "ceiling_fissured_tile",
            "rough_concrete", "ceiling_metal_panel")  # fmt: skip
_MAX_ORDER = 12
_BANK_VERSION = 1


@dataclass(frozen=True)
class Room:
    """One simulated room: where it came from and its measured response."""

    name: str
    size_m: tuple[float, float, float]
    walls: str
    floor: str
    ceiling: str
    rt60_s: float
    delay_s: float
    rir: np.ndarray

    def describe(self) -> dict[str, object]:
        info = asdict(self)
        info.pop("rir")
        return info


def simulate_room(seed: int, index: int) -> Room:
    """Room number `index` of the bank for `seed`."""
    import pyroomacoustics as pra

    rng = item_rng(seed, "room", index)
    size = (rng.uniform(2.5, 9.0), rng.uniform(2.5, 7.0), rng.uniform(2.3, 3.6))
    walls, floor, ceiling = rng.choice(WALLS), rng.choice(FLOORS), rng.choice(CEILINGS)
    materials = pra.make_materials(
        ceiling=ceiling, floor=floor, east=walls, west=walls, north=walls, south=walls
    )
    room = pra.ShoeBox(
        list(size), fs=SAMPLE_RATE, materials=materials, max_order=_MAX_ORDER, air_absorption=True
    )
    source = _inside(rng, size, height=(1.1, 1.8))
    microphone = _inside(rng, size, height=(0.7, 1.3))
    while np.linalg.norm(np.subtract(source, microphone)) < 0.3:
        microphone = _inside(rng, size, height=(0.7, 1.3))
    room.add_source(source)
    room.add_microphone(microphone)
    room.compute_rir()
    rir = np.asarray(room.rir[0][0], dtype=np.float64)
    peak = int(np.argmax(np.abs(rir)))  # the direct path is the strongest arrival
    rt60 = float(pra.experimental.measure_rt60(rir, fs=SAMPLE_RATE))
    rir = rir / np.abs(rir[peak])
    return Room(
        name=f"room{index:03d}",
        size_m=tuple(round(v, 2) for v in size),  # type: ignore[arg-type]
        walls=walls,
        floor=floor,
        ceiling=ceiling,
        rt60_s=round(rt60, 3),
        delay_s=peak / SAMPLE_RATE,
        rir=rir.astype(np.float32),
    )


def _inside(rng: random.Random, size: tuple[float, float, float], height: tuple[float, float]):
    margin = 0.4
    return [
        rng.uniform(margin, size[0] - margin),
        rng.uniform(margin, size[1] - margin),
        rng.uniform(*height),
    ]


def _simulate(args: tuple[int, int]) -> Room:
    return simulate_room(*args)


def room_bank(seed: int, count: int, cache_dir: Path, workers: int = 1) -> list[Room]:
    """The bank for (seed, count), read from `cache_dir` or simulated in parallel and cached."""
    key = hashlib.sha256(json.dumps([_BANK_VERSION, seed, count]).encode()).hexdigest()[:12]
    path = cache_dir / f"rooms-{key}.npz"
    if path.is_file():
        return _load(path)
    log.info("simulating %d rooms on %d worker(s)", count, workers)
    jobs = [(seed, index) for index in range(count)]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            rooms = list(pool.map(_simulate, jobs))
    else:
        rooms = [_simulate(job) for job in jobs]
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp.npz")
    np.savez(
        partial,
        meta=json.dumps([room.describe() for room in rooms]),
        **{room.name: room.rir for room in rooms},
    )
    partial.replace(path)
    return rooms


def _load(path: Path) -> list[Room]:
    with np.load(path) as data:
        meta = json.loads(str(data["meta"]))
        return [
            Room(**{**info, "size_m": tuple(info["size_m"])}, rir=data[info["name"]])
            for info in meta
        ]


def apply_room(audio: np.ndarray, room: Room) -> np.ndarray:
    """Convolve with the room; the output is as long as the input plus the reverb tail."""
    from scipy.signal import oaconvolve

    tail = min(len(room.rir), int(room.rt60_s * SAMPLE_RATE) + int(room.delay_s * SAMPLE_RATE))
    wet = oaconvolve(audio, room.rir)[: len(audio) + tail]
    return wet.astype(np.float32)
