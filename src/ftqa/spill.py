"""Texts gathered row by row while the rows stream past, kept in an anonymous temporary file.

Embedding needs the texts again after the pass (to embed them in large batches, and to re-score
a few candidate pairs with the precise model), but a checker must not keep rows in memory. A
`TextStore` appends each text (clipped to `max_chars`) to a temporary file that the operating
system deletes when it is closed, and keeps only an 8-byte end offset per text in memory.
"""

from __future__ import annotations

import contextlib
import tempfile
from array import array
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate
from typing import IO

import numpy as np

FLUSH_BYTES = 1 << 20
MANY_AT_ONCE = 64  # texts asked at once from which `many` reads a span in one piece
MANY_SPAN_BYTES = 64 << 20


class TextStore:
    """Append-only texts on disk, read back by index."""

    def __init__(self, max_chars: int = 2000, tail_chars: int = 0) -> None:
        """Texts longer than `max_chars` keep their first `max_chars - tail_chars` characters
        and, when `tail_chars` > 0, their last `tail_chars` (joined by a newline)."""
        self.max_chars = max_chars
        self.tail_chars = min(tail_chars, max_chars // 2)
        self._file: IO[bytes] | None = None
        self._pending = bytearray()
        self._written = 0
        self._ends = array("Q")

    def __len__(self) -> int:
        return len(self._ends)

    def add(self, text: str, clip: bool = True) -> int:
        """Append `text` (clipped to `max_chars` unless `clip` is False); its index."""
        if clip and len(text) > self.max_chars:
            text = self._clipped(text)
        self._pending += text.encode("utf-8", "surrogatepass")
        self._ends.append(self._written + len(self._pending))
        if len(self._pending) >= FLUSH_BYTES:
            self._flush()
        return len(self._ends) - 1

    def add_many(self, texts: Iterable[str], clip: bool = True) -> None:
        """`add` each of `texts`, in order."""
        limit = self.max_chars
        if clip:
            texts = [text if len(text) <= limit else self._clipped(text) for text in texts]
        data = [text.encode("utf-8", "surrogatepass") for text in texts]
        ends = accumulate(map(len, data), initial=self._written + len(self._pending))
        next(ends)
        self._ends.extend(ends)
        self._pending += b"".join(data)
        if len(self._pending) >= FLUSH_BYTES:
            self._flush()

    def pack(self, texts: Iterable[str], clip: bool = True) -> list[bytes]:
        """`texts` as `add_many` would store them, as plain data (`[UTF-8 bytes, lengths]`) for
        `add_packed`: a block of texts crosses a process boundary as two bytes objects."""
        limit = self.max_chars
        if clip:
            texts = [text if len(text) <= limit else self._clipped(text) for text in texts]
        data = [text.encode("utf-8", "surrogatepass") for text in texts]
        return [b"".join(data), array("Q", map(len, data)).tobytes()]

    def add_packed(self, packed: Sequence[bytes]) -> None:
        """Add texts that `pack` gave (of a store with the same limits), in order."""
        blob, lengths = packed
        sizes = np.frombuffer(lengths, dtype=np.uint64)
        if int(sizes.sum()) != len(blob):
            raise ValueError("packed texts whose lengths do not add up")
        ends = np.cumsum(sizes) + np.uint64(self._written + len(self._pending))
        self._ends.frombytes(ends.astype(np.uint64).tobytes())
        self._pending += blob
        if len(self._pending) >= FLUSH_BYTES:
            self._flush()

    def _clipped(self, text: str) -> str:
        head = text[: self.max_chars - self.tail_chars]
        return head + "\n" + text[-self.tail_chars :] if self.tail_chars else head

    def _flush(self) -> None:
        if not self._pending:
            return
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="ftqa-texts-")  # noqa: SIM115 - closed in close()
        self._file.seek(0, 2)
        self._file.write(self._pending)
        self._written += len(self._pending)
        self._pending = bytearray()

    def _read(self, start: int, end: int) -> bytes:
        if start >= self._written:
            return bytes(self._pending[start - self._written : end - self._written])
        assert self._file is not None
        self._file.seek(start)
        data = self._file.read(min(end, self._written) - start)
        if end > self._written:
            data += bytes(self._pending[: end - self._written])
        return data

    def get(self, index: int) -> str:
        start = self._ends[index - 1] if index else 0
        return self._read(start, self._ends[index]).decode("utf-8", "surrogatepass")

    def many(self, indices: Iterable[int]) -> list[str]:
        """The texts at `indices`; read in one piece when they lie close together (most of
        the store, as an embedding step asks), else one by one."""
        wanted = [int(index) for index in indices]
        if len(wanted) < MANY_AT_ONCE:
            return [self.get(index) for index in wanted]
        ends = self._ends
        starts = [ends[index - 1] if index else 0 for index in wanted]
        stops = [ends[index] for index in wanted]
        low, high = min(starts), max(stops)
        needed = sum(stop - start for start, stop in zip(starts, stops, strict=True))
        if high - low > min(MANY_SPAN_BYTES, max(4 * needed, 1 << 20)):
            return [self.get(index) for index in wanted]
        data = self._read(low, high)
        return [
            data[start - low : stop - low].decode("utf-8", "surrogatepass")
            for start, stop in zip(starts, stops, strict=True)
        ]

    def chunks(self, size: int = 4096) -> Iterator[tuple[int, list[str]]]:
        """`(first index, texts)` in order, `size` texts at a time, read sequentially."""
        count = len(self._ends)
        for first in range(0, count, size):
            last = min(first + size, count)
            start = self._ends[first - 1] if first else 0
            data = self._read(start, self._ends[last - 1])
            texts: list[str] = []
            offset = start
            for i in range(first, last):
                end = self._ends[i]
                texts.append(data[offset - start : end - start].decode("utf-8", "surrogatepass"))
                offset = end
            yield first, texts

    def close(self) -> None:
        if self._file is not None:
            file, self._file = self._file, None
            # A scratch file: a full disk must not turn the report into a traceback.
            with contextlib.suppress(OSError):
                file.close()
        self._pending = bytearray()

    def __del__(self) -> None:
        self.close()


def as_store(texts: Sequence[str] | TextStore) -> TextStore:
    """A `TextStore` of the texts (returned unchanged when it already is one)."""
    if isinstance(texts, TextStore):
        return texts
    store = TextStore(max_chars=max((len(t) for t in texts), default=1) or 1)
    for text in texts:
        store.add(text)
    return store
