"""How records are laid out in a file of each text kind, for the row-conserving writer.

A layout receives, in file order, the framing bytes between records (a CSV header, a JSON array's
brackets and commas, blank lines) and each record's bytes, and writes them to one destination
file. The *primary* destination (the fixed dataset, the training split) gets the framing as it
was; the others (quarantine, validation split) get just what their format needs around the
records (the CSV header, `[` and `]`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import orjson

Write = Callable[[bytes], Any]


def line_ending(data: bytes) -> bytes:
    if data.endswith(b"\r\n"):
        return b"\r\n"
    if data.endswith(b"\n"):
        return b"\n"
    return b""


class LineLayout:
    """JSON Lines (and a .json file holding one object): records are lines; a record that lacked
    a final newline gets one before another record follows it."""

    def __init__(self, write: Write, primary: bool) -> None:
        self.write = write
        self.primary = primary
        self.open_line = False  # the last thing written did not end a line

    def prologue(self, data: bytes) -> None:
        """Framing before the first record; only the primary destination keeps it."""
        if self.primary:
            self.write(data)

    def framing(self, data: bytes) -> None:
        if self.primary:
            self.write(data)

    def record(self, data: bytes) -> None:
        if self.open_line:
            self.write(b"\n")
        self.write(data)
        self.open_line = not data.endswith(b"\n")

    def finish(self, trailing: bytes) -> None:
        if self.primary:
            self.write(trailing)

    @staticmethod
    def encode(value: Any, original: bytes, kind: str) -> bytes:
        ending = line_ending(original)
        if kind == "json-object":
            return orjson.dumps(value, option=orjson.OPT_INDENT_2) + (ending or b"\n")
        return orjson.dumps(value) + ending


class CsvLayout(LineLayout):
    """CSV/TSV: every destination starts with the input's header bytes."""

    def prologue(self, data: bytes) -> None:
        self.write(data)
        self.open_line = bool(data) and not data.endswith(b"\n")


def encode_csv_record(
    value: dict[str, Any],
    previous: dict[str, Any],
    cells: list[str],
    header: list[str],
    original: bytes,
    delimiter: str,
) -> bytes:
    """An edited CSV record: the original cells (extra cells, repeated columns and all), with
    only the cells whose value changed rewritten, and the original line ending."""
    out = list(cells)
    last_index = {name: index for index, name in enumerate(header)}
    for name, index in last_index.items():
        if name not in value or value[name] == previous.get(name):
            continue
        while len(out) <= index:
            out.append("")
        out[index] = _cell(value[name])
    text = io.StringIO()
    quoting = csv.QUOTE_ALL if original.startswith(b'"') else csv.QUOTE_MINIMAL
    # The terminator tells the writer which characters force quoting: CR and LF both must.
    writer = csv.writer(text, delimiter=delimiter, lineterminator="\r\n", quoting=quoting)
    writer.writerow(out)
    record = text.getvalue().removesuffix("\r\n")
    return record.encode("utf-8", "surrogateescape") + line_ending(original)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return orjson.dumps(value).decode()
    return str(value)


class JsonArrayLayout:
    """A JSON array. Each element's bytes run from after one separator to the next, whitespace
    included. In the primary destination the framing before an element (its comma) is kept only
    when an element was written before it, so dropping elements leaves a valid array; untouched
    elements and the brackets keep their bytes."""

    def __init__(self, write: Write, primary: bool) -> None:
        self.write = write
        self.primary = primary
        self.count = 0
        self.pending = b""

    def prologue(self, data: bytes) -> None:
        if self.primary:
            self.write(data)
        else:
            self.write(b"[")

    def framing(self, data: bytes) -> None:
        if self.primary:
            self.pending += data

    def record(self, data: bytes) -> None:
        if self.primary:
            if self.count:
                self.write(self.pending if b"," in self.pending else self.pending + b",")
            self.pending = b""
        elif self.count:
            self.write(b",")
        self.write(data)
        self.count += 1

    def skipped(self) -> None:
        """An element went elsewhere: the separator before it goes with it."""
        if self.primary:
            self.pending = b""

    def finish(self, trailing: bytes) -> None:
        if self.primary:
            self.write(trailing)
        else:
            self.write(b"\n]\n" if self.count else b"]\n")

    @staticmethod
    def encode(value: Any, original: bytes, kind: str) -> bytes:
        stripped = original.strip()
        start = original.find(stripped[:1]) if stripped else len(original)
        lead, tail = original[:start], original[start + len(stripped) :]
        option = orjson.OPT_INDENT_2 if b"\n" in stripped else 0
        return lead + orjson.dumps(value, option=option) + tail
