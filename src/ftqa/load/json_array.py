"""A JSON array of examples, read element by element with each element's starting line.

The scanner tracks only nesting depth and string state, so memory stays bounded by the largest
element rather than the file. Each element is then parsed on its own, so one malformed example
does not hide the others.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

from ftqa.load.jsonl import bom_notice
from ftqa.load.limits import Limits
from ftqa.load.values import parse_json
from ftqa.records import Problem, Record
from ftqa.text import excerpt, source_may_hide_characters

_SIGNIFICANT = re.compile(rb'["\\\[\]{},\n]')
_CHUNK = 1 << 20


class _Element:
    __slots__ = ("line", "missing_comma", "parts", "size", "start")

    def __init__(self, line: int, missing_comma: bool, start: int) -> None:
        self.line = line
        self.parts: list[bytes] = []
        self.size = 0
        self.missing_comma = missing_comma
        self.start = start  # offset after the separator before the element (`[` or `,`)


def read_json_array(path: str, stream: BinaryIO, limits: Limits) -> Iterator[Record]:
    """Yield one record per top-level array element."""
    yield from _located(_elements(path, stream, limits))


def _located(records: Iterator[Record]) -> Iterator[Record]:
    """Elements that start on the same line as another element get no line: in a minified array
    every element is on line 1, and `row` (the element's index) is what tells them apart."""
    held: Record | None = None
    crowded = -1
    for record in records:
        if record.row < 0:  # notices about the file pass through
            yield record
            continue
        if held is not None:
            if record.line == held.line:
                crowded = record.line
                held.line = None
            yield held
        if record.line == crowded:
            record.line = None
        held = record
    if held is not None:
        yield held


def _elements(path: str, stream: BinaryIO, limits: Limits) -> Iterator[Record]:
    scanner = _Scanner(path, limits)
    first = True
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        if first:
            first = False
            if chunk.startswith(b"\xef\xbb\xbf"):
                chunk = chunk[3:]
                scanner.base = 3
                yield bom_notice(path)
        yield from scanner.feed(chunk)
        scanner.base += len(chunk)
    yield from scanner.end()


_IN_STRING = re.compile(rb'["\\\n]')


class _Scanner:
    def __init__(self, path: str, limits: Limits) -> None:
        self.path = path
        self.limits = limits
        self.line = 1
        self.depth = 0
        self.in_string = False
        self.escaped = False
        self.started = False
        self.closed = False
        self.complete = False
        self.element: _Element | None = None
        self.row = 0
        self.trailing_reported = False
        self.oversized = False
        self.last_content_line = 1
        self.base = 0  # offset of the chunk being fed in the file's byte stream
        self.separator_end = 0  # offset just after the last top-level `[` or `,`

    def _emit(self, end: int) -> Iterator[Record]:
        """Emit the open element, whose bytes end at offset `end` (a separator or the next
        element's first byte)."""
        element = self.element
        self.element = None
        self.complete = False
        if element is None:
            return
        data = b"".join(element.parts).strip()
        oversized = self.oversized
        if oversized:
            self.oversized = False
            problems = [
                Problem(
                    "line-too-long",
                    f"example longer than {self.limits.max_line_bytes} bytes; not read",
                )
            ]
            value = None
        else:
            value, problems = parse_json(data)
        if element.missing_comma:
            problems.insert(
                0,
                Problem(
                    "invalid-json",
                    "invalid JSON: missing ',' before this array element",
                    fatal=False,
                ),
            )
        yield Record(
            file=self.path,
            row=self.row,
            line=element.line,
            raw=value,
            problems=problems,
            scan_text=source_may_hide_characters(data),
            source=None if oversized else data,
            span=(element.start, end),
        )
        self.row += 1

    def _append(self, data: bytes) -> None:
        element = self.element
        if element is None or not data:
            return
        element.size += len(data)
        if element.size > self.limits.max_line_bytes:
            self.oversized = True
            element.parts.clear()
            return
        if not self.oversized:
            element.parts.append(data)

    def _begin_value(self, at: int) -> Iterator[Record]:
        """A value starts at depth 1 at offset `at`: open an element, or notice a missing
        comma (the previous element then ends where this one starts)."""
        if self.depth != 1:
            return
        if self.element is None:
            self.element = _Element(self.line, missing_comma=False, start=self.separator_end)
        elif self.complete:
            yield from self._emit(at)
            self.element = _Element(self.line, missing_comma=True, start=at)

    def feed(self, chunk: bytes) -> Iterator[Record]:
        position = 0
        length = len(chunk)
        while position < length:
            if self.in_string:
                position = self._string(chunk, position)
                continue
            match = _SIGNIFICANT.search(chunk, position)
            segment_end = match.start() if match else length
            yield from self._plain(chunk[position:segment_end], self.base + position)
            if match is None:
                return
            position = match.end()
            yield from self._structural(match.group(), self.base + match.start())

    def _string(self, chunk: bytes, position: int) -> int:
        if self.escaped:
            self.escaped = False
            self._append(chunk[position : position + 1])
            return position + 1
        match = _IN_STRING.search(chunk, position)
        if match is None:
            self._append(chunk[position:])
            return len(chunk)
        end = match.end()
        self._append(chunk[position:end])
        char = match.group()
        if char == b"\\":
            self.escaped = True
        elif char == b'"':
            self.in_string = False
            if self.depth == 1:
                self.complete = True
        else:
            self.line += 1
        return end

    def _plain(self, text: bytes, at: int) -> Iterator[Record]:
        if text.strip():
            self.last_content_line = self.line
        if not text or not text.strip():
            if self.depth >= 1 and self.element is not None:
                self._append(text)
            return
        if not self.started or self.closed:
            yield from self._trailing(text)
            return
        yield from self._begin_value(at + len(text) - len(text.lstrip()))
        self._append(text)

    def _structural(self, char: bytes, at: int) -> Iterator[Record]:
        if char == b"\n":
            self.line += 1
            if self.element is not None:
                self._append(char)
            return
        self.last_content_line = self.line
        if not self.started:
            if char == b"[":
                self.started = True
                self.depth = 1
                self.separator_end = at + 1
                return
            yield from self._trailing(char)
            return
        if self.closed:
            yield from self._trailing(char)
            return
        if char == b'"':
            yield from self._begin_value(at)
            self.in_string = True
            self._append(char)
        elif char in (b"[", b"{"):
            yield from self._begin_value(at)
            self.depth += 1
            self._append(char)
        elif char in (b"]", b"}"):
            yield from self._close(char, at)
        elif char == b",":
            if self.depth == 1:
                yield from self._emit(at)
                self.separator_end = at + 1
            else:
                self._append(char)
        else:
            self._append(char)

    def _close(self, char: bytes, at: int) -> Iterator[Record]:
        if self.depth == 1:
            if char == b"]":
                yield from self._emit(at)
                self.depth = 0
                self.closed = True
            return
        self.depth -= 1
        self._append(char)
        if self.depth == 1:
            self.complete = True

    def _trailing(self, text: bytes) -> Iterator[Record]:
        if self.trailing_reported:
            return
        self.trailing_reported = True
        where = "after the closing ']'" if self.closed else "before the opening '['"
        yield Record(
            file=self.path,
            row=-1,
            line=self.line,
            problems=[
                Problem(
                    "invalid-json",
                    f"invalid JSON: unexpected data {where}",
                    evidence=excerpt(text.decode("utf-8", "replace")),
                )
            ],
        )

    def end(self) -> Iterator[Record]:
        if not self.started:
            if not self.trailing_reported:
                yield Record(
                    file=self.path,
                    row=-1,
                    line=self.line,
                    problems=[Problem("invalid-json", "invalid JSON: no array found")],
                )
            return
        if self.closed:
            return
        element = self.element
        cut = element is not None and (self.depth > 1 or self.in_string or not self.complete)
        detail = (
            f"; the element starting on line {element.line} is cut off" if cut and element else ""
        )
        yield from self._emit(self.base)
        yield Record(
            file=self.path,
            row=-1,
            line=self.last_content_line,
            problems=[
                Problem(
                    "truncated-last-line",
                    f"the file ends inside the array (no closing ']'){detail}",
                )
            ],
        )
