"""Deterministic, balanced sampling of the mined pool by kind."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from devspeech.errors import InputError
from devspeech.records import KINDS, Utterance
from devspeech.seeding import derive_seed

DEFAULT_MIX: dict[str, float] = {"code": 0.4, "shell": 0.2, "prose": 0.4}


def parse_mix(text: str) -> dict[str, float]:
    """ "code=0.4,shell=0.2,prose=0.4" -> weights; kinds left out get none."""
    mix: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        kind, sep, value = part.partition("=")
        if not sep or kind not in KINDS:
            raise InputError(
                f"--mix {part!r}: expected KIND=WEIGHT with KIND in {', '.join(KINDS)}"
            )
        try:
            weight = float(value)
        except ValueError:
            raise InputError(f"--mix {part!r}: {value!r} is not a number") from None
        if weight < 0:
            raise InputError(f"--mix {part!r}: weights must not be negative")
        mix[kind] = weight
    if not mix or sum(mix.values()) <= 0:
        raise InputError(f"--mix {text!r}: give at least one positive weight")
    return mix


def _quotas(total: int, weights: Mapping[str, float]) -> dict[str, int]:
    """Largest-remainder split of `total` by `weights`."""
    norm = sum(weights.values())
    exact = {k: total * w / norm for k, w in weights.items()}
    quotas = {k: int(v) for k, v in exact.items()}
    for kind in sorted(exact, key=lambda k: (-(exact[k] - quotas[k]), KINDS.index(k)))[
        : total - sum(quotas.values())
    ]:
        quotas[kind] += 1
    return quotas


def balanced_sample(
    pool: Sequence[Utterance],
    limit: int | None,
    mix: Mapping[str, float] | None,
    seed: int,
) -> list[Utterance]:
    """Up to `limit` utterances with kinds in proportion to `mix`, chosen by a seeded hash.

    Without a mix, DEFAULT_MIX applies when there is a limit. A kind with too few utterances
    gives its share to the others. The result is ordered by the same hash, so it does not
    depend on the order sources were mined in.
    """

    def rank(utterance: Utterance) -> int:
        return derive_seed(seed, "sample", utterance.id)

    by_kind = {kind: sorted((u for u in pool if u.kind == kind), key=rank) for kind in KINDS}
    weights = {k: w for k, w in (mix or DEFAULT_MIX).items() if w > 0}
    if mix is None and limit is None:
        chosen = list(pool)
    else:
        available = {k: len(by_kind[k]) for k in weights}
        if limit is None:  # the largest set that keeps the proportions exactly
            norm = sum(weights.values())
            limit = int(min(available[k] * norm / weights[k] for k in weights))
        take = dict.fromkeys(weights, 0)
        remaining, open_kinds = limit, dict(weights)
        while remaining > 0 and open_kinds:
            quotas = _quotas(remaining, open_kinds)
            for kind, quota in quotas.items():
                grant = min(quota, available[kind] - take[kind])
                take[kind] += grant
                remaining -= grant
            open_kinds = {k: w for k, w in open_kinds.items() if take[k] < available[k]}
            if all(q == 0 for q in quotas.values()):
                break
        chosen = [u for kind in weights for u in by_kind[kind][: take[kind]]]
    return sorted(chosen, key=rank)
