"""What the split keeps per row (exact key, MinHash signature, stratum values) and the choice of
the stratum column."""

from __future__ import annotations

from array import array
from collections.abc import Mapping
from typing import Any

import numpy as np

from ftqa.dedup import KeyIndex, SignatureIndex, merge, scope_key, scope_text
from ftqa.dedup.normalize import Normalization
from ftqa.errors import FtqaError
from ftqa.records import Record

AUTO_STRATA = ("label", "category")
MAX_STRATA = 100
MISSING = "(none)"


class _Features:
    """What the split keeps per row: exact key, MinHash signature, stratum values (as ids)."""

    def __init__(self, dup: Any, near: Any, columns: tuple[str, ...]) -> None:
        self.dup = dup
        self.near = near
        self.norm = dup.normalization()
        self.keys = KeyIndex()
        self.sigs = SignatureIndex(near.params()) if near is not None else None
        self.readable = bytearray()
        self.lines: list[int | None] = []
        self.names = ("label", *columns)
        self.ids: dict[str, dict[str, int]] = {name: {} for name in self.names}
        self.values: dict[str, array[int]] = {name: array("i") for name in self.names}
        self._text_norm = Normalization(nfkc=True, casefold=True, whitespace=False)

    def add(self, record: Record) -> None:
        ok = record.readable and record.format is not None
        self.readable.append(ok)
        self.lines.append(record.line)
        dup, near = self.dup, self.near
        self.keys.add(scope_key(record, dup.scope, self.norm, dup.include_system) if ok else None)
        if self.sigs is not None:
            text = ""
            if ok:
                text = scope_text(record, near.scope, self._text_norm, near.include_system)
            self.sigs.add(text)
        raw = record.raw if ok and isinstance(record.raw, Mapping) else {}
        for name in self.names:
            value = _stratum_value(record.label if name == "label" else raw.get(name))
            if not ok or value is None:
                self.values[name].append(-1)
                continue
            ids = self.ids[name]
            self.values[name].append(ids.setdefault(value, len(ids)))

    def clusters(self) -> np.ndarray:
        labels = self.keys.labels()
        if self.sigs is not None:
            near = self.sigs.clusters().labels
            moved = np.flatnonzero(near != np.arange(len(near)))
            labels = merge(labels, np.stack([moved, near[moved]], axis=1))
        return labels

    def present(self, name: str) -> tuple[int, int]:
        """Rows with a value for `name`, and distinct values."""
        values = self.values[name]
        return len(values) - values.count(-1), len(self.ids[name])

    def strata(self, name: str | None) -> list[str]:
        if name is None:
            return ["all"] * len(self.readable)
        names = {i: value for value, i in self.ids[name].items()}
        return [names.get(i, MISSING) for i in self.values[name]]


def _stratum_value(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def _strata_key(stratify_by: str | None, features: _Features, eligible: int) -> str | None:
    if stratify_by is None:
        return None
    if stratify_by != "auto":
        if features.present(stratify_by)[0] == 0:
            raise FtqaError(f"no row has a value for `{stratify_by}` to stratify by")
        return stratify_by
    for name in AUTO_STRATA:
        rows, distinct = features.present(name)
        if 2 * rows >= eligible and 1 < distinct <= min(MAX_STRATA, max(2, eligible // 5)):
            return name
    return None
