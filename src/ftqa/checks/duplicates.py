"""The `duplicates` checker: rows that are the same example after normalization.

Each row's scope (the whole example by default; or its prompt or response side) is normalized
(Unicode NFKC, case folding, whitespace collapse; punctuation removal on request) and hashed to a
128-bit BLAKE2b key; rows with equal keys form a group. Every group is reported once, with all its
rows and lines: the first row is kept, the others repeat it. Training and validation rows are
grouped separately (a validation row that repeats a training row is `train_test_leakage`'s
finding). Only keys, locations and a short excerpt per row are kept in memory.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from pydantic import Field

from ftqa.checker import Checker, Drop, Edit, Options, Rule
from ftqa.dedup import KeyIndex, Normalization, RowLog, Scope, clusters
from ftqa.dedup.findings import by_file, group_location, listing, place
from ftqa.dedup.scope import shown_part
from ftqa.finding import Finding, Severity
from ftqa.providers import Provided
from ftqa.providers.dedup import SCOPE_KEY, SCOPE_PARTS
from ftqa.providers.excerpt import EXCERPT
from ftqa.records import Record
from ftqa.rowresult import RowKey, RowResult

SCOPE_WORDS = {"example": "example", "prompt": "prompt", "response": "response"}


class DuplicatesOptions(Options):
    scope: Scope = Field(
        "example",
        description="What is compared: the whole `example`, its `prompt` side or its "
        "`response` side.",
    )
    include_system: bool = Field(
        True, description="Compare system and developer messages too (prompt and example scopes)."
    )
    nfkc: bool = Field(True, description="Apply Unicode NFKC normalization before comparing.")
    casefold: bool = Field(True, description="Ignore letter case.")
    collapse_whitespace: bool = Field(
        True, description="Treat any run of whitespace as one space and ignore leading/trailing."
    )
    strip_punctuation: bool = Field(False, description="Ignore Unicode punctuation characters.")

    def normalization(self) -> Normalization:
        return Normalization(
            nfkc=self.nfkc,
            casefold=self.casefold,
            whitespace=self.collapse_whitespace,
            punctuation=self.strip_punctuation,
        )


class DuplicatesChecker(Checker):
    id = "duplicates"
    summary = "Rows that are the same example after normalization."
    version = "2"
    needs = (EXCERPT, SCOPE_PARTS, SCOPE_KEY)
    pure_map = True
    rules = (
        Rule(
            "exact-duplicate",
            Severity.WARNING,
            "The same example (after normalization) appears more than once.",
            "safe",
        ),
    )
    Options = DuplicatesOptions
    options: DuplicatesOptions

    def __init__(self, options: DuplicatesOptions, context: Any) -> None:
        super().__init__(options, context)
        self._norm = options.normalization()
        self._log = RowLog()
        self._keys = KeyIndex()
        self._groups = 0

    def map(self, record: Record, provided: Provided) -> RowResult | None:
        """Features: the row's 128-bit key (None: nothing to compare) and a short excerpt."""
        if record.split not in ("train", "validation"):
            return None
        options = self.options
        key = provided(SCOPE_KEY, options.scope, self._norm, options.include_system)
        if key is None:
            return RowResult(features=(None, ""))
        parts = provided(SCOPE_PARTS, options.scope, options.include_system)
        return RowResult(features=(key, provided(EXCERPT, shown_part(parts))))

    def reduce(self, key: RowKey, features: Any) -> None:
        self.reduce_many([key], [features])

    def reduce_many(self, keys: Sequence[RowKey], features: Sequence[Any]) -> None:
        scope_keys, excerpts = zip(*features, strict=True)
        self._log.add_many(keys, excerpts, cut=False)
        self._keys.add_many(scope_keys)

    def finish(self) -> Iterator[Finding]:
        log = self._log
        _, splits = log.arrays()
        labels = self._keys.labels(partition=splits)
        self._labels = labels
        for members in clusters(labels):
            self._groups += 1
            yield from self._group(members)

    def _group(self, members: np.ndarray) -> Iterator[Finding]:
        log = self._log
        what = SCOPE_WORDS[self.options.scope]
        kept = int(members[0])
        groups = by_file(log, members)
        for group in groups:
            indices = group.members.tolist()
            others = [g for g in groups if g is not group]
            elsewhere = [log.where(i) for g in others for i in g.members.tolist()][:5]
            if group.first:
                message = (
                    f"{len(members)} rows have the same {what} after normalization: "
                    f"{place(log, kept)} is kept, {listing(log, indices[1:])} "
                    f"{'repeats' if len(indices) == 2 else 'repeat'} it"
                    if len(indices) > 1
                    else f"{place(log, kept)} has the same {what} as rows in other files"
                )
            else:
                message = (
                    f"{listing(log, indices)} repeat the {what} of {log.where(kept)} (kept there)"
                )
            if elsewhere and group.first:
                message += f"; also repeated at {', '.join(elsewhere)}"
            yield self.finding("exact-duplicate", message, **group_location(log, group, kept))

    def stats(self) -> dict[str, Any]:
        labels = getattr(self, "_labels", None)
        if labels is None:
            return {}
        _, splits = self._log.arrays()
        valid = self._keys.valid()
        out: dict[str, Any] = {"scope": self.options.scope}
        for name, code in (("train", 0), ("validation", 1)):
            mask = splits == code
            if not mask.any():
                continue
            part = labels[mask]
            compared = valid[mask]
            unique = len(np.unique(part))
            counts = np.unique(part, return_counts=True)[1]
            summary = {
                "rows": int(mask.sum()),
                "rows_compared": int(compared.sum()),
                "unique": unique,
                "duplicate_rows": int(mask.sum()) - unique,
                "groups": int((counts > 1).sum()),
                "largest_group": int(counts.max()) if len(counts) else 0,
            }
            if name == "train":
                out.update(summary)
            else:
                out["validation"] = summary
        return out

    def fix(self, raw: Any, finding: Finding, row: int) -> Edit | Drop | None:
        rows = finding.rows or []
        if finding.rule != "exact-duplicate" or row not in rows[1:]:
            return None
        if self.options.scope != "example":
            return None  # the same prompt (or answer) alone does not make a row redundant
        kept = finding.lines[0] if finding.lines else None
        where = f"line {kept}" if kept is not None else f"row {rows[0]}"
        return Drop(f"exact duplicate of {where}")
