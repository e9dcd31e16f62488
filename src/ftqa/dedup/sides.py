"""The prompt side and the answer side of each row, compact enough to keep for every row, to
decide whether two near-duplicate rows say the same thing on each side.

Two sides agree when they are equal after normalization, or when they carry the same facts (the
numbers they state and a leading yes/no) and their word n-gram sets are at least `threshold`
alike. Short sides (up to `EXACT_SHINGLES` shingles: most questions, labels, short answers) keep
their exact shingle set, so one changed word in an eight-word question is measured, not estimated;
longer sides keep a MinHash signature, and their estimate is allowed two standard errors.
"""

from __future__ import annotations

import hashlib
import re
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ftqa.columns import IntColumn
from ftqa.dedup.index import KeyIndex
from ftqa.dedup.minhash import MinHashParams, row_signatures, signatures
from ftqa.dedup.sigstore import SignatureStore

EXACT_SHINGLES = 48
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_POLARITY = re.compile(r"\s*(yes|no)\b", re.IGNORECASE)


def facts_key(text: str) -> bytes:
    """8 bytes that differ when two texts state different numbers or a different yes/no."""
    numbers = sorted(_NUMBER.findall(text))
    polarity = _POLARITY.match(text)
    word = polarity.group(1).lower() if polarity else ""
    digest = hashlib.blake2b(digest_size=8)
    digest.update(word.encode())
    digest.update(b"\x00".join(number.encode() for number in numbers))
    return digest.digest()


# A row's side, as a checker's row features carry it: its exact key (None: no text), its facts
# key, and its distinct shingle hashes (uint64 bytes) or, for a long side, its MinHash signature
# (uint16 bytes; the flag says which).
SideFeature = tuple[bytes | None, bytes, bytes, bool]


def side_features(
    sides: list[tuple[bytes | None, str, np.ndarray]], params: MinHashParams
) -> list[SideFeature]:
    """The features of sides given as `(exact key, normalized text, shingle hashes)`; the long
    sides of all of them are signed in one call."""
    sets = [np.unique(grams) if len(grams) else grams for _, _, grams in sides]
    long = [grams if len(grams) > EXACT_SHINGLES else grams[:0] for grams in sets]
    signed = row_signatures(long, params.num_perm, params.seed)
    return [
        (key, facts_key(text), signature or grams.tobytes(), bool(signature))
        for (key, text, _), grams, signature in zip(sides, sets, signed, strict=True)
    ]


