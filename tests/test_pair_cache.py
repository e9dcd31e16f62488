"""The neighbour search's result is kept by the digest of its inputs: a re-check of unchanged
prompts reads it back (same findings), any change searches again, and a damaged, foreign or
out-of-range entry is a miss."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import ftqa
from conftest import DATA
from ftqa.semantic import INSTALL_COMMAND, unavailable_reason
from ftqa.semantic.pair_cache import MAX_ENTRIES, PairCache, search_digest

PARAPHRASES = DATA / "contradictions" / "paraphrase-yes-no.jsonl"
needs_extra = pytest.mark.skipif(
    unavailable_reason() is not None, reason=f"semantic extra missing: {INSTALL_COMMAND}"
)


def _vectors(count: int = 300, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((count, 16)).astype(np.float16)


def test_the_digest_follows_every_input():
    vectors = _vectors()
    centre = vectors.mean(axis=0, dtype=np.float32)
    partition = np.zeros(len(vectors), dtype=np.int8)
    base = search_digest(vectors, centre, partition, (0.7, 10))
    assert search_digest(vectors.copy(), centre.copy(), partition.copy(), (0.7, 10)) == base
    changed = vectors.copy()
    changed[123, 4] += np.float16(0.01)
    other_partition = partition.copy()
    other_partition[7] = 1
    assert search_digest(changed, centre, partition, (0.7, 10)) != base
    assert search_digest(vectors, centre * 2, partition, (0.7, 10)) != base
    assert search_digest(vectors, None, partition, (0.7, 10)) != base
    assert search_digest(vectors, centre, other_partition, (0.7, 10)) != base
    assert search_digest(vectors, centre, None, (0.7, 10)) != base
    assert search_digest(vectors, centre, partition, (0.75, 10)) != base
    assert search_digest(vectors[:-1], centre, partition[:-1], (0.7, 10)) != base


def test_a_stored_result_is_read_back_and_bad_entries_are_misses(tmp_path: Path):
    cache = PairCache(tmp_path)
    pairs = np.array([[0, 5], [2, 9]], dtype=np.int64)
    sims = np.array([0.91, 0.75], dtype=np.float32)
    cache.put("a" * 32, pairs, sims)
    found = cache.get("a" * 32, count=10)
    assert found is not None
    assert np.array_equal(found[0], pairs)
    assert np.array_equal(found[1], sims)
    assert cache.hits == 1
    assert cache.get("b" * 32, count=10) is None  # never stored
    assert cache.get("a" * 32, count=9) is None  # a row out of range: not this search's
    (tmp_path / f"{'c' * 32}.npz").write_bytes(b"PK\x03\x04 damaged")
    assert cache.get("c" * 32, count=10) is None
    np.savez(tmp_path / f"{'d' * 32}.npz", pairs=np.zeros((2, 3)), sims=np.zeros(2))
    assert cache.get("d" * 32, count=10) is None  # wrong shape
    assert PairCache(None).get("a" * 32, count=10) is None


def test_the_cache_keeps_the_most_recently_used_entries(tmp_path: Path):
    cache = PairCache(tmp_path)
    empty = (np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=np.float32))
    for number in range(MAX_ENTRIES + 3):
        cache.put(f"{number:032x}", *empty)
        if number == 0:
            kept = f"{number:032x}"
        else:
            assert cache.get(kept, count=1) is not None  # used again: kept longest
    names = sorted(path.stem for path in tmp_path.glob("*.npz"))
    assert len(names) == MAX_ENTRIES
    assert kept in names
    assert f"{1:032x}" not in names  # the least recently used went first
    assert not list(tmp_path.glob("*.tmp"))


def _check(path: Path, cache: Path) -> ftqa.Report:
    config = {"contradictions": {"precise-limit": 0, "search-threshold": 0.5}}
    return ftqa.check(
        str(path),
        select=["contradictions"],
        config={"contradictions": {**config["contradictions"], "cache-dir": str(cache)}},
    )


@needs_extra
def test_a_recheck_of_unchanged_prompts_reads_the_search_back(tmp_path: Path):
    cache = tmp_path / "cache"
    first = _check(PARAPHRASES, cache)
    second = _check(PARAPHRASES, cache)
    before = first.stats["contradictions"]["tiers"]["semantic"]
    after = second.stats["contradictions"]["tiers"]["semantic"]
    assert before["path"] == after["path"] == "static"
    assert "search_from_cache" not in before
    assert after["search_from_cache"] is True
    assert [f.model_dump() for f in second.findings] == [f.model_dump() for f in first.findings]
    assert [(f.rule, f.lines) for f in second.findings] == [("conflicting-answers", [1, 5])]

    rows = [json.loads(line) for line in PARAPHRASES.read_text("utf-8").splitlines()]
    rows[2]["messages"][0]["content"] = "Is Venus the closest planet to the Sun?"
    edited = tmp_path / "edited.jsonl"
    edited.write_text("".join(json.dumps(row) + "\n" for row in rows), "utf-8")
    third = _check(edited, cache)
    assert "search_from_cache" not in third.stats["contradictions"]["tiers"]["semantic"]
