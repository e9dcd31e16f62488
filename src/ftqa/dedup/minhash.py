"""MinHash signatures, LSH banding and candidate verification.

Signatures come from `rensa` (Rust MinHash; `RMinHash`, seeded, deterministic across processes)
fed with the shingle hashes of `ftqa.dedup.shingles`; each permutation keeps the low 16 of its 32
bits ("b-bit minwise hashing", Li and König 2010). Two different minimums then agree by chance
with probability 1/65536, which moves a similarity estimate by at most 1.5e-5 on average, far
below its own standard error (about 0.04 at 128 permutations), and halves the signatures that
every row sends, caches and keeps until the end: 256 bytes instead of 512. Banding and
verification are numpy: a pair of rows becomes a candidate when all `rows` values of one of the
`bands` bands agree, and a candidate is kept only when the share of agreeing permutations (the
estimated Jaccard similarity of the two shingle sets) reaches the threshold.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ftqa.dedup.shingles import mix64
from ftqa.dedup.sigstore import SIGNATURE_DTYPE, Signatures, signature_blocks, take, width

ENGINE = "rensa"
EMPTY = SIGNATURE_DTYPE(0xFFFF)  # the filler of a row without shingles (its flag says so)
# A pair exactly at the threshold is kept by verification only about half the time anyway (the
# estimate's noise); what matters is pairs a little above it, which this still makes candidates
# with probability ~0.99 (0.55: 0.95 at 0.55, 0.988 at 0.60, 0.998 at 0.65) while chance
# candidates drop about tenfold against 0.99 at the threshold.
MIN_CANDIDATE_PROBABILITY = 0.95
ALL_PAIRS_BUCKET = 16  # buckets up to this size compare every pair; larger ones star + chain
VERIFY_BATCH = 1 << 16


@dataclass(frozen=True, slots=True)
class MinHashParams:
    """MinHash settings; `bands` x `rows` are derived from the threshold (`lsh_shape`)."""

    threshold: float = 0.5
    ngram: int = 2
    num_perm: int = 128
    seed: int = 1

    @property
    def shape(self) -> tuple[int, int]:
        return lsh_shape(self.threshold, self.num_perm)


def candidate_probability(similarity: float, bands: int, rows: int) -> float:
    """Probability that two rows with this Jaccard similarity share at least one band."""
    return float(1.0 - (1.0 - similarity**rows) ** bands)


def lsh_shape(threshold: float, num_perm: int) -> tuple[int, int]:
    """`(bands, rows)`: the most rows per band (fewest chance candidates) such that a pair at
    exactly the threshold is a candidate with probability >= 0.95; uses `bands * rows <= num_perm`.
    """
    best = (num_perm, 1)
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        if candidate_probability(threshold, bands, rows) >= MIN_CANDIDATE_PROBABILITY:
            best = (bands, rows)
    return best


def signatures(flat: np.ndarray, offsets: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """`(rows, num_perm)` uint16 MinHash signatures of each row's shingle hashes."""
    from rensa import RMinHash

    count = len(offsets) - 1
    if count <= 0:
        return np.zeros((0, num_perm), dtype=SIGNATURE_DTYPE)
    matrix = RMinHash.digest_matrix_from_flat_token_hashes(
        np.ascontiguousarray(flat, dtype=np.uint64),
        np.ascontiguousarray(offsets, dtype=np.uint64),
        num_perm,
        seed,
    )
    full = np.array(matrix.to_rows(), dtype=np.uint32).reshape(count, num_perm)
    return (full & 0xFFFF).astype(SIGNATURE_DTYPE)


def row_signatures(grams: list[np.ndarray], num_perm: int, seed: int) -> list[bytes]:
    """The signature of each row's shingle hashes as bytes (`num_perm` uint16 values; b"" for
    a row without shingles): the per-row form `SignatureIndex.add_signature` takes."""
    rows = [index for index, values in enumerate(grams) if len(values)]
    out = [b""] * len(grams)
    if rows:
        bounds = np.cumsum([0] + [len(grams[index]) for index in rows])
        flat = np.concatenate([grams[index] for index in rows])
        matrix = signatures(flat, bounds, num_perm, seed)
        for index, signature in zip(rows, matrix, strict=True):
            out[index] = signature.tobytes()
    return out


def _splitmix64(count: int, state: int) -> list[int]:
    """`count` odd 64-bit constants from the SplitMix64 sequence (fixed, version-independent)."""
    mask = (1 << 64) - 1
    out = []
    for _ in range(count):
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        out.append((z ^ (z >> 31)) | 1)
    return out


_BAND_MULTIPLIERS = np.array(_splitmix64(1024, 0xBA4D), dtype=np.uint64)


BAND_KEY_BYTES = 64 << 20  # band keys computed per pass over the signatures


