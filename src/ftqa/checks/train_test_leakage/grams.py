"""Word n-gram hashes of training and reference rows, and how they are matched."""

from __future__ import annotations

from array import array

import numpy as np

from ftqa.dedup import (
    RowLog,
)
from ftqa.dedup.shingles import CHUNK_CHARS, CHUNK_TEXTS, shingle_hashes


def _first_occurrence(hashes: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct hashes and, for each, the first reference row that has it."""
    if len(hashes) == 0:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    order = np.lexsort((rows, hashes))
    hashes, rows = hashes[order], rows[order]
    first = np.r_[True, hashes[1:] != hashes[:-1]]
    return hashes[first], rows[first]


def _first_hit_per_row(train_rows: np.ndarray, ref_rows: np.ndarray) -> dict[int, int]:
    """For each training row with a hit, the smallest reference row it matched."""
    out: dict[int, int] = {}
    if len(train_rows) == 0:
        return out
    order = np.lexsort((ref_rows, train_rows))
    train_rows, ref_rows = train_rows[order], ref_rows[order]
    first = np.r_[True, train_rows[1:] != train_rows[:-1]]
    for row, ref in zip(train_rows[first].tolist(), ref_rows[first].tolist(), strict=True):
        out[row] = ref
    return out


class _GramStore:
    """Distinct word n-gram hashes per row, batched; optionally capped in memory by keeping only
    hashes below 2**(64 - shift), a sample that is the same for every text."""

    def __init__(self, n: int, memory_mb: int | None) -> None:
        self.n = n
        self.limit = None if memory_mb is None else memory_mb * (1 << 20) // 12
        self.shift = 0
        self.owner_log = RowLog(excerpts=False)
        self._pending: list[str] = []
        self._pending_chars = 0
        self._rows = 0
        self._hashes: list[np.ndarray] = []
        self._owners: list[np.ndarray] = []
        self._stored = 0
        self._has = array("b")

    def add(self, text: str) -> None:
        self._pending.append(text)
        self._pending_chars += len(text)
        if self._pending_chars >= CHUNK_CHARS or len(self._pending) >= CHUNK_TEXTS:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        flat, offsets = shingle_hashes(self._pending, self.n)
        counts = np.diff(offsets)
        self._has.extend((counts > 0).astype(np.int8).tolist())
        owners = np.repeat(np.arange(self._rows, self._rows + len(self._pending)), counts)
        self._rows += len(self._pending)
        self._pending = []
        self._pending_chars = 0
        if self.shift:
            keep = flat < _bound(self.shift)
            flat, owners = flat[keep], owners[keep]
        pairs = np.unique(np.stack([owners.astype(np.uint64), flat], axis=1), axis=0)
        self._owners.append(pairs[:, 0].astype(np.int32))
        self._hashes.append(pairs[:, 1].copy())
        self._stored += len(pairs)
        while self.limit is not None and self._stored > self.limit:
            self.shift += 1
            bound = _bound(self.shift)
            for i, hashes in enumerate(self._hashes):
                keep = hashes < bound
                self._hashes[i] = hashes[keep]
                self._owners[i] = self._owners[i][keep]
            self._stored = sum(len(h) for h in self._hashes)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """`(hashes, row indices)` of every stored n-gram."""
        self._flush()
        if not self._hashes:
            return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
        return np.concatenate(self._hashes), np.concatenate(self._owners).astype(np.int64)

    def has_grams(self) -> np.ndarray:
        self._flush()
        return np.frombuffer(self._has, dtype=np.int8).astype(bool)

    def sample(self, hashes: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The same sample of another store's hashes."""
        if self.shift == 0:
            return hashes, rows
        keep = hashes < _bound(self.shift)
        return hashes[keep], rows[keep]

    def rate_text(self) -> str:
        return "all n-grams kept" if self.shift == 0 else f"1 in {1 << self.shift} n-grams kept"


def _bound(shift: int) -> np.uint64:
    return np.uint64(1 << (64 - shift))
