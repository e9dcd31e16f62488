"""Signatures kept on disk (`SignatureStore`) give the same LSH candidates, similarities and
identical-signature groups as the same signatures held in memory."""

from __future__ import annotations

import numpy as np

from ftqa.dedup.minhash import candidate_pairs, signature_groups, similarity
from ftqa.dedup.sigstore import FLUSH_BYTES, SignatureStore

PERMS = 128


def _signatures(rows: int) -> np.ndarray:
    """Random signatures with planted near copies (a few values changed) and exact copies."""
    rng = np.random.default_rng(7)
    sigs = rng.integers(0, 1 << 16, size=(rows, PERMS), dtype=np.uint16)
    sources = rng.choice(rows, size=rows // 20, replace=False)
    targets = rng.choice(rows, size=rows // 20, replace=False)
    sigs[targets] = sigs[sources]
    changed = targets[: len(targets) // 2]
    sigs[changed, :10] = rng.integers(0, 1 << 16, size=(len(changed), 10), dtype=np.uint16)
    return sigs


def _store(sigs: np.ndarray, piece: int = 997) -> SignatureStore:
    store = SignatureStore(PERMS)
    for start in range(0, len(sigs), piece):
        store.append(sigs[start : start + piece].tobytes())
    return store


def test_a_store_larger_than_its_buffer_reads_back_what_was_written():
    sigs = _signatures(3 * FLUSH_BYTES // (2 * PERMS))
    store = _store(sigs)
    assert store.shape == sigs.shape
    assert np.array_equal(np.concatenate([b for _, b in store.blocks(5000)]), sigs)
    few = np.array([len(sigs) - 1, 0, 17, 17])  # read row by row
    assert np.array_equal(store.take(few), sigs[few])
    many = np.arange(0, len(sigs), 3)[::-1]  # scanned
    assert np.array_equal(store.take(many), sigs[many])


def test_lsh_on_disk_equals_lsh_in_memory():
    sigs = _signatures(3 * FLUSH_BYTES // (2 * PERMS))
    store = _store(sigs)
    members = np.flatnonzero(np.arange(len(sigs)) % 5 != 0)
    partition = (np.arange(len(sigs)) % 3).astype(np.int64)
    pairs = candidate_pairs(sigs, 16, 8, members, partition)
    assert len(pairs) > 300  # planted copies in the same partition, among the members
    assert np.array_equal(candidate_pairs(store, 16, 8, members, partition), pairs)
    assert np.array_equal(similarity(store, pairs), similarity(sigs, pairs))
    assert np.array_equal(signature_groups(store, partition), signature_groups(sigs, partition))


def test_a_small_store_never_touches_the_disk():
    sigs = _signatures(50)
    store = _store(sigs)
    assert np.array_equal(store.take(np.array([3, 1])), sigs[[3, 1]])
    assert np.array_equal(candidate_pairs(store, 16, 8), candidate_pairs(sigs, 16, 8))
    assert store._file is None
