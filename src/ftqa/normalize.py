"""Detect each row's format and normalize it to the canonical record model, in place.

Never raises: whatever is wrong with a row's shape becomes a `Problem` on the record, for the
`format` checker to report.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from ftqa.formats import FORMATS, Format, Reading, ReadOptions, detect
from ftqa.records import Problem, Record
from ftqa.text import excerpt


class Normalizer:
    def __init__(self, options: ReadOptions | None = None, forced: str | None = None) -> None:
        self.options = options or ReadOptions()
        self.forced: Format | None = FORMATS[forced] if forced else None

    def __call__(self, records: Iterable[Record]) -> Iterator[Record]:
        for record in records:
            self.normalize(record)
            yield record

    def normalize(self, record: Record) -> Record:
        if not record.readable or record.row < 0:
            return record
        raw = record.raw
        if type(raw) is not dict and not isinstance(raw, Mapping):
            record.problems.append(
                Problem(
                    "not-an-object",
                    f"an example must be a JSON object, not {_kind(raw)}",
                    evidence=excerpt(repr(raw)),
                    fatal=True,
                )
            )
            return record
        fmt = self.forced or detect(raw)
        if fmt is None:
            return record
        record.format = fmt.name
        reading = Reading(self.options, record.tabular, record.scan_text)
        try:
            normalized = fmt.read(raw, reading)
        except RecursionError:
            record.problems.append(Problem("invalid-json", "nested too deeply to read safely"))
            return record
        record.problems.extend(reading.problems)
        record.messages = normalized.messages
        record.chosen = normalized.chosen
        record.rejected = normalized.rejected
        record.text = normalized.text
        record.label = normalized.label
        record.tools = normalized.tools
        return record


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return type(value).__name__
