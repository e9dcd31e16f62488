"""What a checker's `map` returns for one row, and how the row is named on the reduce side.

`map(record, provided) -> RowResult` is pure: it reads the record and the shared per-row values
its checker declared (`ftqa.providers`) and returns the row's own findings, the small
serialisable `features` the checker's dataset-wide step needs, and the row's measures for the
examples table. It never writes to the checker or the record, so any executor may run it in any
process, in any order, or take it from the row cache (`ftqa.engine.cache`).

Features are plain data — None, bool, int, float, str, bytes, and lists, tuples or str-keyed
dicts of those — so they can be cached and sent between processes. Text in features is masked
by the outbound layer first, like any other output (`outbound_features`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ftqa.finding import Finding

SPLIT_RANK = {"train": 0, "validation": 1, "reference": 2}


@dataclass(frozen=True, slots=True)
class RowKey:
    """Where a row is: its split, file, 0-based row and 1-based line. Reduce steps receive rows
    in (split, file, row) order whatever order they were mapped in, so a reduce gives the same
    answer on any executor."""

    split: str
    file: str
    row: int
    line: int | None

    def sort_key(self, file_rank: int) -> tuple[int, int, int]:
        return (SPLIT_RANK.get(self.split, 3), file_rank, self.row)


@dataclass(slots=True)
class RowResult:
    """One checker's answer for one row."""

    findings: Sequence[Finding] = ()
    features: Any = None
    measures: dict[str, Any] | None = None

    @property
    def empty(self) -> bool:
        return not self.findings and self.features is None and not self.measures

    def __reduce__(self) -> tuple[type[RowResult], tuple[Any, ...]]:
        # Pickled by its fields: a slotted dataclass otherwise pickles a state dict per object
        # and unpickles it through a Python __setstate__ (3x slower for the process executor).
        return RowResult, (self.findings, self.features, self.measures)


NOTHING = RowResult()
