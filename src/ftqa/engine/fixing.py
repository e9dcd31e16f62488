"""Fixes as data, computed in the step that makes the finding (`ftqa fix` asks for them; a
plain check does not): a row's fixes in its map step, from the row as read; the drops of a
dataset-wide finding (a duplicate group) in the reduce step. Each becomes `Fix` objects on the
finding (`ftqa.fixes`), outside every serialised field."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ftqa.checker import Checker, Drop, Edit
from ftqa.detect.keys import HEADER_PREFIX
from ftqa.finding import Finding
from ftqa.fixes import Fix, Safety, edits
from ftqa.records import Record
from ftqa.rowresult import RowResult

HEADER_ROW = -1  # `Fix.row` of a fix to a CSV/TSV header's cells (paths are cell indices)


def _safety(checker: Checker, finding: Finding) -> Safety | None:
    rule = checker._rules_by_slug.get(finding.rule)
    if rule is None or rule.fix not in ("safe", "unsafe"):
        return None
    return rule.fix  # type: ignore[return-value]


def with_row_fixes(checker: Checker, record: Record, result: RowResult) -> RowResult:
    findings = list(result.findings)
    changed = False
    for index, finding in enumerate(findings):
        safety = _safety(checker, finding)
        if safety is None:
            continue
        fixes = _row_fixes(checker, record, finding, safety)
        if fixes:
            findings[index] = finding.model_copy(update={"fixes": tuple(fixes)})
            changed = True
    return RowResult(findings, result.features, result.measures) if changed else result


def _row_fixes(checker: Checker, record: Record, finding: Finding, safety: Safety) -> list[Fix]:
    header = record.header
    if (
        header is not None
        and finding.row is None
        and (finding.field or "").startswith(HEADER_PREFIX)
    ):
        cells = list(header.cells)
        result = checker.fix(cells, finding, HEADER_ROW)
        if not isinstance(result, Edit) or not isinstance(result.value, list):
            return []
        new = [str(cell) for cell in result.value]
        return [
            Fix(
                "set", (index,), cell, safety, cells[index], HEADER_ROW, result.before, result.after
            )
            for index, cell in enumerate(new)
            if index < len(cells) and cell != cells[index]
        ]
    if finding.row is None:
        return []
    result = checker.fix(record.raw, finding, record.row)
    if isinstance(result, Drop):
        return [Fix("drop", None, result.reason, safety)]
    if isinstance(result, Edit):
        return edits(record.raw, result.value, safety, (result.before, result.after))
    return []


def with_group_fixes(checker: Checker, findings: Iterable[Finding]) -> Iterator[Finding]:
    """Dataset-wide findings with the drops they ask for, one `Fix` per row to drop."""
    for finding in findings:
        safety = _safety(checker, finding)
        if safety is None or not finding.rows:
            yield finding
            continue
        fixes = []
        for row in finding.rows:
            result = checker.fix(None, finding, row)
            if isinstance(result, Drop):
                fixes.append(Fix("drop", None, result.reason, safety, row=row))
        yield finding.model_copy(update={"fixes": tuple(fixes)}) if fixes else finding