class SideIndex:
    """Per row: the side's exact key, facts key, and either its exact shingle set (short sides)
    or a MinHash signature (long sides), from the rows' `SideFeature`s."""

    def __init__(self, params: MinHashParams) -> None:
        self.params = params
        self.keys = KeyIndex()
        self._facts = bytearray()
        self._shingles = array("Q")
        self._starts = IntColumn()  # each row's exact set: shingles[start:end] (-1: not kept)
        self._ends = IntColumn()
        self._slots = IntColumn()  # each long row's signature: sigs[slot] (-1: none)
        self._signatures = SignatureStore(params.num_perm)  # every long side's signature
        self._signed = 0

    def add(self, feature: SideFeature) -> None:
        self.add_many([feature])

    def add_many(self, features: Sequence[SideFeature]) -> None:
        self.add_packed(self.pack(features))

    def pack(self, features: Sequence[SideFeature]) -> list[Any]:
        """`features` as plain data for `add_packed`: keys, facts, which rows are signed, the
        shingle count of each exact row, the exact rows' shingles, the signed rows'
        signatures."""
        exact = [payload for _, _, payload, signed in features if not signed]
        return [
            KeyIndex.pack([feature[0] for feature in features]),
            b"".join([feature[1] for feature in features]),
            bytes([bool(feature[3]) for feature in features]),
            array("Q", [len(payload) // 8 for payload in exact]).tobytes(),
            b"".join(exact),
            b"".join([payload for _, _, payload, signed in features if signed]),
        ]

    def add_packed(self, packed: Sequence[Any]) -> None:
        keys, facts, signed, counts, shingles, signatures = packed
        flags = np.frombuffer(signed, dtype=np.uint8).astype(bool)
        sizes = np.frombuffer(counts, dtype=np.uint64).astype(np.int64)
        count = len(flags)
        long_rows = int(flags.sum())
        if (
            len(facts) != 8 * count
            or len(sizes) != count - long_rows
            or len(shingles) != 8 * int(sizes.sum())
            or len(signatures) != long_rows * self._signatures.row_bytes
        ):
            raise ValueError("packed side features that do not add up")
        self.keys.add_packed(keys)
        self._facts += facts
        starts = np.full(count, -1, dtype=np.int64)
        ends = np.full(count, -1, dtype=np.int64)
        slots = np.full(count, -1, dtype=np.int64)
        exact_ends = len(self._shingles) + np.cumsum(sizes)
        starts[~flags] = exact_ends - sizes
        ends[~flags] = exact_ends
        slots[flags] = self._signed + np.arange(long_rows)
        self._starts.extend(starts.tolist())
        self._ends.extend(ends.tolist())
        self._slots.extend(slots.tolist())
        self._shingles.frombytes(shingles)
        self._signed += long_rows
        if signatures:
            self._signatures.append(signatures)

    def side(self, threshold: float, compare_text: bool = True) -> Side:
        """The side's arrays (sharing this index's buffers) and its signature store."""
        sigs = self._signatures
        return Side(
            keys=self.keys.keys(),
            facts=np.frombuffer(bytes(self._facts), dtype=np.uint64),
            sigs=sigs,
            slots=self._slots.numpy(),
            shingles=np.frombuffer(self._shingles, dtype=np.uint64),
            starts=self._starts.numpy(),
            ends=self._ends.numpy(),
            threshold=threshold,
            params_seed=self.params.seed,
            compare_text=compare_text,
        )


@dataclass
class Side:
    keys: np.ndarray  # (rows, 2) uint64 exact keys (all zeros: no side)
    facts: np.ndarray  # (rows,) uint64
    sigs: SignatureStore  # (long sides, perms) uint16
    slots: np.ndarray  # per row: its signature is sigs[slot]; -1 when it has none
    shingles: np.ndarray  # exact shingle sets of short sides, back to back
    starts: np.ndarray  # per row: its set is shingles[start:end]; -1 when not kept
    ends: np.ndarray
    threshold: float
    params_seed: int
    compare_text: bool = True  # False: the side is not asked to agree (one-sided scopes)

    def _exact(self, row: int) -> np.ndarray | None:
        start = int(self.starts[row])
        return None if start < 0 else self.shingles[start : int(self.ends[row])]

    def class_keys(self) -> np.ndarray:
        """Keys that put rows in one class only when this side is the same."""
        return self.keys if self.compare_text else np.zeros_like(self.keys)

    def agree(self, first: int, second: int) -> bool:
        if not self.compare_text or (self.keys[first] == self.keys[second]).all():
            return True
        if self.facts[first] != self.facts[second]:
            return False
        a, b = self._exact(first), self._exact(second)
        if a is not None and b is not None:
            union = len(np.union1d(a, b))
            return union > 0 and len(np.intersect1d(a, b)) / union >= self.threshold - 1e-9
        # A long side's similarity is an estimate (standard error up to 0.5/sqrt(perms)); its
        # numbers and yes/no already agree, so allow two standard errors rather than miss a
        # reworded side by chance.
        same = float((self._signature(first) == self._signature(second)).mean())
        return same >= self.threshold - 1.0 / np.sqrt(self.sigs.width) - 1e-6

    def _signature(self, row: int) -> np.ndarray:
        """A long side's stored signature; a short side's is made from its set when it meets a
        long one (rare: only candidate pairs are compared)."""
        slot = int(self.slots[row])
        if slot >= 0:
            return self.sigs.take(np.array([slot]))[0]
        grams = self._exact(row)
        if grams is None or not len(grams):
            return np.full(self.sigs.width, -1, dtype=np.int64)  # matches no signature value
        bounds = np.array([0, len(grams)], dtype=np.uint64)
        return signatures(grams, bounds, self.sigs.width, self.params_seed)[0]


@dataclass
class Sides:
    """What must agree besides the whole example: with a long shared answer, short questions that
    differ would pass the example's threshold, and with a long shared prompt, short answers would:
    either row then teaches something the other does not."""

    prompt: Side
    answer: Side

    def agree(self, first: int, second: int) -> bool:
        return self.answer.agree(first, second) and self.prompt.agree(first, second)
