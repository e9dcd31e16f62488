"""Validation rows that repeat or nearly repeat training rows."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ftqa.checks.train_test_leakage.options import LISTED_TRAINING, TRAIN, VALIDATION
from ftqa.dedup import (
    clusters,
)
from ftqa.finding import Finding


class ValidationRules:
    """`validation-row-in-training` and `validation-row-near-training` (a checker mixin)."""

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
