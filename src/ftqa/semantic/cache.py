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

The cache is bounded (`ftqa.semantic.eviction`): a lookup that hits a shard marks it used (its
keys file's modification time, set once per run), and a run whose writes take the cache over
its bound deletes whole shards, least recently used first.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ftqa.semantic.eviction import CacheBound, evict
from ftqa.semantic.shard_files import LOCK_NAME, atomic_save, lock, vectors_path

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
    """Vectors of one model, looked up by text key. `directory=None` disables the cache;
    `bound` (shared by the caches of one run) keeps every model's shards under a size.

    Every shard's keys are written sorted and unique, so a lookup binary-searches each shard's
    memory-mapped keys: its cost follows the keys asked for, not the size of the cache (which
    grows with every dataset the user has checked)."""

    def __init__(
        self,
        directory: Path | None,
        dim: int,
        compact_bytes: int = COMPACT_BYTES,
        bound: CacheBound | None = None,
    ) -> None:
        self.directory = directory
        self.dim = dim
        self.compact_bytes = compact_bytes
        self.bound = bound
        self._shards: list[tuple[Path, np.ndarray]] | None = None  # (keys path, sorted keys)
        self._used: set[Path] = set()
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
            vectors: np.ndarray | None = np.load(vectors_path(path), mmap_mode="r")
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
        for index, (path, shard_keys) in enumerate(self._shard_keys()):
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
            self._mark_used(path)
            found[wanted[hit]] = True
            wanted = wanted[~hit]
        hits = int(found.sum())
        self.hits += hits
        self.misses += len(keys) - hits
        return found, rows[found]

    def _mark_used(self, path: Path) -> None:
        """Make the shard the most recently used (eviction goes by this time), once per run:
        one system call, nothing rewritten. A read-only cache just keeps its order."""
        if path not in self._used:
            self._used.add(path)
            with contextlib.suppress(OSError):
                os.utime(path)

    def store(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Write the new vectors as one shard (duplicate keys are kept once); not when the
        shard alone would exceed the bound (it would be evicted at once)."""
        if self.directory is None or len(keys) == 0:
            return
        keys, first = np.unique(keys, return_index=True)
        vectors = np.asarray(vectors[first], dtype=np.float16)
        if self.bound is not None and keys.nbytes + vectors.nbytes > self.bound.max_bytes:
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            name = f"{time.time_ns():x}-{os.getpid()}-{os.urandom(4).hex()}"
            atomic_save(self.directory / f"{name}.vecs.npy", vectors)
            atomic_save(self.directory / f"{name}.keys.npy", keys)
            if self.bound is not None:
                self.bound.written.add(f"{name}.keys.npy")
                evict(self.bound)  # before compacting: never merge shards about to go
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
        with lock(self.directory / LOCK_NAME) as locked:
            if not locked:
                return
            shards = _smallest(sorted(self.directory.glob("*.keys.npy")), self.compact_bytes)
            if len(shards) < 2:
                return
            keys: list[np.ndarray] = []
            vectors: list[np.ndarray] = []
            last_used = 0
            for path in shards:
                try:
                    used = path.stat().st_mtime_ns
                    shard_keys = np.load(path)
                    shard_vectors = np.load(vectors_path(path))
                except (OSError, ValueError):
                    continue
                if shard_vectors.shape != (len(shard_keys), self.dim):
                    continue
                keys.append(shard_keys)
                vectors.append(shard_vectors)
                last_used = max(last_used, used)
            if not keys:
                return
            merged_keys, first = np.unique(np.concatenate(keys), return_index=True)
            merged_vectors = np.concatenate(vectors)[first]
            name = f"{time.time_ns():x}-{os.getpid()}-merged"
            merged = self.directory / f"{name}.keys.npy"
            atomic_save(self.directory / f"{name}.vecs.npy", merged_vectors)
            atomic_save(merged, merged_keys)
            # The merged shard was last used when its most recently used part was; it is this
            # run's own only when every part was.
            with contextlib.suppress(OSError):
                os.utime(merged, ns=(last_used, last_used))
            written = self.bound.written if self.bound is not None else set()
            if all(path.name in written for path in shards):
                written.add(merged.name)
            for path in shards:
                with contextlib.suppress(OSError):
                    path.unlink()
                with contextlib.suppress(OSError):
                    vectors_path(path).unlink()


def _smallest(shards: list[Path], budget: int) -> list[Path]:
    """The smallest shards (by vector bytes) whose sizes add up to at most `budget`."""
    sized = []
    for path in shards:
        with contextlib.suppress(OSError):
            sized.append((vectors_path(path).stat().st_size, path.name, path))
    chosen, total = [], 0
    for size, _, path in sorted(sized):
        if total + size > budget:
            break
        chosen.append(path)
        total += size
    return chosen
