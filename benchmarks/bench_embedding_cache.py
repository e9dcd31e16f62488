"""The embedding cache's size bound: what recording use and evicting add to lookups and writes.

    python benchmarks/bench_embedding_cache.py                  # ~1M cached vectors of 256 dims
    python benchmarks/bench_embedding_cache.py --vectors 262144 --dim 64
    /work/main/.venv/bin/python benchmarks/bench_embedding_cache.py   # ftqa before the bound

1. A cache of `--vectors` random float16 vectors in shards of 65,536 (the shard size of a run),
   written untimed.
2. **lookup**: `--keys` stored keys (spread over every shard) looked up by a fresh cache object,
   as a run's first lookup does (with the bound, each shard hit gets its time of use set: one
   `utime` per shard per run), then by the same object again (nothing to record). Median of
   `--repeat`.
3. **write**: one more shard of 65,536 vectors stored, with a bound the cache stays under (the
   cost the bound adds to every write is one survey of the shards), then **evict**: the bound
   lowered to half the cache, timed alone (whole shards deleted).

With an ftqa that has no bound (`ftqa.semantic.eviction` missing), steps 2 and 3 run without
one, for the figures before the change.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from ftqa.semantic.cache import EmbeddingCache

try:
    from ftqa.semantic.eviction import CacheBound, cache_bytes, evict
except ImportError:  # ftqa before the bound
    CacheBound = None  # type: ignore[assignment,misc]

SHARD = 65536


def timed(call: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vectors", type=int, default=16 * SHARD)
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--keys", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    bounded = CacheBound is not None
    print(f"ftqa {'with' if bounded else 'without'} the embedding cache bound")
    work = Path(tempfile.mkdtemp(prefix="ftqa-bench-embeddings-"))
    try:
        root = work / "embeddings"
        folder = root / "model"
        rng = np.random.default_rng(0)
        writer = EmbeddingCache(folder, args.dim)
        stored = []
        for start in range(0, args.vectors, SHARD):
            count = min(SHARD, args.vectors - start)
            keys = rng.integers(1, 2**63, size=count, dtype=np.uint64)
            writer.store(keys, rng.standard_normal((count, args.dim), dtype=np.float32))
            stored.append(keys)
        every = np.concatenate(stored)
        size = sum(path.stat().st_size for path in folder.iterdir() if path.suffix == ".npy")
        print(f"cache: {len(every):,} vectors, {len(stored)} shards, {size / 2**20:,.0f} MB")

        first, again = [], []
        for _ in range(args.repeat):
            asked = rng.choice(every, size=args.keys, replace=False)
            cache = EmbeddingCache(folder, args.dim)
            seconds, (found, _) = timed(lambda c=cache, a=asked: c.lookup(a))
            assert found.all()
            first.append(seconds)
            again.append(timed(lambda c=cache, a=asked: c.lookup(a))[0])
        print(
            f"lookup of {args.keys:,} keys: first in a run {statistics.median(first) * 1e3:.1f} ms"
            f", again {statistics.median(again) * 1e3:.1f} ms (median of {args.repeat})"
        )

        big = 1 << 40
        bound = CacheBound(root, big) if bounded else None
        cache = EmbeddingCache(folder, args.dim, bound=bound) if bound else writer
        keys = rng.integers(1, 2**63, size=SHARD, dtype=np.uint64)
        vectors = rng.standard_normal((SHARD, args.dim), dtype=np.float32)
        seconds, _ = timed(lambda: cache.store(keys, vectors))
        print(f"write of one {SHARD:,}-vector shard: {seconds * 1e3:.1f} ms")
        if bounded:
            survey_seconds = [timed(lambda: evict(bound))[0] for _ in range(args.repeat)]
            print(
                "of which the bound's survey (nothing to evict): "
                f"{statistics.median(survey_seconds) * 1e3:.2f} ms"
            )
            total = cache_bytes(root)
            bound.max_bytes = total // 2
            seconds, freed = timed(lambda: evict(bound))
            print(
                f"evict to half the cache: {freed / 2**20:,.0f} MB freed in {seconds * 1e3:.1f} ms"
                f"; {cache_bytes(root) / 2**20:,.0f} MB left (bound {bound.max_bytes / 2**20:,.0f})"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
