"""Per-row features gathered during the streaming pass, kept compactly (no texts, no records).

- `RowLog`: where each row came from (file, row, line, split) and a short excerpt of its text.
- `KeyIndex`: 128-bit exact keys (`scope_key`), grouped at the end.
- `SignatureIndex`: MinHash signatures, added as signatures (`add_signature`, from a checker's
  row features) or as texts, which are buffered only until about a megabyte of text is pending,
  then shingled and signed in one vectorized batch and dropped.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ftqa.columns import IntColumn
from ftqa.dedup import cluster, minhash
from ftqa.dedup.shingles import CHUNK_CHARS, CHUNK_TEXTS, shingle_hashes
from ftqa.dedup.sigstore import SignatureStore
from ftqa.outbound import clip
from ftqa.spill import TextStore

EXCERPT_BYTES = 96
_FLAT = {ord("\n"): " ", ord("\r"): " ", ord("\t"): " "}
SPLITS = {"train": 0, "validation": 1, "reference": 2}
_NO_KEY = bytes(16)


class Located(Protocol):
    """Where a row is: a `Record`, or the `RowKey` a reduce step receives."""

    @property
    def split(self) -> str: ...
    @property
    def file(self) -> str: ...
    @property
    def row(self) -> int: ...
    @property
    def line(self) -> int | None: ...


def excerpt_feature(text: str) -> str:
    """The excerpt a `RowLog` keeps of `text`, made safe to leave the row (row features are
    cached and sent between processes): its first `EXCERPT_BYTES` bytes on one line, masked and
    clipped as evidence is, with a `…` mark where the text goes on (the outbound layer masks a
    fragment of a credential before a mark)."""
    head = text[:EXCERPT_BYTES].encode("utf-8", "replace")
    shown = head[:EXCERPT_BYTES].decode("utf-8", "ignore")
    flat = shown.translate(_FLAT)
    return clip(flat + "…" if len(shown) < len(text) else flat)


class RowLog:
    """Locations of the rows a checker has seen, by index in arrival order."""

    def __init__(self, excerpts: bool = True) -> None:
        self.files: list[str] = []
        self._file_ids: dict[str, int] = {}
        self.file = array("i")
        self.row = IntColumn()
        self.line = IntColumn()
        self.split = array("b")
        self._keep_excerpts = excerpts
        # On disk: a hundred bytes a row is a hundred megabytes at a million rows.
        self._texts = TextStore(max_chars=1 << 30)  # excerpts come cut

    def __len__(self) -> int:
        return len(self.row)

    def add(self, where: Located, text: str = "", *, cut: bool = True) -> int:
        """Log a row; `text` is cut to `EXCERPT_BYTES` unless `cut` is False (an
        `excerpt_feature`, already cut)."""
        file_id = self._file_ids.get(where.file)
        if file_id is None:
            file_id = self._file_ids[where.file] = len(self.files)
            self.files.append(where.file)
        self.file.append(file_id)
        self.row.append(where.row)
        self.line.append(where.line if where.line is not None else -1)
        self.split.append(SPLITS.get(where.split, 0))
        if self._keep_excerpts:
            data = text.encode("utf-8", "replace")
            self._texts.add((data[:EXCERPT_BYTES] if cut else data).decode("utf-8", "ignore"))
        return len(self.row) - 1

    def add_many(self, keys: Sequence[Located], texts: Sequence[str], *, cut: bool = True) -> None:
        """`add` each row of `keys` with its text, in order."""
        self._places(keys)
        if self._keep_excerpts:
            self._texts.add_many(self._excerpts(texts, cut))

    @staticmethod
    def _excerpts(texts: Sequence[str], cut: bool) -> list[str]:
        limit = EXCERPT_BYTES if cut else None
        return [
            text
            if text.isascii() and (limit is None or len(text) <= limit)
            else text.encode("utf-8", "replace")[:limit].decode("utf-8", "ignore")
            for text in texts
        ]

    def _places(self, keys: Sequence[Located]) -> None:
        file_ids = self._file_ids
        last_file, last_id = None, 0
        ids = []
        for key in keys:
            if key.file != last_file:
                last_file = key.file
                last_id = file_ids.get(last_file, -1)
                if last_id < 0:
                    last_id = file_ids[last_file] = len(self.files)
                    self.files.append(last_file)
            ids.append(last_id)
        self.file.extend(ids)
        self.row.extend([key.row for key in keys])
        self.line.extend([-1 if key.line is None else key.line for key in keys])
        self.split.extend([SPLITS.get(key.split, 0) for key in keys])

    def pack_texts(self, texts: Sequence[str], *, cut: bool = True) -> list[bytes]:
        """The excerpts `add_many` would keep of `texts`, as plain data for `add_packed`."""
        if not self._keep_excerpts:
            return [b"", b""]
        return self._texts.pack(self._excerpts(texts, cut))

    def add_packed(self, keys: Sequence[Located], texts: Sequence[bytes]) -> None:
        """`add_many` of rows whose excerpts `pack_texts` gave."""
        if self._keep_excerpts and len(texts[1]) != 8 * len(keys):
            raise ValueError("packed excerpts of another number of rows")
        self._places(keys)
        if self._keep_excerpts:
            self._texts.add_packed(texts)

    def excerpt(self, index: int) -> str:
        if not self._keep_excerpts:
            return ""
        return self._texts.get(index).translate(_FLAT)

    def where(self, index: int) -> str:
        """`file:line` (or `file[row]` when the source has no lines)."""
        line = self.line[index]
        name = self.files[self.file[index]]
        return f"{name}:{line}" if line >= 0 else f"{name}[{self.row[index]}]"

    def line_of(self, index: int) -> int | None:
        line = self.line[index]
        return line if line >= 0 else None

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """`(file ids, split codes)` as numpy arrays."""
        return np.frombuffer(self.file, dtype=np.int32), np.frombuffer(self.split, dtype=np.int8)


class KeyIndex:
    """Exact 128-bit keys per row; rows without a key (nothing to compare) stay alone.

    The keys wait on disk (a `SignatureStore` of two uint64 per row) until the dataset-wide
    step reads them back: several checkers keep a key index or two, and at five million rows
    each would hold 80 MB for the whole pass."""

    def __init__(self) -> None:
        self._keys = SignatureStore(2, np.uint64)
        self._valid = bytearray()

    def __len__(self) -> int:
        return len(self._valid)

    def add(self, key: bytes | None) -> None:
        self._keys.append(key if key is not None else _NO_KEY)
        self._valid.append(key is not None)

    def add_many(self, keys: Sequence[bytes | None]) -> None:
        self.add_packed(self.pack(keys))

    @staticmethod
    def pack(keys: Sequence[bytes | None]) -> list[bytes]:
        """`keys` as plain data for `add_packed`: `[16 bytes a key, a validity byte a key]`."""
        if any(key is not None and len(key) != len(_NO_KEY) for key in keys):
            raise ValueError("a key that is not 16 bytes")
        return [
            b"".join([_NO_KEY if key is None else key for key in keys]),
            bytes([key is not None for key in keys]),
        ]

    def add_packed(self, packed: Sequence[bytes]) -> None:
        blob, valid = packed
        if len(blob) != len(valid) * len(_NO_KEY):
            raise ValueError("packed keys of another width")
        self._keys.append(blob)
        self._valid += valid

    def keys(self) -> np.ndarray:
        return self._keys.all()

    def valid(self) -> np.ndarray:
        return np.frombuffer(bytes(self._valid), dtype=np.bool_)

    def labels(self, partition: np.ndarray | None = None) -> np.ndarray:
        """Exact-duplicate clustering; with `partition`, rows of different partitions never
        share a cluster."""
        keys = self.keys()
        if partition is not None:
            keyed = np.empty((len(keys), 3), dtype=np.uint64)
            keyed[:, :2] = keys
            keyed[:, 2] = partition
            keys = keyed
        return cluster.exact_labels(keys, self.valid())


@dataclass
class NearResult:
    """Near-duplicate clustering: `labels` (first row of each row's cluster) and each row's
    estimated similarity to that first row (1.0 for the first row itself)."""

    labels: np.ndarray
    similarity: np.ndarray
    pairs: int  # verified pairs
    candidates: int


class SignatureIndex:
    """MinHash signatures of the texts added, in order; a text without tokens gets none.

    Signatures go to a `SignatureStore` on disk: at a million rows they are a quarter of a
    gigabyte per index, and the dataset-wide step reads them back a band or a batch of pairs
    at a time."""

    def __init__(self, params: minhash.MinHashParams) -> None:
        self.params = params
        self._pending: list[str] = []
        self._pending_chars = 0
        self._store = SignatureStore(params.num_perm)
        self._has = bytearray()
        self._count = 0
        self._empty = minhash.EMPTY.tobytes() * params.num_perm

    def __len__(self) -> int:
        return self._count

    def add(self, text: str) -> None:
        self._pending.append(text)
        self._count += 1
        self._pending_chars += len(text)
        if self._pending_chars >= CHUNK_CHARS or len(self._pending) >= CHUNK_TEXTS:
            self._flush()

    def add_signature(self, signature: bytes) -> None:
        """Add a row's signature (`num_perm` uint16 values, native order; b"" for a text
        without shingles), as `minhash.row_signature` gives it."""
        if self._pending:  # texts added before this signature are signed first, in order
            self._flush()
        if signature and len(signature) != len(self._empty):
            raise ValueError("a signature of another number of permutations")
        self._store.append(signature or self._empty)
        self._has.append(bool(signature))
        self._count += 1

    def add_signatures(self, signatures: Sequence[bytes]) -> None:
        """`add_signature` each of `signatures`, in order."""
        self.add_packed(self.pack(signatures))

    def pack(self, signatures: Sequence[bytes]) -> list[bytes]:
        """`signatures` as plain data for `add_packed`: `[the rows' signatures, a byte a row:
        has one]`."""
        empty = self._empty
        width = len(empty)
        if any(signature and len(signature) != width for signature in signatures):
            raise ValueError("a signature of another number of permutations")
        return [
            b"".join([signature or empty for signature in signatures]),
            bytes([bool(signature) for signature in signatures]),
        ]

    def add_packed(self, packed: Sequence[bytes]) -> None:
        blob, has = packed
        if len(blob) != len(has) * len(self._empty):
            raise ValueError("packed signatures of another width")
        if self._pending:  # texts added before these signatures are signed first, in order
            self._flush()
        self._store.append(blob)
        self._has += has
        self._count += len(has)

    def _flush(self) -> None:
        if not self._pending:
            return
        params = self.params
        flat, offsets = shingle_hashes(self._pending, params.ngram)
        signed = minhash.signatures(flat, offsets, params.num_perm, params.seed)
        self._store.append(signed.tobytes())
        self._has += (np.diff(offsets) > 0).astype(np.uint8).tobytes()
        self._pending, self._pending_chars = [], 0

    def signatures(self) -> SignatureStore:
        """All signatures, `(rows, num_perm)` uint16 (rows without shingles: all 0xFFFF), as
        the store `ftqa.dedup.minhash` reads."""
        self._flush()
        return self._store

    def has_signature(self) -> np.ndarray:
        self._flush()
        return np.frombuffer(bytes(self._has), dtype=np.bool_)

    def verified_pairs(
        self, members: np.ndarray, partition: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, int]:
        """Candidate pairs among `members` whose estimated similarity reaches the threshold:
        `(pairs, similarities, number of candidates)`."""
        sigs = self.signatures()
        bands, rows = self.params.shape
        pairs = minhash.candidate_pairs(sigs, bands, rows, members, partition)
        sims = minhash.similarity(sigs, pairs)
        keep = sims >= np.float32(self.params.threshold) - np.float32(1e-6)
        return pairs[keep], sims[keep], len(pairs)

    def clusters(self, partition: np.ndarray | None = None) -> NearResult:
        """Near-duplicate clusters: identical signatures first, then verified LSH candidates
        among the distinct signatures, joined by union-find. With `partition`, rows of different
        partitions are never compared or joined."""
        sigs = self.signatures()
        count = len(sigs)
        has = self.has_signature()
        identical = minhash.signature_groups(sigs, partition)
        identical = np.where(has, identical, np.arange(count))
        distinct = np.flatnonzero(has & (identical == np.arange(count)))
        pairs, _, candidates = self.verified_pairs(distinct, partition)
        labels = cluster.merge(identical, pairs)
        similarity = np.ones(count, dtype=np.float32)
        others = np.flatnonzero(labels != np.arange(count))
        if len(others):
            similarity[others] = minhash.similarity(sigs, np.stack([labels[others], others], 1))
        return NearResult(labels, similarity, len(pairs), candidates)
