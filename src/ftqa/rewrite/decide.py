"""What `ftqa fix` does to one row, from the fixes its findings carry (`ftqa.fixes`): drop it,
or set the changed values. Fixes apply in the order of the findings; one whose place an earlier
fix of this round already changed, or whose place no longer holds the value it was computed
from, waits for the next round (which checks the fixed row again).

A dataset-wide finding about one row (a completion missing the stop sequence most rows end
with) cannot carry its new value: the reduce step that finds it never holds rows. Its fix is
computed here, as the row is written, by the checker's `fix` from the row and the values the
finding carries (`Finding.fix_values`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ftqa.checker import Checker, Drop, Edit
from ftqa.finding import Finding
from ftqa.fixes import MISSING, Fix, Path, edits, get_at, overlaps, set_at
from ftqa.records import Record
from ftqa.rewrite.conserving import UNCHANGED


@dataclass
class Decision:
    value: Any = UNCHANGED
    drop: Fix | None = None
    changes: list[tuple[Finding, Fix]] = field(default_factory=list)


def decide(
    record: Record, findings: Sequence[Finding], checkers: Mapping[str, Checker]
) -> Decision:
    decision = Decision()
    value = record.raw
    touched: list[Path] = []
    for finding in findings:
        fixes = [fix for fix in finding.fixes if fix.row in (None, record.row)]
        if not finding.fixes:
            fixes = _computed(checkers.get(finding.check), value, finding, record.row)
        for fix in fixes:
            if fix.action == "drop":
                decision.drop = fix
                decision.changes.append((finding, fix))
                return decision
        applied = _apply(value, fixes, touched)
        if applied is None:
            continue
        value = applied
        decision.value = value
        decision.changes.append((finding, fixes[0]))
    return decision


def _computed(checker: Checker | None, value: Any, finding: Finding, row: int) -> list[Fix]:
    if checker is None:
        return []
    rule = checker._rules_by_slug.get(finding.rule)
    safety = rule.fix if rule is not None and rule.fix in ("safe", "unsafe") else "safe"
    result = checker.fix(value, finding, row)
    if isinstance(result, Drop):
        return [Fix("drop", None, result.reason, safety)]  # type: ignore[arg-type]
    if isinstance(result, Edit):
        return edits(value, result.value, safety, (result.before, result.after))  # type: ignore[arg-type]
    return []


def _apply(value: Any, fixes: list[Fix], touched: list[Path]) -> Any:
    """`value` with every fix of one finding, or None when any of them must wait."""
    sets = [fix for fix in fixes if fix.action == "set" and fix.field is not None]
    if not sets:
        return None
    for fix in sets:
        assert fix.field is not None
        if any(overlaps(fix.field, done) for done in touched):
            return None
        current = get_at(value, fix.field)
        if current is MISSING or not _same(current, fix.expected):
            return None
    for fix in sets:
        assert fix.field is not None
        value = set_at(value, fix.field, fix.value)
        touched.append(fix.field)
    return value


def _same(one: Any, other: Any) -> bool:
    return one is other or one == other or (one != one and other != other)
