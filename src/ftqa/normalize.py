"""Detect each row's format and normalize it to the canonical record model, in place.

Never raises: whatever is wrong with a row's shape becomes a `Problem` on the record, for the
`format` checker to report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

from ftqa.formats import FORMATS, Format, Normalized, Reading, ReadOptions, detect
from ftqa.formats.llamafactory import INFO_FILE, entry_mapping
from ftqa.formats.mapping import FieldMap, read_through
from ftqa.load.llamafactory import declared_entry
from ftqa.records import Problem, Record
from ftqa.text import excerpt


class Normalizer:
    """`file_mapping` finds the mapping a file declares for itself (LLaMA-Factory's
    `dataset_info.json` next to it); the user's mapping (`options.mapping`) wins over it."""

    def __init__(
        self,
        options: ReadOptions | None = None,
        forced: str | None = None,
        file_mapping: Callable[[str], FieldMap | None] | None = None,
    ) -> None:
        self.options = options or ReadOptions()
        self.forced: Format | None = FORMATS[forced] if forced else None
        self._file_mapping = file_mapping or declared_mapping
        self._mappings: dict[str, FieldMap | None] = {}

    def mapping_for(self, file: str) -> FieldMap | None:
        if file not in self._mappings:
            declared = self._file_mapping(file)
            user = self.options.mapping
            if declared and user:
                declared = declared.merged(user)
            self._mappings[file] = declared or user or None
        return self._mappings[file]

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
        mapping = self.mapping_for(record.file)
        fmt = self.forced or detect(mapping.view(raw) if mapping else raw)
        if fmt is None:
            return record
        record.format = fmt.name
        reading = Reading(self.options, record.tabular, record.scan_text)
        try:
            normalized: Normalized = (
                read_through(mapping, fmt.read, raw, reading) if mapping else fmt.read(raw, reading)
            )
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
        record.template = normalized.template
        record.mapping = normalized.mapping
        return record


def declared_mapping(path: str) -> FieldMap | None:
    """The mapping a LLaMA-Factory `dataset_info.json` next to `path` declares for it."""
    found = declared_entry(path)
    if found is None:
        return None
    name, entry = found
    return entry_mapping(entry, f"{INFO_FILE} entry `{name}`") or None


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
