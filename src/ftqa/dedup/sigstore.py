"""MinHash signatures kept on disk, read back a block of rows or a set of rows at a time.

A signature is `num_perm` uint16 values: 256 bytes a row. Held in memory for every row by
every checker that signs rows, a million rows cost half a gigabyte per checker, and five
million tiny rows several gigabytes. The dataset-wide step only ever needs one band of all rows
at a time (LSH buckets), or the rows of a batch of candidate pairs (verification), so a
`SignatureStore` appends signatures to an anonymous temporary file and hands them back that way.

The functions of `ftqa.dedup.minhash` take either a store or an in-memory matrix (`Signatures`).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from typing import IO

import numpy as np

SIGNATURE_DTYPE = np.uint16  # the low 16 bits of each permutation's minimum (see minhash)
FLUSH_BYTES = 4 << 20
BLOCK_BYTES = 16 << 20  # read back this much at a time
PREAD_SHARE = 64  # a set of rows under 1/64 of all rows is read row by row, else scanned


class SignatureStore:
    """Fixed-width signatures (or any fixed-width rows of `dtype`, such as 128-bit keys),
    appended in row order, on disk."""

    def __init__(self, width: int, dtype: type[np.generic] = SIGNATURE_DTYPE) -> None:
        self.width = width
        self.dtype = np.dtype(dtype)
        self.row_bytes = width * self.dtype.itemsize
        self._file: IO[bytes] | None = None
        self._pending = bytearray()
        self._written = 0  # bytes in the file
        self._matrix: np.ndarray | None = None  # the write buffer as a matrix, once read

    def __len__(self) -> int:
        return (self._written + len(self._pending)) // self.row_bytes

    @property
    def shape(self) -> tuple[int, int]:
        return len(self), self.width

    def append(self, data: bytes) -> None:
        """Add whole signatures (`len(data)` a multiple of the row width)."""
        self._pending += data
        self._matrix = None
        if len(self._pending) >= FLUSH_BYTES:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="ftqa-sigs-")  # noqa: SIM115 - closed in close()
        self._file.seek(0, os.SEEK_END)
        self._file.write(self._pending)
        self._written += len(self._pending)
        self._pending = bytearray()

    def _in_memory(self) -> np.ndarray | None:
        """All signatures as one matrix while they still fit the write buffer (small inputs
        never touch the disk), else None."""
        if self._file is not None:
            return None
        if self._matrix is None:
            data = bytes(self._pending)
            self._matrix = np.frombuffer(data, dtype=self.dtype).reshape(-1, self.width)
        return self._matrix

    def blocks(self, rows_per_block: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
        """`(first row, (rows, width) matrix)` for every row, in order."""
        matrix = self._in_memory()
        if matrix is not None:
            if len(matrix):
                yield 0, matrix
            return
        self._flush()
        count = len(self)
        step = rows_per_block or max(1, BLOCK_BYTES // self.row_bytes)
        for first in range(0, count, step):
            rows = min(step, count - first)
            yield first, self._read(first, rows)

    def _read(self, first: int, rows: int) -> np.ndarray:
        assert self._file is not None
        self._file.seek(first * self.row_bytes)
        data = self._file.read(rows * self.row_bytes)
        return np.frombuffer(data, dtype=self.dtype).reshape(rows, self.width)

    def all(self) -> np.ndarray:
        """Every row, `(rows, width)`, read into memory."""
        matrix = self._in_memory()
        if matrix is not None:
            return matrix
        self._flush()
        return self._read(0, len(self))

    def take(self, rows: np.ndarray) -> np.ndarray:
        """The signatures of `rows` (any order, repeats allowed), `(len(rows), width)`."""
        rows = np.asarray(rows, dtype=np.int64)
        wanted, inverse = np.unique(rows, return_inverse=True)
        if len(wanted) == 0:
            return np.zeros((0, self.width), dtype=self.dtype)
        matrix = self._in_memory()
        if matrix is not None:
            return matrix[rows]
        self._flush()
        if len(wanted) * PREAD_SHARE < len(self):
            size = self.row_bytes
            data = b"".join(self._read_at(int(row) * size, size) for row in wanted.tolist())
            found = np.frombuffer(data, dtype=self.dtype).reshape(-1, self.width)
        else:
            found = np.empty((len(wanted), self.width), dtype=self.dtype)
            for first, block in self.blocks():
                lo, hi = np.searchsorted(wanted, [first, first + len(block)])
                found[lo:hi] = block[wanted[lo:hi] - first]
        return found[inverse.ravel()]

    def _read_at(self, offset: int, size: int) -> bytes:
        assert self._file is not None
        if hasattr(os, "pread"):  # not on Windows
            return os.pread(self._file.fileno(), size, offset)
        self._file.seek(offset)
        return self._file.read(size)

    def close(self) -> None:
        if self._file is not None:
            file, self._file = self._file, None
            with contextlib.suppress(OSError):  # a scratch file: never fail the report
                file.close()
        self._pending = bytearray()

    def __del__(self) -> None:
        self.close()


Signatures = np.ndarray | SignatureStore


def signature_blocks(sigs: Signatures) -> Iterator[tuple[int, np.ndarray]]:
    """`(first row, block)` of an in-memory matrix (one block) or a store."""
    if isinstance(sigs, SignatureStore):
        yield from sigs.blocks()
    elif len(sigs):
        yield 0, sigs


def take(sigs: Signatures, rows: np.ndarray) -> np.ndarray:
    if isinstance(sigs, SignatureStore):
        return sigs.take(rows)
    return sigs[rows]


def width(sigs: Signatures) -> int:
    return sigs.width if isinstance(sigs, SignatureStore) else int(sigs.shape[1])
