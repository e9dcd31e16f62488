"""Training rows that contain text of reference (benchmark) files."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from ftqa.checks.train_test_leakage.grams import (
    _common,
    _first_hit_per_row,
    _first_occurrence,
    row_grams,
    shared_words,
)
from ftqa.checks.train_test_leakage.options import REFERENCE_TEXT_CHARS, TEXT_NORMALIZATION
from ftqa.dedup.scope import reference_text_of
from ftqa.dedup.shingles import MAX_TEXT_CHARS
from ftqa.finding import Finding
from ftqa.outbound import outbound, prefix_excerpt
from ftqa.providers import Provided
from ftqa.providers.dedup import SCOPE_TEXT
from ftqa.records import Record
from ftqa.rowresult import RowKey

# A reference row's features: its distinct n-gram hashes (uint64 bytes) and its normalized text,
# masked (to show the words a training row shares with it); no hashes for a row that is not even
# a JSON value.
ReferenceFeatures = tuple[bytes | None, str]


class ReferenceRules:
    """`reference-contamination` and `unreadable-reference` (a checker mixin)."""

    def reference_features(self, record: Record, provided: Provided) -> ReferenceFeatures:
        if record.raw is None:  # not even a JSON value: nothing to compare
            return None, ""
        example = ""
        if record.format is not None:
            example = provided(SCOPE_TEXT, "example", TEXT_NORMALIZATION, True)
        text = reference_text_of(example, record.raw, TEXT_NORMALIZATION)
        options = self.options
        grams = row_grams([text], options.reference_ngram, options.reference_min_words)[0]
        shown = text[:MAX_TEXT_CHARS]
        shown = prefix_excerpt(shown) if len(shown) < len(text) else outbound(shown)
        return grams.tobytes(), shown

    def _reduce_reference(self, key: RowKey, features: ReferenceFeatures) -> None:
        counts = self._ref_counts.setdefault(key.file, [0, 0, None])
        counts[0] += 1
        grams, text = features
        if grams is None:
            counts[1] += 1
            if counts[2] is None:
                counts[2] = key.line
            return
        self._ref_log.add(key)
        self._ref_grams.add_grams(grams)
        if self._ref_chars < REFERENCE_TEXT_CHARS:
            self._ref_texts.append(text)
            self._ref_chars += len(text)

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
            common = _common(ref_hashes[mask], ref_rows[mask], self.options.reference_common_rows)
            kept_hashes, kept_rows = ref_hashes[mask][~common], ref_rows[mask][~common]
            hashes, first_row = _first_occurrence(kept_hashes, kept_rows)
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
                    "template_ngrams_ignored": len(np.unique(ref_hashes[mask][common])),
                    "training_rows_contaminated": len(contaminated),
                    "reference_rows_matched": len(matched_refs),
                }
            )
            first_hit = _first_hit_per_row(train_rows[hit], first_row[slot[hit]], train_hashes[hit])
            for index in contaminated.tolist():
                ref, values = first_hit[index]
                yield self._reference_finding(name, index, int(counts[index]), ref, values)
        for name, (rows, unreadable, _) in self._ref_counts.items():
            if name not in self._ref_log.files:
                per_file.append({"file": name, "rows": rows, "unreadable_rows": unreadable})
        for entry in per_file:
            entry.setdefault("unreadable_rows", self._ref_counts.get(entry["file"], [0, 0])[1])
        self._stats["references"] = per_file
        self._stats["reference_ngram"] = self.options.reference_ngram
        self._stats["reference_sampling"] = grams.rate_text()

    def _reference_finding(
        self, name: str, index: int, shared: int, ref: int, values: set[int]
    ) -> Finding:
        owners = self._grams.owner_log
        n = self.options.reference_ngram
        where = self._ref_log.line_of(ref)
        at = f"line {where}" if where is not None else f"row {self._ref_log.row[ref]}"
        sampled = "" if self._grams.shift == 0 else f" (sampled, {self._grams.rate_text()})"
        message = (
            f"shares {shared} {n}-word sequence{'s' if shared != 1 else ''}{sampled} with "
            f"reference file {name} (first match: its {at})"
        )
        words = None
        if ref < len(self._ref_texts):
            words = shared_words(self._ref_texts[ref], n, values)
        line = owners.line_of(index)
        return self.finding(
            "reference-contamination",
            message,
            evidence=words,
            file=owners.files[owners.file[index]],
            line=line,
            row=owners.row[index],
            rows=[owners.row[index]],
            lines=[line] if line is not None else None,
            fix="remove the row from the training data, or remove that item from the evaluation",
        )
