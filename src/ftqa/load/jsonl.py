"""JSON Lines: one value per physical line, read in binary so line numbers are exact.

Only b"\\n" ends a line (U+2028, U+2029 and U+0085 stay inside their line); a trailing b"\\r"
is part of the line ending. A line longer than the limit (not counting its line ending) is
skipped without being held in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from ftqa.load.limits import Limits
from ftqa.load.values import parse_json
from ftqa.records import Problem, Record
from ftqa.text import source_may_hide_characters

BOM = b"\xef\xbb\xbf"


def bom_notice(path: str) -> Record:
    return Record(
        file=path,
        row=-1,
        line=1,
        span=(0, len(BOM)),
        problems=[
            Problem(
                "byte-order-mark",
                "the file starts with a UTF-8 byte order mark, which strict JSON readers reject",
                fatal=False,
            )
        ],
    )


def read_jsonl(
    path: str, stream: BinaryIO, limits: Limits, *, first_line: int = 0, offset: int = 0
) -> Iterator[Record]:
    """Records of a JSON Lines stream. A stream that starts mid-file (a chunk of a larger file,
    cut after a newline) gives the number of lines before it and its byte offset; its rows are
    then numbered from 0 and the executor shifts them."""
    line_number = first_line
    row = 0
    cap = limits.max_line_bytes
    while True:
        # Room for the content, "\r\n" and the BOM: the cap applies to the content alone.
        chunk = stream.readline(cap + 5 if line_number == 0 else cap + 2)
        if not chunk:
            return
        start = offset
        offset += len(chunk)
        line_number += 1
        if line_number == 1 and chunk.startswith(BOM):
            chunk = chunk[len(BOM) :]
            start += len(BOM)
            yield bom_notice(path)
        has_newline = chunk.endswith(b"\n")
        line = chunk[:-1] if has_newline else chunk
        data = line[:-1] if line.endswith(b"\r") else line
        if len(data) > cap:
            if not has_newline:
                offset += _skip_rest_of_line(stream)
            yield Record(
                file=path,
                row=row,
                line=line_number,
                problems=[Problem("line-too-long", f"line longer than {cap} bytes; not read")],
                span=(start, offset),
            )
            row += 1
            continue
        if not data or data.isspace():
            yield Record(
                file=path,
                row=-1,
                line=line_number,
                problems=[Problem("blank-line", "blank line between examples")],
                source=line,
                span=(start, offset),
            )
            continue
        value, problems = parse_json(data)
        if not has_newline and value is None:
            problems = [_truncated(problems)]
        yield Record(
            file=path,
            row=row,
            line=line_number,
            raw=value,
            problems=problems,
            scan_text=source_may_hide_characters(data),
            source=line,
            span=(start, offset),
        )
        row += 1


def _truncated(problems: list[Problem]) -> Problem:
    first = problems[0] if problems else None
    detail = f" ({first.message})" if first else ""
    return Problem(
        "truncated-last-line",
        f"the last line is cut off: it has no newline and is not complete JSON{detail}",
        column=first.column if first else None,
        evidence=first.evidence if first else None,
    )


def _skip_rest_of_line(stream: BinaryIO) -> int:
    """Read past the end of an over-long line without keeping it; the number of bytes skipped."""
    skipped = 0
    while True:
        more = stream.readline(1 << 20)
        skipped += len(more)
        if not more or more.endswith(b"\n"):
            return skipped
