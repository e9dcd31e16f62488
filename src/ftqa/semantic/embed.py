"""Embedding with a cache: vectors for texts, computing only the ones the cache does not hold."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from ftqa.semantic.cache import EmbeddingCache, text_keys
from ftqa.semantic.eviction import CacheBound
from ftqa.spill import TextStore

CHUNK = 8192
SHARD_ROWS = 65536  # new vectors written to the cache as one shard


class Model(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass
class Embedder:
    """A model plus its on-disk cache (`cache_dir=None`: no cache), kept under `bound` when
    given (its root is `cache_dir`)."""

    model: Model
    cache_dir: Path | None
    label: str = ""
    bound: CacheBound | None = None
    embedded: int = 0
    cached: int = 0
    seconds: float = 0.0
    _cache: EmbeddingCache | None = field(default=None, repr=False)
    _new_keys: list[np.ndarray] = field(default_factory=list, repr=False)
    _new_vectors: list[np.ndarray] = field(default_factory=list, repr=False)
    _batching: bool = field(default=False, repr=False)

    @property
    def cache(self) -> EmbeddingCache:
        if self._cache is None:
            directory = None if self.cache_dir is None else self.cache_dir / self.model.id
            self._cache = EmbeddingCache(directory, self.model.dim, bound=self.bound)
        return self._cache

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors `(len(texts), dim)` float32; an empty text gets a zero vector."""
        start = time.perf_counter()
        out = np.zeros((len(texts), self.model.dim), dtype=np.float32)
        if not texts:
            return out
        keys = text_keys(texts)
        found, vectors = self.cache.lookup(keys)
        out[found] = vectors
        self.cached += int(found.sum())
        todo = [i for i in np.flatnonzero(~found).tolist() if texts[i].strip()]
        if todo:
            # Each distinct text once.
            unique: dict[int, int] = {}
            for i in todo:
                unique.setdefault(int(keys[i]), i)
            first = list(unique.values())
            new = np.zeros((len(first), self.model.dim), dtype=np.float32)
            progress = _Progress(self.label, 0 if self._batching else len(first))
            for offset in range(0, len(first), CHUNK):
                batch = first[offset : offset + CHUNK]
                new[offset : offset + len(batch)] = self.model.encode(
                    [_encodable(texts[i]) for i in batch]
                )
                progress.update(offset + len(batch))
            progress.close()
            # The cache keeps float16: use fresh vectors at that precision too, so a run that
            # embeds a text and a run that reads it back judge it the same way.
            new = new.astype(np.float16).astype(np.float32)
            self.embedded += len(first)
            where = {key: row for row, key in enumerate(unique)}
            rows = np.array([where[int(keys[i])] for i in todo], dtype=np.int64)
            out[np.array(todo, dtype=np.int64)] = new[rows]
            self._new_keys.append(keys[np.array(first, dtype=np.int64)])
            self._new_vectors.append(new)
            if not self._batching or sum(map(len, self._new_keys)) >= SHARD_ROWS:
                self._store_new()
        self.seconds += time.perf_counter() - start
        return out

    def _store_new(self) -> None:
        """Write the vectors embedded since the last write as one cache shard (a shard per
        call of `embed` would make thousands of shards on a large file)."""
        if self._new_keys:
            keys, vectors = np.concatenate(self._new_keys), np.concatenate(self._new_vectors)
            self._new_keys, self._new_vectors = [], []
            self.cache.store(keys, vectors)

    def embed_store(
        self, store: TextStore, indices: np.ndarray | None = None, dtype: type = np.float32
    ) -> np.ndarray:
        """Vectors of the texts of `store` (all, or `indices` in that order). Every vector has
        float16 precision (the cache's), so `dtype=np.float16` halves the memory losslessly."""
        # Texts are read back CHUNK at a time: a million prompts held at once would take
        # gigabytes, the vectors a quarter of that.
        count = len(store) if indices is None else len(indices)
        out = np.empty((count, self.model.dim), dtype=dtype)
        self._batching = True
        progress = _Progress(self.label, count)
        try:
            if indices is None:
                for first, texts in store.chunks(CHUNK):
                    out[first : first + len(texts)] = self.embed(texts)
                    progress.update(first + len(texts))
            else:
                for first in range(0, count, CHUNK):
                    chosen = indices[first : first + CHUNK].tolist()
                    out[first : first + len(chosen)] = self.embed(store.many(chosen))
                    progress.update(first + len(chosen))
        finally:
            progress.close()
            self._batching = False
            self._store_new()
        return out

    def stats(self) -> dict[str, object]:
        return {
            "model": self.model.id,
            "embedded": self.embedded,
            "from_cache": self.cached,
            "seconds": round(self.seconds, 2),
        }


def _encodable(text: str) -> str:
    """Tokenizers reject lone surrogates (invalid UTF-16 halves from broken JSON escapes)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


class _Progress:
    """One rewritten stderr line for long embeddings, only when stderr is a terminal."""

    MIN_TEXTS = 20000

    def __init__(self, label: str, total: int) -> None:
        self.total = total
        self.label = label or "embedding"
        self.enabled = total >= self.MIN_TEXTS and sys.stderr.isatty()
        self.start = time.perf_counter()

    def update(self, done: int) -> None:
        if self.enabled:
            rate = done / max(time.perf_counter() - self.start, 1e-9)
            sys.stderr.write(f"\rftqa: {self.label}: {done:,}/{self.total:,} ({rate:,.0f}/s)")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()
