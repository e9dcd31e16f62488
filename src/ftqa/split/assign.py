"""Which clusters go to validation: a keyed-hash order per stratum, shares by largest remainder."""

from __future__ import annotations

import hashlib
import math

import numpy as np

from ftqa.dedup import KeyIndex


def _priority(seed: int, key: bytes) -> int:
    digest = hashlib.blake2b(key, digest_size=8, key=seed.to_bytes(8, "little"))
    return int.from_bytes(digest.digest(), "big")


def _assign(
    labels: np.ndarray,
    readable: np.ndarray,
    strata: list[str],
    keys: KeyIndex,
    target: int,
    seed: int,
) -> np.ndarray:
    """A boolean mask of the rows that go to validation."""
    count = len(labels)
    raw_keys = keys.keys()
    valid = keys.valid()
    firsts, sizes = np.unique(labels[readable], return_counts=True)
    units: dict[str, list[tuple[int, int, int]]] = {}
    for first, size in zip(firsts.tolist(), sizes.tolist(), strict=True):
        content = raw_keys[first].tobytes() if valid[first] else b"row" + first.to_bytes(8, "big")
        units.setdefault(strata[first], []).append((_priority(seed, content), first, size))
    for members in units.values():
        members.sort()
    shares = _apportion({name: sum(u[2] for u in us) for name, us in units.items()}, target)
    chosen: set[int] = set()
    taken = 0
    for name in sorted(units):
        room = shares[name]
        for _, first, size in units[name]:
            if room <= 0:
                break
            if size <= room:
                chosen.add(first)
                room -= size
                taken += size
    if taken < target:  # clusters too large for their stratum's share: fill from any stratum
        rest = sorted(u for us in units.values() for u in us if u[1] not in chosen)
        for _, first, size in rest:
            if taken + size <= target:
                chosen.add(first)
                taken += size
            if taken == target:
                break
    mask = np.zeros(count, dtype=bool)
    if chosen:
        mask = np.isin(labels, np.fromiter(chosen, dtype=np.int64)) & readable
    return mask


def _apportion(sizes: dict[str, int], target: int) -> dict[str, int]:
    """Largest-remainder shares of `target` proportional to `sizes` (ties by name)."""
    total = sum(sizes.values())
    exact = {name: target * size / total for name, size in sizes.items()}
    shares = {name: math.floor(value) for name, value in exact.items()}
    left = target - sum(shares.values())
    for name in sorted(exact, key=lambda n: (-(exact[n] - shares[n]), n))[:left]:
        shares[name] += 1
    return shares
