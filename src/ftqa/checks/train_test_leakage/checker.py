"""The `train_test_leakage` checker class, built from the rule modules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ftqa.checker import Checker, Rule
from ftqa.checks.train_test_leakage.grams import _GramStore, row_grams
from ftqa.checks.train_test_leakage.options import TEXT_NORMALIZATION, TrainTestLeakageOptions
from ftqa.checks.train_test_leakage.reference import ReferenceRules
from ftqa.checks.train_test_leakage.validation import ValidationRules
from ftqa.dedup import KeyIndex, MinHashParams, Normalization, RowLog, SignatureIndex
from ftqa.dedup.minhash import row_signatures
from ftqa.dedup.scope import shown_part
from ftqa.dedup.shingles import shingle_hashes
from ftqa.finding import Finding, Severity
from ftqa.providers import Provided
from ftqa.providers.dedup import SCOPE_KEY, SCOPE_PARTS, SCOPE_TEXT
from ftqa.providers.excerpt import EXCERPT
from ftqa.records import Record
from ftqa.rowresult import RowKey, RowResult

# A training or validation row's features: what the validation rules compare (excerpt, exact
# key, MinHash signature; None without `--validation`) and the training row's n-gram hashes
# (None without `--reference`). A reference row's are in `ReferenceRules.reference_features`.
RowFeatures = tuple[tuple[str, bytes | None, bytes | None] | None, bytes | None]


class TrainTestLeakageChecker(ValidationRules, ReferenceRules, Checker):
    id = "train_test_leakage"
    summary = "Validation rows that repeat training rows; training rows containing reference text."
    version = "3"
    needs = (EXCERPT, SCOPE_PARTS, SCOPE_KEY, SCOPE_TEXT)
    pure_map = True
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

    def map(self, record: Record, provided: Provided) -> RowResult | None:
        if record.row < 0:
            return None
        if record.split == "reference":
            if not self._references:
                return None
            return RowResult(features=self.reference_features(record, provided))
        if not record.readable or record.split not in ("train", "validation"):
            return None
        pair = grams = None
        if self._pairs:
            pair = self._pair_features(provided)
        if self._references and record.split == "train":
            text = provided(SCOPE_TEXT, "example", TEXT_NORMALIZATION, True)
            options = self.options
            found = row_grams([text], options.reference_ngram, options.reference_min_words)
            grams = found[0].tobytes()
        if pair is None and grams is None:
            return None
        features: RowFeatures = (pair, grams)
        return RowResult(features=features)

    def _pair_features(self, provided: Provided) -> tuple[str, bytes | None, bytes | None]:
        options = self.options
        parts = provided(SCOPE_PARTS, options.scope, False)
        key = provided(SCOPE_KEY, options.scope, self._exact_norm, True)
        signature = None
        if options.near:
            text = provided(SCOPE_TEXT, options.scope, TEXT_NORMALIZATION, False)
            flat, _ = shingle_hashes([text], options.ngram)
            signature = row_signatures([flat], options.num_perm, self._sigs.params.seed)[0]
        return provided(EXCERPT, shown_part(parts)), key, signature

    def reduce(self, key: RowKey, features: Any) -> None:
        if key.split == "reference":
            self._reduce_reference(key, features)
            return
        pair, grams = features
        if pair is not None:
            excerpt, exact, signature = pair
            self._log.add(key, excerpt, cut=False)
            self._keys.add(exact)
            if signature is not None:
                self._sigs.add_signature(signature)
        if grams is not None:
            self._grams.owner_log.add(key)
            self._grams.add_grams(grams)

    def finish(self) -> Iterator[Finding]:
        if self._pairs:
            yield from self._validation_findings()
        if self._references:
            yield from self._reference_findings()
            yield from self._unreadable_references()

    def stats(self) -> dict[str, Any]:
        return self._stats
