"""Reading one JSON Lines file as independent chunks: byte ranges cut just after a newline, so
each chunk holds whole lines and can be read by another process. Planning reads the file once
(sha256, newline counts at each cut); each chunk then knows its first line number and byte
offset, so its records carry the same lines and spans as a single reader gives them."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from ftqa.errors import InputError
from ftqa.load.jsonl import read_jsonl
from ftqa.load.limits import Limits
from ftqa.load.source import is_url
from ftqa.records import Record

BLOCK = 8 << 20


@dataclass(frozen=True, slots=True)
class ByteRange:
    start: int
    end: int
    first_line: int  # lines before `start`


def plan_ranges(
    path: str, chunk_bytes: int, max_lines: int | None = None
) -> tuple[str, int, list[ByteRange]]:
    """The file's sha256, its size, and its ranges of about `chunk_bytes`, cut after newlines;
    with `max_lines`, ranges are made smaller for short lines, so that a range holds about that
    many lines at most (judged from the file's first block)."""
    digest = hashlib.sha256()
    cuts: list[tuple[int, int]] = [(0, 0)]  # (offset, lines before it)
    target = chunk_bytes
    offset = lines = 0
    try:
        with open_binary(path) as file:
            while block := file.read(BLOCK):
                if offset == 0 and max_lines:
                    per_line = len(block) / max(1, block.count(b"\n"))
                    chunk_bytes = max(1, min(chunk_bytes, int(per_line * max_lines)))
                    target = chunk_bytes
                digest.update(block)
                end = offset + len(block)
                search = 0
                while target < end:
                    found = block.find(b"\n", max(search, target - offset))
                    if found < 0:
                        break
                    cut = offset + found + 1
                    lines_before = lines + block.count(b"\n", 0, found + 1)
                    cuts.append((cut, lines_before))
                    search = found + 1
                    target = cut + chunk_bytes
                lines += block.count(b"\n")
                offset = end
    except OSError as error:
        raise InputError(path, error.strerror or str(error)) from error
    size = offset
    if cuts[-1][0] >= size and len(cuts) > 1:
        cuts.pop()  # a cut at the very end leaves nothing after it
    ranges = [
        ByteRange(start, cuts[index + 1][0] if index + 1 < len(cuts) else size, before)
        for index, (start, before) in enumerate(cuts)
    ]
    return digest.hexdigest(), size, ranges


def open_binary(path: str) -> BinaryIO:
    """A local file or an fsspec URL, opened for reading bytes."""
    try:
        if is_url(path):
            from ftqa.load.remote import filesystem

            fs, inner = filesystem(path)
            return fs.open(inner, "rb")  # type: ignore[no-any-return]
        return open(path, "rb", buffering=0)
    except FileNotFoundError as error:
        raise InputError(path, "no such file") from error
    except OSError as error:
        raise InputError(path, error.strerror or str(error)) from error


class _Window(io.RawIOBase):
    """At most `length` bytes of `raw` from where it stands."""

    def __init__(self, raw: BinaryIO, length: int) -> None:
        self._raw = raw
        self._left = length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._left <= 0:
            return 0
        data = self._raw.read(min(len(buffer), self._left))
        count = len(data)
        buffer[:count] = data
        self._left -= count
        return count


def read_range(path: str, limits: Limits, part: ByteRange) -> Iterator[Record]:
    """The records of one range of a file or fsspec URL; rows are numbered from 0 within it."""
    raw = open_binary(path)
    try:
        raw.seek(part.start)
        stream = io.BufferedReader(_Window(raw, part.end - part.start), 1 << 20)
        yield from read_jsonl(path, stream, limits, first_line=part.first_line, offset=part.start)
    finally:
        raw.close()
