"""The `train_test_leakage` checker: validation rows that repeat training rows, and training rows
that contain text of held-out reference (benchmark) files.

- With `--validation VAL`: every validation row that is an exact duplicate (same normalized
  example, as `duplicates` compares them) or a near duplicate (MinHash over word bigrams, as
  `near_duplicates` compares them) of a training row, with both locations.
- With `--reference FILE...`: every training row that shares a word 13-gram (after NFKC and case
  folding) with a reference file, reported per reference file. Reference files may be any JSON,
  JSONL, CSV or Parquet table: rows of a known format are read through their canonical fields,
  other rows through every string value they hold.

Nothing is kept when neither input is given. Training 13-grams are kept as 64-bit hashes (the
reference rows come last in the pass); past `reference-memory-mb` a fixed, hash-defined sample
of them is kept, which the stats report.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from typing import Any

import numpy as np
from pydantic import Field

from ftqa.checker import Checker, Options, Rule
from ftqa.dedup import (
    KeyIndex,
    MinHashParams,
    Normalization,
    RowLog,
    Scope,
    SignatureIndex,
    clusters,
    reference_text,
    scope_key,
    scope_text,
)
from ftqa.dedup.scope import cached_parts, excerpt_of
from ftqa.dedup.shingles import CHUNK_CHARS, CHUNK_TEXTS, shingle_hashes
from ftqa.finding import Finding, Severity
from ftqa.records import Record

TEXT_NORMALIZATION = Normalization(nfkc=True, casefold=True, whitespace=False)
TRAIN, VALIDATION = 0, 1
LISTED_TRAINING = 3


class TrainTestLeakageOptions(Options):
    scope: Scope = Field(
        "example",
        description="What is compared between validation and training rows: the whole "
        "`example`, its `prompt` side or its `response` side.",
    )
    near: bool = Field(
        True, description="Also report validation rows that near-duplicate training rows."
    )
    threshold: float = Field(
        0.55, gt=0.0, lt=1.0, description="Near-duplicate threshold (as `near_duplicates`)."
    )
    ngram: int = Field(2, ge=1, le=16, description="Words per shingle for near duplicates.")
    num_perm: int = Field(128, ge=16, le=1024, description="MinHash permutations per row.")
    reference_ngram: int = Field(
        13, ge=3, le=64, description="Words per n-gram compared with reference files."
    )
    reference_min_matches: int = Field(
        1, ge=1, description="Shared n-grams a training row needs to be reported."
    )
    reference_memory_mb: int = Field(
        512,
        ge=16,
        description="Memory for training n-gram hashes; beyond it a hash-defined sample is kept.",
    )


class TrainTestLeakageChecker(Checker):
    id = "train_test_leakage"
    summary = "Validation rows that repeat training rows; training rows containing reference text."
    isolated = True  # reads and writes no other checker's per-row values
    version = "1"
    sees_references = True
    sees_unreadable_rows = True  # reference rows need not be objects (e.g. arrays of strings)
    rules = (
        Rule(
            "validation-row-in-training",
            Severity.ERROR,
            "A validation row is also a training row (after normalization).",
        ),
        Rule(
            "validation-row-near-training",
            Severity.WARNING,
            "A validation row is a near duplicate of a training row.",
        ),
        Rule(
            "reference-contamination",
            Severity.ERROR,
            "A training row contains a word n-gram of a reference (benchmark) file.",
        ),
        Rule(
            "unreadable-reference",
            Severity.WARNING,
            "Rows of a reference file could not be read, so they were not compared.",
        ),
    )
    Options = TrainTestLeakageOptions
    options: TrainTestLeakageOptions

    def __init__(self, options: TrainTestLeakageOptions, context: Any) -> None:
        super().__init__(options, context)
        self._pairs = bool(context.validation_files)
        self._references = bool(context.reference_files)
        self._log = RowLog()
        self._keys = KeyIndex()
        self._sigs = SignatureIndex(
            MinHashParams(options.threshold, options.ngram, options.num_perm)
        )
        self._grams = _GramStore(options.reference_ngram, options.reference_memory_mb)
        self._ref_log = RowLog(excerpts=False)
        self._ref_grams = _GramStore(options.reference_ngram, None)
        self._exact_norm = Normalization()
        self._stats: dict[str, Any] = {}
        self._ref_counts: dict[str, list[Any]] = {}

    def check_record(self, record: Record) -> Iterator[Finding]:
        if record.row < 0:
            return iter(())
        if record.split == "reference":
            if self._references:
                self._reference_row(record)
            return iter(())
        if not record.readable or record.split not in ("train", "validation"):
            return iter(())
        options = self.options
        if self._pairs:
            text = scope_text(record, options.scope, TEXT_NORMALIZATION, include_system=False)
            self._log.add(record, excerpt_of(cached_parts(record, options.scope, False)))
            self._keys.add(scope_key(record, options.scope, self._exact_norm))
            if options.near:
                self._sigs.add(text)
        if self._references and record.split == "train":
            self._grams.owner_log.add(record)
            self._grams.add(scope_text(record, "example", TEXT_NORMALIZATION))
        return iter(())

    def _reference_row(self, record: Record) -> None:
        counts = self._ref_counts.setdefault(record.file, [0, 0, None])
        counts[0] += 1
        if record.raw is None:  # not even a JSON value: nothing to compare
            counts[1] += 1
            if counts[2] is None:
                counts[2] = record.line
            return
        self._ref_log.add(record)
        self._ref_grams.add(reference_text(record, TEXT_NORMALIZATION))

    def finish(self) -> Iterator[Finding]:
        if self._pairs:
            yield from self._validation_findings()
        if self._references:
            yield from self._reference_findings()
            yield from self._unreadable_references()

    def _unreadable_references(self) -> Iterator[Finding]:
        for name, (rows, unreadable, line) in self._ref_counts.items():
            if not unreadable:
                continue
            if unreadable == rows:
                hint = ""
                if name.lower().endswith(".json"):
                    hint = "; a .json file must hold a JSON array or one JSON value per line"
                message = (
                    f"none of the {rows} rows of reference file {name} could be read as JSON, "
                    f"so the file was not compared{hint}"
                )
            else:
                message = (
                    f"{unreadable} of {rows} rows of reference file {name} could not be read "
                    "as JSON, so they were not compared"
                )
            yield self.finding(
                "unreadable-reference",
                message,
                file=name,
                line=line,
                fix="check the file with `ftqa check --select format`",
            )

    # validation vs training -------------------------------------------------------------

    def _validation_findings(self) -> Iterator[Finding]:
        log = self._log
        _, splits = log.arrays()
        exact = np.zeros(len(log), dtype=bool)
        labels = self._keys.labels()
        for members in clusters(labels):
            sides = splits[members]
            train = members[sides == TRAIN]
            if len(train) == 0:
                continue
            for index in members[sides == VALIDATION].tolist():
                exact[index] = True
                yield self._validation_finding(
                    "validation-row-in-training",
                    index,
                    train.tolist(),
                    f"repeats training row {log.where(int(train[0]))}",
                )
        near_count = 0
        if self.options.near and len(log):
            for finding in self._near_findings(splits, exact):
                near_count += 1
                yield finding
        self._stats["validation"] = {
            "rows": int((splits == VALIDATION).sum()),
            "in_training": int(exact.sum()),
            "near_training": near_count,
            "scope": self.options.scope,
        }

    def _near_findings(self, splits: np.ndarray, exact: np.ndarray) -> Iterator[Finding]:
        log = self._log
        sigs = self._sigs
        members = np.flatnonzero(sigs.has_signature())
        pairs, sims, _ = sigs.verified_pairs(members)
        across = splits[pairs[:, 0]] != splits[pairs[:, 1]]
        pairs, sims = pairs[across], sims[across]
        if len(pairs) == 0:
            return
        # Orient every pair as (validation, training); index order puts training rows first.
        flip = splits[pairs[:, 0]] == TRAIN
        pairs[flip] = pairs[flip][:, ::-1]
        keep = ~exact[pairs[:, 0]]
        pairs, sims = pairs[keep], sims[keep]
        if len(pairs) == 0:
            return
        order = np.lexsort((pairs[:, 1], -sims, pairs[:, 0]))
        pairs, sims = pairs[order], sims[order]
        starts = np.flatnonzero(np.r_[True, pairs[1:, 0] != pairs[:-1, 0]])
        ends = np.r_[starts[1:], len(pairs)]
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            index = int(pairs[start, 0])
            train = pairs[start:end, 1].tolist()
            yield self._validation_finding(
                "validation-row-near-training",
                index,
                train,
                f"is a near duplicate of training row {log.where(train[0])} "
                f"(estimated similarity {float(sims[start]):.2f})",
            )

    def _validation_finding(self, slug: str, index: int, train: list[int], what: str) -> Finding:
        log = self._log
        more = len(train) - 1
        message = f"this validation row {what}"
        if more > 0:
            shown = ", ".join(log.where(i) for i in train[1 : 1 + LISTED_TRAINING])
            extra = more - min(more, LISTED_TRAINING)
            message += f"; also {shown}" + (f" and {extra} more" if extra else "")
        line = log.line_of(index)
        return self.finding(
            slug,
            message,
            file=log.files[log.file[index]],
            line=line,
            row=log.row[index],
            rows=[log.row[index]],
            lines=[line] if line is not None else None,
            evidence=log.excerpt(index) or None,
            fix="drop the row from the validation set, or re-split with `ftqa split`",
        )

    # training vs reference files ----------------------------------------------------------

    def _reference_findings(self) -> Iterator[Finding]:
        grams, refs = self._grams, self._ref_grams
        train_hashes, train_rows = grams.arrays()
        ref_hashes, ref_rows = refs.arrays()
        ref_hashes, ref_rows = grams.sample(ref_hashes, ref_rows)
        ref_files = np.frombuffer(self._ref_log.file, dtype=np.int32)
        per_file: list[dict[str, Any]] = []
        owners = grams.owner_log
        for file_id, name in enumerate(self._ref_log.files):
            mask = ref_files[ref_rows] == file_id if len(ref_rows) else np.zeros(0, bool)
            hashes, first_row = _first_occurrence(ref_hashes[mask], ref_rows[mask])
            slot = np.minimum(np.searchsorted(hashes, train_hashes), max(len(hashes) - 1, 0))
            hit = hashes[slot] == train_hashes if len(hashes) else np.zeros(len(train_hashes), bool)
            counts = np.bincount(train_rows[hit], minlength=len(owners))
            contaminated = np.flatnonzero(counts >= self.options.reference_min_matches)
            matched_refs = np.unique(first_row[slot[hit]]) if hit.any() else np.zeros(0, int)
            rows_in_file = ref_files == file_id
            per_file.append(
                {
                    "file": name,
                    "rows": int(rows_in_file.sum()),
                    "rows_without_ngrams": int((~refs.has_grams()[rows_in_file]).sum()),
                    "ngrams": len(hashes),
                    "training_rows_contaminated": len(contaminated),
                    "reference_rows_matched": len(matched_refs),
                }
            )
            first_hit = _first_hit_per_row(train_rows[hit], first_row[slot[hit]])
            for index in contaminated.tolist():
                yield self._reference_finding(name, index, int(counts[index]), first_hit[index])
        for name, (rows, unreadable, _) in self._ref_counts.items():
            if name not in self._ref_log.files:
                per_file.append({"file": name, "rows": rows, "unreadable_rows": unreadable})
        for entry in per_file:
            entry.setdefault("unreadable_rows", self._ref_counts.get(entry["file"], [0, 0])[1])
        self._stats["references"] = per_file
        self._stats["reference_ngram"] = self.options.reference_ngram
        self._stats["reference_sampling"] = grams.rate_text()

    def _reference_finding(self, name: str, index: int, shared: int, ref: int) -> Finding:
        owners = self._grams.owner_log
        n = self.options.reference_ngram
        where = self._ref_log.line_of(ref)
        at = f"line {where}" if where is not None else f"row {self._ref_log.row[ref]}"
        sampled = "" if self._grams.shift == 0 else f" (sampled, {self._grams.rate_text()})"
        message = (
            f"shares {shared} {n}-word sequence{'s' if shared != 1 else ''}{sampled} with "
            f"reference file {name} (first match: its {at})"
        )
        line = owners.line_of(index)
        return self.finding(
            "reference-contamination",
            message,
            file=owners.files[owners.file[index]],
            line=line,
            row=owners.row[index],
            rows=[owners.row[index]],
            lines=[line] if line is not None else None,
            fix="remove the row from the training data, or remove that item from the evaluation",
        )

    def stats(self) -> dict[str, Any]:
        return self._stats


def _first_occurrence(hashes: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct hashes and, for each, the first reference row that has it."""
    if len(hashes) == 0:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    order = np.lexsort((rows, hashes))
    hashes, rows = hashes[order], rows[order]
    first = np.r_[True, hashes[1:] != hashes[:-1]]
    return hashes[first], rows[first]


