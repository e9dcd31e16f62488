"""The neighbour search's result kept on disk, by the digest of everything it depends on.

A re-check of an unchanged dataset (the pre-commit hook on a commit that touches other files,
another report format, a warm benchmark) embeds nothing, because every vector is in the
embedding cache, but the inverted-file search over the vectors runs again: about 11 CPU seconds
at 100,000 prompts, most of a warm run. Its result depends only on the vectors, the centre, the
partition and the search's parameters, so it is stored under a BLAKE2b digest of those and read
back when they are the same. Any change to one vector gives another digest (a new search).

Layout: `<cache root>/search-pairs/<digest>.npz` (arrays only, loaded without pickle). At most
`MAX_ENTRIES` results are kept, the least recently used removed first. A damaged or foreign
file is a miss.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

VERSION = b"ftqa-pairs-1"
MAX_ENTRIES = 8
HASH_ROWS = 1 << 16  # rows hashed per block: memory stays bounded on large inputs


def search_digest(
    vectors: np.ndarray,
    centre: np.ndarray | None,
    partition: np.ndarray | None,
    parameters: tuple[object, ...],
) -> str:
    """The digest of a search's inputs: `vectors` (any dtype, hashed as stored), the centre,
    the partition and the parameters (thresholds, k, the index's constants)."""
    digest = hashlib.blake2b(digest_size=16, person=b"ftqa-search")
    digest.update(VERSION)
    digest.update(repr((vectors.shape, str(vectors.dtype), parameters)).encode())
    for start in range(0, len(vectors), HASH_ROWS):
        digest.update(np.ascontiguousarray(vectors[start : start + HASH_ROWS]).tobytes())
    for extra in (centre, partition):
        digest.update(b"-" if extra is None else np.ascontiguousarray(extra).tobytes())
    return digest.hexdigest()


class PairCache:
    """`get`/`put` of `(pairs, similarities)` by digest; `directory=None` keeps nothing."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.hits = 0

    def _path(self, digest: str) -> Path:
        assert self.directory is not None
        return self.directory / f"{digest}.npz"

    def get(self, digest: str, count: int) -> tuple[np.ndarray, np.ndarray] | None:
        """The stored result for `digest` over `count` vectors, or None."""
        if self.directory is None:
            return None
        path = self._path(digest)
        try:
            with np.load(path, allow_pickle=False) as stored:
                pairs = np.asarray(stored["pairs"], dtype=np.int64)
                sims = np.asarray(stored["sims"], dtype=np.float32)
            os.utime(path)  # recently used: kept longest
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            return None
        valid = (
            pairs.ndim == 2
            and pairs.shape[1] == 2
            and sims.shape == (len(pairs),)
            and (len(pairs) == 0 or (pairs.min() >= 0 and pairs.max() < count))
        )
        if not valid:
            return None
        self.hits += 1
        return pairs, sims

    def put(self, digest: str, pairs: np.ndarray, sims: np.ndarray) -> None:
        """Store a result; a full disk or an unwritable cache only means no cache."""
        if self.directory is None:
            return
        with contextlib.suppress(OSError):
            self.directory.mkdir(parents=True, exist_ok=True)
            handle, scratch = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            try:
                with os.fdopen(handle, "wb") as file:
                    np.savez(file, pairs=pairs, sims=sims)
                os.replace(scratch, self._path(digest))
            finally:
                with contextlib.suppress(OSError):
                    os.unlink(scratch)
            self._prune()

    def _prune(self) -> None:
        assert self.directory is not None
        entries = []
        for path in self.directory.glob("*.npz"):
            with contextlib.suppress(OSError):
                entries.append((path.stat().st_mtime, path))
        entries.sort(reverse=True)
        for _, path in entries[MAX_ENTRIES:]:
            with contextlib.suppress(OSError):
                path.unlink()
