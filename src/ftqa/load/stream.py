"""Binary input streams that hash what they read and guard against decompression bombs."""

from __future__ import annotations

import gzip
import hashlib
import io
import queue
import threading
import zlib
from typing import BinaryIO

from ftqa.load.limits import Limits


class BackgroundSha256:
    """sha256 computed on a helper thread, so hashing overlaps parsing on another core.

    hashlib releases the GIL while it hashes a large buffer, so the thread costs the parsing
    thread only a queue hand-off per chunk. At most `depth` chunks wait, which bounds memory.
    """

    def __init__(self, depth: int = 8) -> None:
        self._sha = hashlib.sha256()
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=depth)
        self._thread: threading.Thread | None = None
        self._digest: str | None = None

    def update(self, data: bytes) -> None:
        if self._digest is not None:
            raise RuntimeError("update after hexdigest")
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="ftqa-sha256", daemon=True)
            self._thread.start()
        self._queue.put(data)

    def _run(self) -> None:
        while (data := self._queue.get()) is not None:
            self._sha.update(data)

    def hexdigest(self) -> str:
        if self._digest is None:
            self._stop()
            self._digest = self._sha.hexdigest()
        return self._digest

    def _stop(self) -> None:
        """End the helper thread (once): a stream read only in part, then dropped, must not
        leave a thread waiting for chunks forever."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def close(self) -> None:
        self._stop()


class HashingReader(io.RawIOBase):
    """A raw reader that feeds every byte it returns into a sha256 and counts them."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.sha256 = BackgroundSha256()
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        count = len(data)
        buffer[:count] = data
        if count:
            self.sha256.update(data)
        self.bytes_read += count
        return count

    def close(self) -> None:
        self.sha256.close()
        self._raw.close()
        super().close()


class DecompressionBomb(Exception):
    pass


class CorruptStream(Exception):
    pass


GZIP_STEP = 64 * 1024


class BoundedGzip(io.RawIOBase):
    """Decompresses gzip (all members) and stops at a size or ratio cap.

    A truncated or corrupt stream ends the data cleanly where the damage starts (little is lost:
    decompression runs in small steps) and records the reason in `error`.
    """

    def __init__(self, compressed: HashingReader, limits: Limits) -> None:
        self._compressed = compressed
        self._gzip = gzip.GzipFile(fileobj=io.BufferedReader(compressed, 1 << 20))
        self._limits = limits
        self.bytes_out = 0
        self.error: str | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self.error is not None:
            return 0
        try:
            data = self._gzip.read(min(len(buffer), GZIP_STEP))
        except (OSError, EOFError, zlib.error) as error:
            self.error = (
                f"the gzip data is truncated or corrupt after {self.bytes_out} bytes ({error})"
            )
            return 0
        count = len(data)
        buffer[:count] = data
        self.bytes_out += count
        self._check_limits()
        return count

    def _check_limits(self) -> None:
        limits = self._limits
        if self.bytes_out > limits.max_decompressed_bytes:
            raise DecompressionBomb(
                f"decompressed size exceeds {limits.max_decompressed_bytes} bytes"
            )
        compressed = max(self._compressed.bytes_read, 1)
        if (
            self.bytes_out > limits.compression_ratio_grace_bytes
            and self.bytes_out / compressed > limits.max_compression_ratio
        ):
            raise DecompressionBomb(
                f"compression ratio above {limits.max_compression_ratio}:1 (a decompression bomb?)"
            )

    def close(self) -> None:
        try:
            self._gzip.close()
        finally:
            self._compressed.close()
            super().close()
