"""What a fix changes outside the rows: notices left out (a blank line, a byte order mark) and a
CSV/TSV header whose cells hold a credential or personal data (`fix --redact`).

A header cell is redacted like a value: the `secrets`/`pii` checker's own `fix` rewrites the list
of header cells (`<API_KEY>`, `<EMAIL>`, …), and the row-conserving writer writes the new header
line in place of the old one in every destination (the quarantine starts with the header too).
Only a header on one physical line is rewritten; a header record that spans lines (a quoted cell
with a line break) is refused with a message naming the file and the line, and nothing is written.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ftqa.detect.keys import HEADER_PREFIX
from ftqa.errors import FtqaError
from ftqa.finding import Finding
from ftqa.fixes import Fix
from ftqa.load.csv_reader import BOM, parse_cells
from ftqa.records import Record
from ftqa.rewrite.changelog import ChangeLog
from ftqa.rewrite.layouts import line_ending

UNREADABLE = ("read-error", "decompression-limit")


def is_header_finding(finding: Finding) -> bool:
    return finding.row is None and (finding.field or "").startswith(HEADER_PREFIX)


def notice(
    record: Record,
    writer: Any,
    framing: set[tuple[int | None, str]],
    changes: ChangeLog,
    omitted: set[tuple[int | None, str]],
    number: int,
) -> bool:
    """A notice: stop on data that could not be read; leave out framing a fix removes."""
    rule = record.problems[0].rule if record.problems else ""
    if rule in UNREADABLE:
        message = record.problems[0].message
        raise FtqaError(f"{record.file}: cannot fix a file that cannot be read whole: {message}")
    if (record.line, rule) not in framing:
        return False
    writer.omit(record)
    what = "removed the byte order mark" if rule == "byte-order-mark" else "removed a blank line"
    changes.add(
        row=None,
        line=record.line,
        check="format",
        rule=rule,
        action="edit",
        reason=what,
        round_=number,
    )
    if number == 1:
        omitted.add((record.line, rule))
    return True


@dataclass
class HeaderRedaction:
    """The header fixes of a run: computed (and logged) once from the input's header, then the
    same cells for every writer that writes the input again."""

    findings: Sequence[Finding]
    changes: ChangeLog
    cells: list[str] | None = None
    done: bool = field(default=False)

    @property
    def line(self) -> int:
        return next((f.line for f in self.findings if f.line is not None), 1)

    def __call__(self, cells: list[str]) -> list[str] | None:
        if self.done:
            return self.cells
        self.done = True
        current, applied = header_cells(list(cells), self.findings)
        logged: set[int] = set()
        for finding, fix in applied:
            if id(finding) in logged:
                continue
            logged.add(id(finding))
            self.changes.add(
                row=None,
                line=finding.line,
                check=finding.check,
                rule=finding.rule,
                action="edit",
                reason=finding.message,
                before=f"{finding.rule} in {finding.field}",
                after=fix.after,
            )
        self.cells = current if current != cells else None
        return self.cells


def rewrite_header(prologue: bytes, delimiter: str, fix: HeaderRedaction, path: str) -> bytes:
    """`prologue` (the bytes before the first record) with the header line's cells replaced by
    `fix(cells)`; the byte order mark, the line ending and what follows the line are kept."""
    refusal = (
        f"{path}:{fix.line}: the header holds a credential or personal data, but it is not one "
        "CSV line ftqa can rewrite in place (a quoted cell spans lines); rename the column "
        "yourself; nothing was written"
    )
    # The header is the first record the loader could read: usually line 1, but an unreadable
    # first line (reported on its own) is skipped, so the line is found by its number.
    start = 0
    for _ in range(fix.line - 1):
        start = prologue.find(b"\n", start) + 1
        if not start:
            raise FtqaError(refusal)
    if prologue.startswith(BOM, start):
        start += len(BOM)
    end = prologue.find(b"\n", start)
    stop = len(prologue) if end < 0 else end + 1
    line = prologue[start:stop]
    try:
        cells = parse_cells(line, delimiter)
    except csv.Error as error:
        raise FtqaError(refusal) from error
    new = fix(cells)
    if new is None or new == cells:
        return prologue
    text = io.StringIO()
    quoting = csv.QUOTE_ALL if line.startswith(b'"') else csv.QUOTE_MINIMAL
    csv.writer(text, delimiter=delimiter, lineterminator="\r\n", quoting=quoting).writerow(new)
    encoded = text.getvalue().removesuffix("\r\n").encode("utf-8", "surrogateescape")
    encoded += line_ending(line)
    try:
        readable = parse_cells(encoded, delimiter) == new
    except csv.Error:
        readable = False
    if not readable:
        raise FtqaError(refusal)
    return prologue[:start] + encoded + prologue[stop:]


def as_original_columns(original: Record, fixed: Any) -> Any:
    """A row read from a file whose header was redacted, keyed by the input's column names
    (same columns in the same order), so the writer of the input finds each cell."""
    before = original.raw
    if not (original.tabular and isinstance(before, dict) and isinstance(fixed, dict)):
        return fixed
    if len(before) != len(fixed) or list(before) == list(fixed):
        return fixed
    return dict(zip(before, fixed.values(), strict=True))


HEADER_ROW = -1  # `Fix.row` of a header fix (ftqa.engine.fixing)


def header_cells(
    cells: list[str], findings: Sequence[Finding]
) -> tuple[list[str], list[tuple[Finding, Fix]]]:
    """The header's cells with every header fix applied (`Fix.row == -1`, paths are cell
    indices), and the fixes that changed a cell."""
    current = list(cells)
    applied = []
    for finding in findings:
        for fix in finding.fixes:
            if fix.row != HEADER_ROW or fix.field is None or len(fix.field) != 1:
                continue
            index = fix.field[0]
            if isinstance(index, int) and index < len(current) and current[index] == fix.expected:
                current[index] = str(fix.value)
                applied.append((finding, fix))
    return current, applied