def _first_hit_per_row(train_rows: np.ndarray, ref_rows: np.ndarray) -> dict[int, int]:
    """For each training row with a hit, the smallest reference row it matched."""
    out: dict[int, int] = {}
    if len(train_rows) == 0:
        return out
    order = np.lexsort((ref_rows, train_rows))
    train_rows, ref_rows = train_rows[order], ref_rows[order]
    first = np.r_[True, train_rows[1:] != train_rows[:-1]]
    for row, ref in zip(train_rows[first].tolist(), ref_rows[first].tolist(), strict=True):
        out[row] = ref
    return out


class _GramStore:
    """Distinct word n-gram hashes per row, batched; optionally capped in memory by keeping only
    hashes below 2**(64 - shift), a sample that is the same for every text."""

    def __init__(self, n: int, memory_mb: int | None) -> None:
        self.n = n
        self.limit = None if memory_mb is None else memory_mb * (1 << 20) // 12
        self.shift = 0
        self.owner_log = RowLog(excerpts=False)
        self._pending: list[str] = []
        self._pending_chars = 0
        self._rows = 0
        self._hashes: list[np.ndarray] = []
        self._owners: list[np.ndarray] = []
        self._stored = 0
        self._has = array("b")

    def add(self, text: str) -> None:
        self._pending.append(text)
        self._pending_chars += len(text)
        if self._pending_chars >= CHUNK_CHARS or len(self._pending) >= CHUNK_TEXTS:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        flat, offsets = shingle_hashes(self._pending, self.n)
        counts = np.diff(offsets)
        self._has.extend((counts > 0).astype(np.int8).tolist())
        owners = np.repeat(np.arange(self._rows, self._rows + len(self._pending)), counts)
        self._rows += len(self._pending)
        self._pending = []
        self._pending_chars = 0
        if self.shift:
            keep = flat < _bound(self.shift)
            flat, owners = flat[keep], owners[keep]
        pairs = np.unique(np.stack([owners.astype(np.uint64), flat], axis=1), axis=0)
        self._owners.append(pairs[:, 0].astype(np.int32))
        self._hashes.append(pairs[:, 1].copy())
        self._stored += len(pairs)
        while self.limit is not None and self._stored > self.limit:
            self.shift += 1
            bound = _bound(self.shift)
            for i, hashes in enumerate(self._hashes):
                keep = hashes < bound
                self._hashes[i] = hashes[keep]
                self._owners[i] = self._owners[i][keep]
            self._stored = sum(len(h) for h in self._hashes)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """`(hashes, row indices)` of every stored n-gram."""
        self._flush()
        if not self._hashes:
            return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
        return np.concatenate(self._hashes), np.concatenate(self._owners).astype(np.int64)

    def has_grams(self) -> np.ndarray:
        self._flush()
        return np.frombuffer(self._has, dtype=np.int8).astype(bool)

    def sample(self, hashes: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The same sample of another store's hashes."""
        if self.shift == 0:
            return hashes, rows
        keep = hashes < _bound(self.shift)
        return hashes[keep], rows[keep]

    def rate_text(self) -> str:
        return "all n-grams kept" if self.shift == 0 else f"1 in {1 << self.shift} n-grams kept"


def _bound(shift: int) -> np.uint64:
    return np.uint64(1 << (64 - shift))
