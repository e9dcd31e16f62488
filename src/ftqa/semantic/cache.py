"""On-disk embedding cache: a vector per (model, exact input text), so a re-run embeds only the
texts it has not seen.

Layout: `<cache root>/embeddings/<model id>/<shard>.keys.npy` (sorted uint64 text keys) and
`<shard>.vecs.npy` (float16 vectors, one row per key). A run that embedded new texts writes a shard
per 65,536 new vectors (vectors first, keys last, each through a temporary file and an atomic
rename, so a reader never sees half a shard); when there are more than `MAX_SHARDS` shards the
smallest ones, up to `COMPACT_BYTES` of vectors, are merged into one under a lock (large shards
stay as they are: merging them would load the cache into memory). Concurrent runs are safe: shard
names are unique and readers skip shards that disappear under them. Keys are 64-bit BLAKE2b digests
of the UTF-8 text (stable across processes); float16 keeps 3 significant digits of each component,
far finer than any threshold.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

MAX_SHARDS = 24
COMPACT_BYTES = 128 << 20
KEY_PERSON = b"ftqa-embed"


def text_keys(texts: Sequence[str]) -> np.ndarray:
    """64-bit stable keys of the texts."""
    out = np.empty(len(texts), dtype=np.uint64)
    for i, text in enumerate(texts):
        digest = hashlib.blake2b(
            text.encode("utf-8", "surrogatepass"), digest_size=8, person=KEY_PERSON
        ).digest()
        out[i] = int.from_bytes(digest, "little")
    return out


class EmbeddingCache:
    """Vectors of one model, looked up by text key. `directory=None` disables the cache.

    Every shard's keys are written sorted and unique, so a lookup binary-searches each shard's
    memory-mapped keys: its cost follows the keys asked for, not the size of the cache (which
    grows with every dataset the user has checked)."""

    def __init__(
        self, directory: Path | None, dim: int, compact_bytes: int = COMPACT_BYTES
    ) -> None:
        self.directory = directory
        self.dim = dim
        self.compact_bytes = compact_bytes
        self._shards: list[tuple[Path, np.ndarray]] | None = None  # (keys path, sorted keys)
        self.hits = 0
        self.misses = 0

    def _shard_keys(self) -> list[tuple[Path, np.ndarray]]:
        if self._shards is not None:
            return self._shards
        self._shards = []
        if self.directory is None or not self.directory.is_dir():
            return self._shards
        for path in sorted(self.directory.glob("*.keys.npy")):
            try:
                keys = np.load(path, mmap_mode="r")
            except (OSError, ValueError):
                continue
            if keys.ndim == 1 and keys.dtype == np.uint64 and len(keys):
                self._shards.append((path, keys))
        return self._shards

    def _shard_vectors(self, index: int) -> np.ndarray | None:
        """The shard's vectors, memory-mapped for one lookup: a mapping kept for the run would
        count every page a long run touches as resident (a gigabyte for a large cache)."""
        path, keys = self._shard_keys()[index]
        try:
            vectors: np.ndarray | None = np.load(_vectors_path(path), mmap_mode="r")
        except (OSError, ValueError):
            return None
        if vectors is not None and vectors.shape != (len(keys), self.dim):
            return None
        return vectors

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """`(found mask, vectors float32 (found rows only, in order))`."""
        keys = np.asarray(keys, dtype=np.uint64)
        found = np.zeros(len(keys), dtype=bool)
        rows = np.zeros((len(keys), self.dim), dtype=np.float32)
        wanted = np.arange(len(keys))
        for index, (_, shard_keys) in enumerate(self._shard_keys()):
            if not len(wanted):
                break
            asked = keys[wanted]
            places = np.minimum(np.searchsorted(shard_keys, asked), len(shard_keys) - 1)
            hit = shard_keys[places] == asked
            if not hit.any():
                continue
            vectors = self._shard_vectors(index)
            if vectors is None:
                continue
            rows[wanted[hit]] = np.asarray(vectors[places[hit]], dtype=np.float32)
            del vectors  # unmapped now
            found[wanted[hit]] = True
            wanted = wanted[~hit]
        hits = int(found.sum())
        self.hits += hits
        self.misses += len(keys) - hits
        return found, rows[found]

    def store(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Write the new vectors as one shard (duplicate keys are kept once)."""
        if self.directory is None or len(keys) == 0:
            return
        keys, first = np.unique(keys, return_index=True)
        vectors = np.asarray(vectors[first], dtype=np.float16)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            name = f"{time.time_ns():x}-{os.getpid()}-{os.urandom(4).hex()}"
            _atomic_save(self.directory / f"{name}.vecs.npy", vectors)
            _atomic_save(self.directory / f"{name}.keys.npy", keys)
            self._compact()
        except OSError:
            return  # a read-only or full cache only costs speed

    def _compact(self) -> None:
        """Past `MAX_SHARDS` shards, merge the smallest ones, up to `COMPACT_BYTES` of vectors
        in all: merging everything would load the whole cache (a gigabyte after a few large
        datasets) into memory at once."""
        assert self.directory is not None
        if len(list(self.directory.glob("*.keys.npy"))) <= MAX_SHARDS:
            return
        with _lock(self.directory / ".lock") as locked:
            if not locked:
                return
            shards = _smallest(sorted(self.directory.glob("*.keys.npy")), self.compact_bytes)
            if len(shards) < 2:
                return
            keys: list[np.ndarray] = []
            vectors: list[np.ndarray] = []
            for path in shards:
                try:
                    shard_keys = np.load(path)
                    shard_vectors = np.load(_vectors_path(path))
                except (OSError, ValueError):
                    continue
                if shard_vectors.shape != (len(shard_keys), self.dim):
                    continue
                keys.append(shard_keys)
                vectors.append(shard_vectors)
            if not keys:
                return
            merged_keys, first = np.unique(np.concatenate(keys), return_index=True)
            merged_vectors = np.concatenate(vectors)[first]
            name = f"{time.time_ns():x}-{os.getpid()}-merged"
            _atomic_save(self.directory / f"{name}.vecs.npy", merged_vectors)
            _atomic_save(self.directory / f"{name}.keys.npy", merged_keys)
            for path in shards:
                with contextlib.suppress(OSError):
                    path.unlink()
                with contextlib.suppress(OSError):
                    _vectors_path(path).unlink()


def _vectors_path(keys_path: Path) -> Path:
    return keys_path.with_name(keys_path.name[: -len(".keys.npy")] + ".vecs.npy")


def _smallest(shards: list[Path], budget: int) -> list[Path]:
    """The smallest shards (by vector bytes) whose sizes add up to at most `budget`."""
    sized = []
    for path in shards:
        with contextlib.suppress(OSError):
            sized.append((_vectors_path(path).stat().st_size, path.name, path))
    chosen, total = [], 0
    for size, _, path in sorted(sized):
        if total + size > budget:
            break
        chosen.append(path)
        total += size
    return chosen


def _atomic_save(path: Path, array: np.ndarray) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as handle:
        np.save(handle, array)
    os.replace(tmp, path)


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[bool]:
    """An exclusive, non-blocking advisory lock; yields False when another process holds it."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no compaction, shards just accumulate
        yield False
        return
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
