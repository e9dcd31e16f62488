"""Cut a CSV/TSV byte stream into records, each with its exact byte span.

A record ends at a newline outside quotes; a quote opens a quoted cell only as the first byte of a
cell (as Python's `csv` reads it), and `""` inside a quoted cell is a literal quote. Only the bytes
of the record being cut are held, up to the size limit; beyond it the record is followed to its end
without keeping its bytes.

A quoted cell that is never closed would swallow the rest of the file, and a stray quote can join
lines into one record that then fails to parse. Instead such a record is cut after its first
physical line and reading starts again on the next line, so one bad quote costs one record, not
every record after it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from ftqa.load.limits import Limits

_CHUNK = 1 << 20
# Resynchronising after an unclosed quote rescans what follows; past this many, the rest of the
# file is one broken record (bounds the work on files whose quotes never pair up).
MAX_RESYNCS = 1000


@dataclass(frozen=True, slots=True)
class Segment:
    start: int  # offset in the byte stream
    end: int
    line: int  # 1-based physical line the record starts on
    data: bytes | None  # None when the record is over the size limit
    broken_quote: bool = False  # cut after its first line: its quotes did not pair up


class _Cutter:
    def __init__(
        self,
        stream: BinaryIO,
        delimiter: bytes,
        limits: Limits,
        base: int,
        parses: Callable[[bytes], bool],
        head: bytes,
    ) -> None:
        self.stream = stream
        self.parses = parses
        self.limit = limits.max_line_bytes
        self.buffer = bytearray(head)
        self.buffer_start = base  # offset of buffer[0] in the stream
        self.eof = False
        self.line = 1  # line of buffer[0]
        self.resyncs = 0
        self.opening = re.compile(b"\n|" + re.escape(delimiter) + b'"')
        self.forgotten = 0  # bytes of the current record dropped from the buffer
        self.forgotten_lines = 0

    def _more(self) -> bool:
        if self.eof:
            return False
        chunk = self.stream.read(_CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.buffer += chunk
        return True

    def segments(self) -> Iterator[Segment]:
        while self.buffer or self._more():
            segment = self._record()
            data = segment.data
            if (
                data is not None
                and not segment.broken_quote
                and data.count(b"\n", 0, len(data) - 1) > 0
                and self.resyncs < MAX_RESYNCS
                and not self.parses(data)
            ):
                segment = self._rewind(segment)
            yield segment

    def _rewind(self, segment: Segment) -> Segment:
        """Put back all but the first line of a multi-line record that does not parse."""
        assert segment.data is not None
        first = segment.data.index(b"\n") + 1
        self.resyncs += 1
        self.buffer[:0] = segment.data[first:]
        self.buffer_start = segment.start + first
        self.line = segment.line + 1
        return Segment(segment.start, self.buffer_start, segment.line, segment.data[:first], True)

    def _record(self) -> Segment:
        """Cut the record that starts at buffer[0]."""
        start, line = self.buffer_start, self.line
        self.forgotten = self.forgotten_lines = 0
        quoted = self.buffer[:1] == b'"'
        position = 1 if quoted else 0
        while True:
            buffer = self.buffer
            if quoted:
                found = buffer.find(b'"', position)
                if 0 <= found < len(buffer) - 1:
                    if buffer[found + 1] == 0x22:  # `""`: a literal quote inside the cell
                        position = found + 2
                    else:
                        quoted, position = False, found + 1
                    continue
                # Not found, or the quote is the last byte read: look further.
                position = found if found >= 0 else len(buffer)
                if self._more():
                    position = self._forget(position)
                elif found >= 0:
                    quoted, position = False, found + 1  # closed by the file's last byte
                else:
                    return self._unclosed(start, line)
                continue
            match = self.opening.search(buffer, position)
            if match is None:
                position = len(buffer)
                if self._more():
                    position = self._forget(position)
                    continue
                return self._cut(start, line, len(buffer))
            if match.group() == b"\n":
                return self._cut(start, line, match.end())
            quoted, position = True, match.end()

    def _forget(self, position: int) -> int:
        """Once a record has grown past the limit its bytes cannot be returned: drop those already
        scanned (keeping one byte of look-behind) and return the shifted scan position."""
        if self.forgotten + position <= self.limit or position <= 1:
            return position
        cut = position - 1
        self.forgotten_lines += self.buffer.count(b"\n", 0, cut)
        del self.buffer[:cut]
        self.buffer_start += cut
        self.forgotten += cut
        return position - cut

    def _cut(self, start: int, line: int, end: int) -> Segment:
        data = bytes(self.buffer[:end])
        del self.buffer[:end]
        self.buffer_start += end
        self.line = line + self.forgotten_lines + data.count(b"\n")
        if self.forgotten or end > self.limit:
            return Segment(start, self.buffer_start, line, None)
        return Segment(start, self.buffer_start, line, data)

    def _unclosed(self, start: int, line: int) -> Segment:
        """End of data inside a quoted cell: the record is its first physical line, and reading
        starts again after it (unless the record was too long to keep, or resynchronising has
        been tried too often: then it runs to the end of the file)."""
        newline = self.buffer.find(b"\n")
        if self.forgotten or newline < 0 or self.resyncs >= MAX_RESYNCS:
            segment = self._cut(start, line, len(self.buffer))
        else:
            self.resyncs += 1
            segment = self._cut(start, line, newline + 1)
        return Segment(segment.start, segment.end, segment.line, segment.data, True)


def csv_segments(
    stream: BinaryIO,
    delimiter: str,
    limits: Limits,
    base: int = 0,
    parses: Callable[[bytes], bool] = lambda data: True,
    head: bytes = b"",
) -> Iterator[Segment]:
    """The records of `head` followed by `stream`, whose first byte is at offset `base`. A
    multi-line record for which `parses` is False is cut after its first line, and reading resumes
    after that."""
    yield from _Cutter(stream, delimiter.encode(), limits, base, parses, head).segments()
