"""Read a file's bytes again, in order, to copy them exactly: the writer's side of a rewrite.

The loaders give every record its span in the file's (decompressed) byte stream; `RawBytes` walks
the same stream once more and hands out the bytes up to any offset, so a record of any size is
copied without being held in memory. It hashes the file as it goes, so the rewrite can prove it
read the same file the check read.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any, BinaryIO

from ftqa.errors import FtqaError, InputError
from ftqa.load.limits import Limits
from ftqa.load.stream import BoundedGzip, DecompressionBomb, HashingReader

GZIP_MAGIC = b"\x1f\x8b"
COPY_CHUNK = 1 << 20

Sink = Callable[[bytes], Any]


def drain(reader: HashingReader) -> None:
    """Read what is left of the file, so its hash covers every byte (gzip may stop early)."""
    while reader.read(COPY_CHUNK):
        pass


class RawBytes:
    """The decompressed bytes of `path`, consumed front to back."""

    def __init__(self, path: str, limits: Limits | None = None) -> None:
        self.path = path
        try:
            handle = open(path, "rb", buffering=0)  # noqa: SIM115 - closed in close()
        except OSError as error:
            raise InputError(path, error.strerror or str(error)) from error
        self._hashing = HashingReader(handle)
        with open(path, "rb") as probe:
            compressed = probe.read(2) == GZIP_MAGIC
        self._gzip: BoundedGzip | None = None
        stream: Any = self._hashing
        if compressed:
            self._gzip = BoundedGzip(self._hashing, limits or Limits())
            stream = self._gzip
        self._stream: BinaryIO = io.BufferedReader(stream, COPY_CHUNK)
        self.position = 0

    def read_until(self, end: int) -> bytes:
        """The bytes from the current position to `end`, in memory (for small pieces)."""
        parts: list[bytes] = []
        self.copy_until(end, parts.append)
        return b"".join(parts)

    def copy_until(self, end: int, *sinks: Sink) -> int:
        """Hand the bytes from the current position up to offset `end` to every sink, in
        pieces; returns how many."""
        if end < self.position:
            raise FtqaError(
                f"{self.path}: internal inconsistency while rewriting (record at offset {end} "
                f"before offset {self.position}); nothing was written"
            )
        copied = 0
        while self.position < end:
            piece = self._read(min(COPY_CHUNK, end - self.position))
            if not piece:
                raise FtqaError(
                    f"{self.path}: the file ended at byte {self.position} while rewriting, "
                    f"before byte {end}: it changed while ftqa was reading it; nothing was written"
                )
            for sink in sinks:
                sink(piece)
            self.position += len(piece)
            copied += len(piece)
        return copied

    def copy_rest(self, *sinks: Sink) -> int:
        copied = 0
        while piece := self._read(COPY_CHUNK):
            for sink in sinks:
                sink(piece)
            self.position += len(piece)
            copied += len(piece)
        return copied

    def _read(self, size: int) -> bytes:
        try:
            data = self._stream.read(size)
        except DecompressionBomb as error:
            raise FtqaError(f"{self.path}: cannot rewrite: {error}") from error
        except OSError as error:
            raise FtqaError(f"{self.path}: cannot read ({error.strerror or error})") from error
        if not data and self._gzip is not None and self._gzip.error is not None:
            raise FtqaError(f"{self.path}: cannot rewrite: {self._gzip.error}")
        return data

    def sha256(self) -> str:
        """sha256 of the file's bytes as stored (read to the end first)."""
        self.copy_rest()
        drain(self._hashing)
        return self._hashing.sha256.hexdigest()

    def close(self) -> None:
        self._stream.close()
