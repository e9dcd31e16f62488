"""The embedding cache's size bound: whole shards go, least recently used first.

One bound covers every model's shards under a cache root (`<cache>/embeddings/`): the disk is
the user's whatever model wrote to it, and a model whose files changed gets a new model id,
whose old shards are never read again. Under a bound per model they would stay forever; under
one shared bound they are the first to go.

Use is recorded without rewriting anything: a shard's keys file gets its modification time set
when a run writes it and when a lookup first hits it in a run (`EmbeddingCache`), so that time
is its last use. When a run's writes take the cache over the bound, shards are deleted, least
recently used first, until it fits; the shards the run wrote itself go last (only when they
alone exceed the bound: the run's vectors are in its memory, it never reads them back). A shard
larger than the whole bound is not written at all.

Concurrent runs stay safe: one evictor at a time (the root's lock), and a shard is deleted
under its model's compaction lock, so never while it is being merged. Readers skip shards
that vanish under them. Temporary files and vector files without keys that are over an hour
old belong to no live writer (a run killed mid-write) and are deleted too.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from ftqa.semantic.shard_files import (
    KEYS_SUFFIX,
    LOCK_NAME,
    VECTORS_SUFFIX,
    keys_path,
    lock,
    vectors_path,
)

LOCK_WAIT = 30.0  # seconds; compaction holds a model's lock while it merges up to 128 MB
STALE_SECONDS = 3600.0
PASSES = 3  # surveys per eviction: again when a concurrent compaction merged a chosen shard


@dataclass
class CacheBound:
    """The bound of the shards under `root`, shared by the caches of one run (each model's):
    `written` holds the names of the shards the run wrote."""

    root: Path
    max_bytes: int
    written: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Shard:
    keys: Path
    used_ns: int  # the keys file's modification time: the shard's last write or use
    size: int  # bytes of its keys and vectors


def survey(root: Path) -> tuple[list[Shard], list[Path]]:
    """Every shard under `root`, and the leftovers of dead writers."""
    shards: list[Shard] = []
    garbage: list[Path] = []
    stale = time.time() - STALE_SECONDS
    with contextlib.suppress(OSError):
        for folder in os.scandir(root):
            if not folder.is_dir(follow_symlinks=False):
                continue
            with contextlib.suppress(OSError):
                for entry in os.scandir(folder.path):
                    with contextlib.suppress(OSError):
                        _sort_entry(Path(entry.path), entry.stat(), stale, shards, garbage)
    return shards, garbage


def _sort_entry(
    path: Path, info: os.stat_result, stale: float, shards: list[Shard], garbage: list[Path]
) -> None:
    name = path.name
    if name.endswith(KEYS_SUFFIX) and not name.startswith("."):
        try:
            vectors = vectors_path(path).stat().st_size
        except OSError:
            vectors = 0  # being deleted, or a shard whose vectors are lost: its keys still count
        shards.append(Shard(path, info.st_mtime_ns, info.st_size + vectors))
    elif info.st_mtime < stale and (
        name.endswith(".tmp") or (name.endswith(VECTORS_SUFFIX) and not keys_path(path).exists())
    ):
        garbage.append(path)


def cache_bytes(root: Path) -> int:
    """Bytes of every shard under `root`."""
    return sum(shard.size for shard in survey(root)[0])


def evict(bound: CacheBound) -> int:
    """Delete shards until the cache fits its bound; returns the bytes freed. Never raises:
    a cache that cannot be trimmed now is trimmed by a later run."""
    freed = 0
    with lock(bound.root / LOCK_NAME, LOCK_WAIT) as locked:
        if not locked:
            return 0
        for _ in range(PASSES):
            shards, garbage = survey(bound.root)
            for path in garbage:
                with contextlib.suppress(OSError):
                    path.unlink()
            total = sum(shard.size for shard in shards)
            missed = False
            order = sorted(
                shards, key=lambda s: (s.keys.name in bound.written, s.used_ns, s.keys.name)
            )
            for shard in order:
                if total <= bound.max_bytes:
                    break
                if _delete(shard):
                    total -= shard.size
                    freed += shard.size
                else:
                    missed = True
            if total <= bound.max_bytes or not missed:
                break
    return freed


def _delete(shard: Shard) -> bool:
    """Delete a shard, keys first (readers stop finding it), under its model's compaction lock;
    False when it was gone already (merged or evicted by another run) or cannot be deleted."""
    with lock(shard.keys.parent / LOCK_NAME, LOCK_WAIT) as locked:
        if not locked:
            return False
        try:
            shard.keys.unlink()
        except OSError:
            return False
        with contextlib.suppress(OSError):
            vectors_path(shard.keys).unlink()
        return True
