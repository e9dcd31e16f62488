"""The `train_test_leakage` checker class, built from the rule modules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ftqa.checker import Checker, Rule
from ftqa.checks.train_test_leakage.grams import _GramStore
from ftqa.checks.train_test_leakage.options import TEXT_NORMALIZATION, TrainTestLeakageOptions
from ftqa.checks.train_test_leakage.reference import ReferenceRules
from ftqa.checks.train_test_leakage.validation import ValidationRules
from ftqa.dedup import (
    KeyIndex,
    MinHashParams,
    Normalization,
    RowLog,
    SignatureIndex,
    scope_key,
    scope_text,
)
from ftqa.dedup.scope import cached_parts, excerpt_of
from ftqa.finding import Finding, Severity
from ftqa.records import Record


class TrainTestLeakageChecker(ValidationRules, ReferenceRules, Checker):
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
        self._grams = _GramStore(
            options.reference_ngram, options.reference_memory_mb, options.reference_min_words
        )
        self._ref_log = RowLog(excerpts=False)
        self._ref_grams = _GramStore(options.reference_ngram, None, options.reference_min_words)
        self._ref_texts: list[str] = []
        self._ref_chars = 0
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

    def finish(self) -> Iterator[Finding]:
        if self._pairs:
            yield from self._validation_findings()
        if self._references:
            yield from self._reference_findings()
            yield from self._unreadable_references()

    def stats(self) -> dict[str, Any]:
        return self._stats