def _band_keys(values: np.ndarray, band: int, salt: np.ndarray | None) -> np.ndarray:
    """A 64-bit key per row for one band: a multiply-add hash of the band's `values`."""
    rows = values.shape[1]
    key = np.full(len(values), np.uint64(band + 1), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(values.shape[1]):
            multiplier = _BAND_MULTIPLIERS[band * rows + offset]
            key += values[:, offset].astype(np.uint64) * multiplier
        if salt is not None:
            key ^= salt
        return mix64(key)


def _member_band_keys(
    sigs: Signatures,
    members: np.ndarray,
    bands: range,
    rows: int,
    salt: np.ndarray | None,
) -> np.ndarray:
    """`(len(bands), len(members))` band keys of the (ascending) members, in one pass."""
    keys = np.empty((len(bands), len(members)), dtype=np.uint64)
    for first, block in signature_blocks(sigs):
        lo, hi = np.searchsorted(members, [first, first + len(block)])
        if lo == hi:
            continue
        local = members[lo:hi] - first
        part = None if salt is None else salt[lo:hi]
        for slot, band in enumerate(bands):
            values = block[local, band * rows : (band + 1) * rows]
            keys[slot, lo:hi] = _band_keys(values, band, part)
    return keys


def _bucket_pairs(members: np.ndarray, keys: np.ndarray) -> Iterator[np.ndarray]:
    """Pairs of `members` (ascending) that share a key: every pair in a small bucket; in a large
    one each member with the bucket's first member and with its predecessor."""
    if len(keys) < 2:
        return
    ordered = np.sort(keys)
    repeated = ordered[1:][ordered[1:] == ordered[:-1]]
    if len(repeated) == 0:
        return
    repeated = np.unique(repeated)
    slot = np.minimum(np.searchsorted(repeated, keys), len(repeated) - 1)
    shared = np.flatnonzero(repeated[slot] == keys)  # ascending, like `members`
    order = np.argsort(keys[shared], kind="stable")
    sorted_keys = keys[shared][order]
    ids = members[shared][order]
    new = np.ones(len(ids), dtype=bool)
    new[1:] = sorted_keys[1:] != sorted_keys[:-1]
    starts = np.flatnonzero(new)
    sizes = np.diff(np.append(starts, len(ids)))
    group = np.cumsum(new) - 1
    positions = np.flatnonzero(~new)
    yield np.stack([ids[starts[group[positions]]], ids[positions]], axis=1)
    large = sizes[group[positions]] > ALL_PAIRS_BUCKET
    chain = positions[large & (positions - 1 != starts[group[positions]])]
    if len(chain):
        yield np.stack([ids[chain - 1], ids[chain]], axis=1)
    for size in np.unique(sizes[(sizes > 2) & (sizes <= ALL_PAIRS_BUCKET)]):
        firsts = starts[sizes == size]
        left, right = np.triu_indices(int(size), 1)
        keep = left > 0  # pairs with the first member are already in the star
        block = ids[firsts[:, None] + np.arange(int(size))[None, :]]
        yield np.stack([block[:, left[keep]].ravel(), block[:, right[keep]].ravel()], axis=1)


def candidate_pairs(
    sigs: Signatures,
    bands: int,
    rows: int,
    members: np.ndarray | None = None,
    partition: np.ndarray | None = None,
) -> np.ndarray:
    """Unique `(i, j)` candidate pairs, `i < j`, among `members` (row indices into `sigs`,
    ascending; default all). With `partition`, only rows of the same partition are paired."""
    if members is None:
        members = np.arange(len(sigs), dtype=np.int64)
    if len(members) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    salt = None
    if partition is not None:
        salt = mix64(partition[members].astype(np.uint64) + np.uint64(0x51ED270B))
    found: list[np.ndarray] = []
    per_pass = max(1, BAND_KEY_BYTES // (8 * len(members)))
    for start in range(0, bands, per_pass):
        chunk = range(start, min(start + per_pass, bands))
        keys = _member_band_keys(sigs, members, chunk, rows, salt)
        for slot in range(len(chunk)):
            found.extend(_bucket_pairs(members, keys[slot]))
        del keys
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.concatenate(found)
    pairs.sort(axis=1)
    codes = np.unique(pairs[:, 0] * np.int64(len(sigs)) + pairs[:, 1])
    return np.stack([codes // len(sigs), codes % len(sigs)], axis=1)


def similarity(sigs: Signatures, pairs: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity of each pair: the share of equal signature values."""
    out = np.empty(len(pairs), dtype=np.float32)
    for start in range(0, len(pairs), VERIFY_BATCH):
        block = pairs[start : start + VERIFY_BATCH]
        left, right = _pair_rows(sigs, block)
        out[start : start + len(block)] = (left == right).mean(axis=1)
    return out


def _pair_rows(sigs: Signatures, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The signatures of each pair's first and second row (each row read once)."""
    if isinstance(sigs, np.ndarray):
        return sigs[pairs[:, 0]], sigs[pairs[:, 1]]
    rows, inverse = np.unique(pairs, return_inverse=True)
    found = take(sigs, rows)
    inverse = inverse.reshape(pairs.shape)
    return found[inverse[:, 0]], found[inverse[:, 1]]


def signature_groups(sigs: Signatures, partition: np.ndarray | None = None) -> np.ndarray:
    """For each row, the first row with an identical signature (and partition)."""
    count = len(sigs)
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    key = np.zeros(count, dtype=np.uint64) if partition is None else partition.astype(np.uint64)
    with np.errstate(over="ignore"):
        for start, block in signature_blocks(sigs):
            part = key[start : start + len(block)]
            for column in range(width(sigs)):
                part = part * np.uint64(0x9E3779B97F4A7C15) + block[:, column]
                if column % 8 == 7:
                    part = mix64(part)
            key[start : start + len(block)] = part
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    groups = first[inverse.ravel()].astype(np.int64)
    rows = np.flatnonzero(groups != np.arange(count))
    for start in range(0, len(rows), VERIFY_BATCH):
        block = rows[start : start + VERIFY_BATCH]
        left, right = _pair_rows(sigs, np.stack([block, groups[block]], axis=1))
        same = (left == right).all(axis=1)
        if partition is not None:
            same &= partition[block] == partition[groups[block]]
        groups[block[~same]] = block[~same]  # a hash collision: leave the row alone
    return groups
