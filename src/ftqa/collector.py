"""Collect the findings of one run: severity overrides, exact counts, the per-rule listing cap,
and dataset-level aggregation.

A rule declared with `aggregate=True` reports a condition of one row, but such a condition often
holds for (nearly) every row of a file: a stop sequence that ends every completion, a key every
row carries, a layout every row is written in. Thousands of identical row findings would bury
the rest of the report, so when more than `AGGREGATE_SHARE` of a file's rows (and at least
`AGGREGATE_MIN_ROWS` rows) have the finding, the report carries ONE finding for the file instead:
its message gives the count and the share, `occurrences` the count, `lines`/`rows` the first
`AGGREGATE_EXAMPLES` rows, and evidence, field and fix come from the first row. Below that share
the row findings are reported as usual.

Counts are exact everywhere: `counts` (the summary) and `per_rule` (`stats.findings_by_rule`)
count every finding reported, a dataset-level finding once; the listing cap
(`max_findings_per_rule`) limits what is listed, never what is counted. The listing keeps the
first findings of each rule in (file, line, row) order, whatever order they arrived in, so every
executor lists the same ones.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from ftqa.checker import Rule
from ftqa.config import Settings
from ftqa.finding import Finding, Severity

AGGREGATE_SHARE = 0.5
AGGREGATE_MIN_ROWS = 20
AGGREGATE_EXAMPLES = 5

RuleLookup = Callable[[str, str], Rule | None]


@dataclass
class _Pending:
    """Row findings of one aggregating rule in one file, held until the file's size is known."""

    count: int = 0
    kept: list[Finding] = field(default_factory=list)
    rows: set[int] = field(default_factory=set)


class _Last:
    """Heap entry ordered backwards, so a min-heap keeps the largest kept key on top."""

    __slots__ = ("finding", "key")

    def __init__(self, key: tuple[object, ...], finding: Finding) -> None:
        self.key = key
        self.finding = finding

    def __lt__(self, other: _Last) -> bool:
        return self.key > other.key  # type: ignore[operator]


@dataclass
class Collector:
    settings: Settings
    rule_of: RuleLookup
    counts: Counter[Severity] = field(default_factory=Counter)
    per_rule: Counter[tuple[str, str]] = field(default_factory=Counter)
    listing: dict[tuple[str, str], list[_Last]] = field(default_factory=dict)
    arrivals: int = 0
    pending: dict[tuple[str, str, str], _Pending] = field(default_factory=dict)

    def add(self, finding: Finding) -> None:
        settings = self.settings
        if not settings.rule_active(finding.check, finding.rule):
            return
        severity = settings.severity(finding.check, finding.rule, finding.severity)
        if severity is not finding.severity:
            finding = finding.model_copy(update={"severity": severity})
        if finding.row is not None and finding.file is not None and self._aggregates(finding):
            self._hold(finding)
            return
        self._count(finding)

    def _aggregates(self, finding: Finding) -> bool:
        if not self.settings.globals.dataset_level_findings:
            return False
        rule = self.rule_of(finding.check, finding.rule)
        return rule is not None and rule.aggregate

    def _hold(self, finding: Finding) -> None:
        key = (finding.check, finding.rule, finding.file or "")
        pending = self.pending.get(key)
        if pending is None:
            pending = self.pending[key] = _Pending()
        pending.count += 1
        if finding.row is not None:
            pending.rows.add(finding.row)
        if len(pending.kept) < self.settings.globals.max_findings_per_rule:
            pending.kept.append(finding)

    def _count(self, finding: Finding, times: int = 1, listed: bool = True) -> None:
        self.counts[finding.severity] += times
        key = (finding.check, finding.rule)
        self.per_rule[key] += times
        if not listed:
            return
        cap = self.settings.globals.max_findings_per_rule
        if cap <= 0:
            return
        # Ties (same place and rule) keep their arrival order, which is the row's own order.
        self.arrivals += 1
        entry = _Last((*finding.sort_key(), self.arrivals), finding)
        heap = self.listing.get(key)
        if heap is None:
            heap = self.listing[key] = []
        if len(heap) < cap:
            heapq.heappush(heap, entry)
        elif entry.key < heap[0].key:
            heapq.heapreplace(heap, entry)

    def listed(self) -> list[Finding]:
        """The listed findings of every rule (unsorted)."""
        return [entry.finding for heap in self.listing.values() for entry in heap]

    def settle(self, rows_by_file: dict[str, int]) -> None:
        """Turn held row findings into a dataset-level finding per file where the condition
        holds for most rows, and report the others as they are."""
        for (_, _, file), pending in sorted(self.pending.items()):
            rows = rows_by_file.get(file, 0)
            first = pending.kept[0]
            affected = len(pending.rows)
            if rows and affected >= AGGREGATE_MIN_ROWS and affected > AGGREGATE_SHARE * rows:
                self._count(dataset_finding(first, pending, rows))
                continue
            for finding in pending.kept:
                self._count(finding)
            unlisted = pending.count - len(pending.kept)
            if unlisted > 0:
                self._count(first, unlisted, listed=False)
        self.pending.clear()

    def truncated(self) -> dict[tuple[str, str], int]:
        cap = self.settings.globals.max_findings_per_rule
        return {key: count for key, count in self.per_rule.items() if count > cap}


def dataset_finding(first: Finding, pending: _Pending, rows: int) -> Finding:
    """One finding for a file standing for the row findings in `pending`."""
    affected = len(pending.rows)
    share = affected / rows
    shown = f"{share:.0%}" if share < 0.995 or affected == rows else ">99%"
    examples = pending.kept[:AGGREGATE_EXAMPLES]
    lines = [finding.line for finding in examples if finding.line is not None]
    where = f"line {first.line}" if first.line is not None else f"row {first.row}"
    return first.model_copy(
        update={
            "message": (
                f"{affected} of {rows} rows ({shown}) have this finding, so it describes the "
                f"dataset rather than a few rows; first at {where}: {first.message}"
            ),
            "line": None,
            "row": None,
            "rows": [finding.row for finding in examples if finding.row is not None],
            "lines": lines if len(lines) == len(examples) else None,
            "occurrences": pending.count,
        }
    )
