"""Word n-gram hashes of training and reference rows, and how they are matched."""

from __future__ import annotations

import re
from array import array

import numpy as np

from ftqa.dedup import (
    RowLog,
)
from ftqa.dedup.shingles import CHUNK_CHARS, CHUNK_TEXTS, shingle_hashes, token_count

# The tokens of ftqa.dedup.shingles: word runs, and each Thai, kana or CJK character alone.
_SINGLE = "\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"
_TOKEN_RE = re.compile(f"[{_SINGLE}]|[^\\W{_SINGLE}]+")


def _first_occurrence(hashes: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct hashes and, for each, the first reference row that has it."""
    if len(hashes) == 0:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    order = np.lexsort((rows, hashes))
    hashes, rows = hashes[order], rows[order]
    first = np.r_[True, hashes[1:] != hashes[:-1]]
    return hashes[first], rows[first]


def _common(hashes: np.ndarray, rows: np.ndarray, limit: int) -> np.ndarray:
    """Mask of the (hash, row) pairs whose hash occurs in more than `limit` distinct rows."""
    if len(hashes) == 0:
        return np.zeros(0, dtype=bool)
    _, inverse, counts = np.unique(hashes, return_inverse=True, return_counts=True)
    return counts[inverse.ravel()] > limit


def _first_hit_per_row(
    train_rows: np.ndarray, ref_rows: np.ndarray, hashes: np.ndarray
) -> dict[int, tuple[int, set[int]]]:
    """For each training row with a hit, the smallest reference row it matched and the hashes
    of the n-grams the two share."""
    out: dict[int, tuple[int, set[int]]] = {}
    if len(train_rows) == 0:
        return out
    order = np.lexsort((ref_rows, train_rows))
    train_rows, ref_rows, hashes = train_rows[order], ref_rows[order], hashes[order]
    for row, ref, value in zip(
        train_rows.tolist(), ref_rows.tolist(), hashes.tolist(), strict=True
    ):
        entry = out.get(row)
        if entry is None:
            out[row] = (ref, {value})
        elif entry[0] == ref:
            entry[1].add(value)
    return out


def shared_words(text: str, n: int, values: set[int], limit: int = 60) -> str | None:
    """The first run of `text` whose n-grams are all among `values`, as written (at most `limit`
    words; None when the tokens cannot be matched to the hashes)."""
    hashes, _ = shingle_hashes([text], n)
    spans = [match.span() for match in _TOKEN_RE.finditer(text)]
    if len(spans) < n or len(spans) - n + 1 != len(hashes):
        return None
    inside = np.isin(hashes, np.array(sorted(values), dtype=np.uint64))
    found = np.flatnonzero(inside)
    if not len(found):
        return None
    first = last = int(found[0])
    while last + 1 < len(inside) and inside[last + 1] and last + n - first < limit:
        last += 1
    return text[spans[first][0] : spans[last + n - 1][1]]


def row_grams(texts: list[str], n: int, min_words: int = 1) -> list[np.ndarray]:
    """The distinct word n-gram hashes of each text, sorted. A text shorter than n words has
    one padded window: it is kept only when the text has at least `min(min_words, n)` words."""
    flat, offsets = shingle_hashes(texts, n)
    out = [np.unique(flat[offsets[i] : offsets[i + 1]]) for i in range(len(texts))]
    if min_words > 1:
        single = [i for i, grams in enumerate(out) if len(grams) == 1]
        if single:
            words = token_count([texts[i] for i in single])
            for index, count in zip(single, words.tolist(), strict=True):
                if count < min(min_words, n):
                    out[index] = out[index][:0]
    return out


class _GramStore:
    """Distinct word n-gram hashes per row (`row_grams`), batched; optionally capped in memory
    by keeping only hashes below 2**(64 - shift), a sample that is the same for every text."""

    def __init__(self, n: int, memory_mb: int | None, min_words: int = 1) -> None:
        self.n = n
        self.min_words = min_words
        self.limit = None if memory_mb is None else memory_mb * (1 << 20) // 12
        self.shift = 0
        self.owner_log = RowLog(excerpts=False)
        self._pending = bytearray()
        self._counts = array("q")
        self._rows = 0
        self._hashes: list[np.ndarray] = []
        self._owners: list[np.ndarray] = []
        self._stored = 0
        self._has = array("b")

    def add(self, text: str) -> None:
        self.add_grams(row_grams([text], self.n, self.min_words)[0].tobytes())

    def add_grams(self, grams: bytes) -> None:
        """Add a row's `row_grams` (uint64 bytes)."""
        self._pending += grams
        self._counts.append(len(grams) // 8)
        if len(self._pending) >= CHUNK_CHARS or len(self._counts) >= CHUNK_TEXTS:
            self._flush()

    def _flush(self) -> None:
        if not self._counts:
            return
        flat = np.frombuffer(bytes(self._pending), dtype=np.uint64)
        counts = np.frombuffer(self._counts, dtype=np.int64)
        self._has.extend((counts > 0).astype(np.int8).tolist())
        owners = np.repeat(np.arange(self._rows, self._rows + len(counts)), counts)
        self._rows += len(counts)
        self._pending = bytearray()
        self._counts = array("q")
        if self.shift:
            keep = flat < _bound(self.shift)
            flat, owners = flat[keep], owners[keep]
        self._owners.append(owners.astype(np.int32))
        self._hashes.append(flat.copy())
        self._stored += len(flat)
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
