"""Distributions: counts of one dimension's values (capped), length buckets, percentiles, shares
and normalized entropy."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping

OTHER = "(other)"
MAX_DISTINCT = 100_000  # values tracked per dimension; later new values count as "(other)"


def _bucket(value: int, edges: tuple[int, ...]) -> str:
    low = 0
    for edge in edges:
        if value < edge:
            return f"{low}-{edge - 1}"
        low = edge
    return f"{low}+"


def _percentile(ordered: list[int], fraction: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), on sorted data."""
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _percent(share: float) -> str:
    return f"{share:.0%}" if share < 0.995 else f"{share:.1%}"


class _Distribution:
    """Counts of one dimension's values, with a cap on how many distinct values are tracked."""

    __slots__ = ("counts", "overflow")

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.overflow = 0

    def add(self, value: str) -> None:
        counts = self.counts
        if value in counts or len(counts) < MAX_DISTINCT:
            counts[value] += 1
        else:
            self.overflow += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values()) + self.overflow

    def top(self, limit: int) -> dict[str, int]:
        ranked = sorted(self.counts.items(), key=lambda item: (-item[1], item[0]))
        shown = dict(ranked[:limit])
        rest = sum(count for _, count in ranked[limit:]) + self.overflow
        if rest:
            shown[OTHER] = rest
        return shown


def _entropy(counts: Mapping[str, int]) -> float:
    """Shannon entropy of the distribution divided by its maximum, log(classes): 1 is uniform."""
    total = sum(counts.values())
    classes = len(counts)
    if classes < 2 or total == 0:
        return math.nan
    entropy = -sum((n / total) * math.log(n / total) for n in counts.values() if n)
    return entropy / math.log(classes)


def _rounded(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 4)
