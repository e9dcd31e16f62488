"""The files of the embedding cache's shards: paths, atomic writes and the advisory lock that
serializes compaction and eviction (`ftqa.semantic.cache`, `ftqa.semantic.eviction`)."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

KEYS_SUFFIX = ".keys.npy"
VECTORS_SUFFIX = ".vecs.npy"
LOCK_NAME = ".lock"


def vectors_path(keys_path: Path) -> Path:
    return keys_path.with_name(keys_path.name[: -len(KEYS_SUFFIX)] + VECTORS_SUFFIX)


def keys_path(vectors: Path) -> Path:
    return vectors.with_name(vectors.name[: -len(VECTORS_SUFFIX)] + KEYS_SUFFIX)


def atomic_save(path: Path, array: np.ndarray) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as handle:
        np.save(handle, array)
    os.replace(tmp, path)


@contextlib.contextmanager
def lock(path: Path, wait: float = 0.0) -> Iterator[bool]:
    """An exclusive advisory lock, tried for up to `wait` seconds; yields False when another
    process still holds it (or the file cannot be opened)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no compaction or eviction
        yield False
        return
    try:
        handle = open(path, "a+b")  # noqa: SIM115 - closed below, after the unlock
    except OSError:
        yield False
        return
    with handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.05)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
