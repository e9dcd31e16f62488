"""CSV/TSV with a header row, one record per CSV record, each with its exact byte span.

Records are cut from the bytes first (`csv_segments`), then each is parsed on its own with
Python's `csv` in strict mode, so malformed quoting is reported for that record and never
swallows the records after it. Bytes that are not UTF-8 survive as surrogate escapes: reported
per row, and the row's bytes are still copied exactly by a rewrite.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from typing import Any, BinaryIO

from ftqa.load.csv_segments import Segment, csv_segments
from ftqa.load.limits import Limits
from ftqa.load.tabular import decode_nested
from ftqa.records import Problem, Record

BOM = b"\xef\xbb\xbf"


def parse_cells(data: bytes, delimiter: str) -> list[str]:
    """The cells of one CSV record (raises `csv.Error` on malformed quoting)."""
    text = data.decode("utf-8", "surrogateescape")
    rows = list(csv.reader([text], delimiter=delimiter, strict=True))
    if len(rows) > 1:
        raise csv.Error("more than one record")
    return rows[0] if rows else []


def _parses(delimiter: str) -> Any:
    def parses(data: bytes) -> bool:
        try:
            parse_cells(data, delimiter)
        except csv.Error:
            return False
        return True

    return parses


def read_csv(path: str, stream: BinaryIO, limits: Limits, delimiter: str = ",") -> Iterator[Record]:
    csv.field_size_limit(min(limits.max_line_bytes, 2**31 - 1))
    head = stream.read(len(BOM))
    base = len(BOM) if head == BOM else 0
    header: list[str] | None = None
    row = 0
    segments = csv_segments(
        stream, delimiter, limits, base, _parses(delimiter), b"" if base else head
    )
    for segment in segments:
        if header is None:
            header_records, header = _header(path, segment, delimiter)
            yield from header_records
            continue
        data = segment.data
        span = (segment.start, segment.end)
        if data is not None and not data.strip(b"\r\n"):
            problem = Problem("blank-line", "blank line between examples")
            yield Record(file=path, row=-1, line=segment.line, problems=[problem], span=span)
            continue
        yield _record(path, row, segment, header, delimiter)
        row += 1


def _header(path: str, segment: Segment, delimiter: str) -> tuple[list[Record], list[str] | None]:
    """Notices about the header row, and its column names (None when there is no usable header,
    e.g. a first line too long to read: then the next record is tried as the header)."""
    if segment.data is None:
        problem = Problem("line-too-long", "the header is longer than the limit; not read")
        return [Record(file=path, row=-1, line=segment.line, problems=[problem])], None
    try:
        cells = parse_cells(segment.data, delimiter)
    except csv.Error as error:
        notice = _csv_error(path, -1, segment, str(error))
        notice.span = None  # the header line is kept as it is: it is not a row
        return [notice], None
    header = [name.strip() for name in cells]
    notices: list[Record] = []
    cleaned = [_surrogates_to_replacement(name) for name in header]
    if any(had for _, had in cleaned):
        header = [name for name, _ in cleaned]
        problem = Problem(
            "invalid-utf8",
            "the header has bytes that are not valid UTF-8 (read as U+FFFD)",
            fatal=False,
        )
        notices.append(Record(file=path, row=-1, line=segment.line, problems=[problem]))
    repeated = sorted(name for name, seen in Counter(header).items() if seen > 1)
    if repeated:
        problem = Problem(
            "duplicate-key",
            "the header repeats column "
            + ", ".join(f"`{name}`" for name in repeated)
            + ": only the last cell of each row is read",
            fatal=False,
        )
        notices.append(Record(file=path, row=-1, line=segment.line, problems=[problem]))
    return notices, header


def _record(path: str, row: int, segment: Segment, header: list[str], delimiter: str) -> Record:
    span = (segment.start, segment.end)
    if segment.data is None:
        problem = Problem("line-too-long", "a record longer than the limit; not read")
        return Record(file=path, row=row, line=segment.line, problems=[problem], span=span)
    if segment.broken_quote:
        problem = Problem(
            "invalid-csv",
            "malformed CSV: a quote in this record does not pair up (a quoted cell is never "
            "closed, or text follows a closing quote), so only this line is taken as the record; "
            'quote the cell and double any quote inside it ("")',
        )
        return Record(file=path, row=row, line=segment.line, problems=[problem], span=span)
    try:
        cells = parse_cells(segment.data, delimiter)
    except csv.Error as error:
        return _csv_error(path, row, segment, str(error))
    record = _csv_record(path, row, segment.line, header, cells)
    record.span = span
    return record


def _csv_error(path: str, row: int, segment: Segment, message: str) -> Record:
    if "field larger than field limit" in message:
        problem = Problem("line-too-long", f"a cell longer than the limit ({message}); not read")
    elif "new-line character seen in unquoted field" in message:
        problem = Problem(
            "invalid-csv",
            "malformed CSV: a carriage return (\\r) inside an unquoted cell; quote the cell",
        )
    elif "expected after" in message:
        problem = Problem(
            "invalid-csv",
            f"malformed CSV: text after a closing quote ({message}); a quote inside a quoted "
            'cell must be doubled ("")',
        )
    else:
        problem = Problem("invalid-csv", f"malformed CSV: {message}")
    return Record(
        file=path,
        row=row,
        line=segment.line,
        problems=[problem],
        span=(segment.start, segment.end),
    )


def _surrogates_to_replacement(value: str) -> tuple[str, bool]:
    if not any(0xDC80 <= ord(char) <= 0xDCFF for char in value):
        return value, False
    return "".join("\ufffd" if 0xDC80 <= ord(char) <= 0xDCFF else char for char in value), True


def _csv_record(path: str, row: int, line: int, header: list[str], cells: list[str]) -> Record:
    problems: list[Problem] = []
    bad_utf8 = False
    values: dict[str, Any] = {}
    for name, cell in zip(header, cells, strict=False):
        fixed, had = _surrogates_to_replacement(cell)
        bad_utf8 = bad_utf8 or had
        values[name] = fixed
    if bad_utf8:
        problems.append(
            Problem(
                "invalid-utf8",
                "bytes that are not valid UTF-8 (read as U+FFFD replacement characters)",
                fatal=False,
            )
        )
    if len(cells) != len(header):
        problems.append(
            Problem(
                "wrong-column-count",
                f"{len(cells)} cells where the header has {len(header)} columns",
                fatal=False,
            )
        )
        for name in header[len(cells) :]:
            values[name] = None
    return Record(
        file=path,
        row=row,
        line=line,
        raw=decode_nested(values),
        tabular=True,
        problems=problems,
        source=cells,
    )
