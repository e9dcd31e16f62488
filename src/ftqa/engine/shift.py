"""Rows mapped elsewhere are numbered from 0 within their chunk: move them to their place in
the file (their findings too), once the rows of the chunks before are counted."""

from __future__ import annotations

from ftqa.engine.mapping import MappedRow
from ftqa.finding import Finding
from ftqa.rowresult import RowResult


def shifted(rows: list[MappedRow], offset: int) -> list[MappedRow]:
    if not offset:
        return rows
    for row in rows:
        if row.row >= 0:
            row.row += offset
        if any(result.findings for _, result in row.results):  # most rows have none
            row.results = [(index, _moved(result, offset)) for index, result in row.results]
    return rows


def _moved(result: RowResult, offset: int) -> RowResult:
    if not result.findings:
        return result
    return RowResult(
        [_moved_finding(finding, offset) for finding in result.findings],
        result.features,
        result.measures,
    )


def _moved_finding(finding: Finding, offset: int) -> Finding:
    update: dict[str, object] = {}
    if finding.row is not None:
        update["row"] = finding.row + offset
    if finding.rows is not None:
        update["rows"] = [row + offset for row in finding.rows]
    return finding.model_copy(update=update) if update else finding
