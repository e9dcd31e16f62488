"""Where the `secrets` and `pii` checkers look in a row, and how each place is named.

Both scan the same places: every string value of the raw row, every key and earlier value of a
repeated key (`ftqa.detect.keys`), and the cells of a CSV/TSV header. The checker says what to
look for through a `Scanner` (its pre-filter, and what it finds in a value or in a spot); this
module walks the places, applies the row-level pre-filters, keeps one find per value and rule
in each string, and names each find's place in words (`where`) and as a field path (`field`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from ftqa.detect.keys import Spot, header_spots
from ftqa.detect.scan import Path, format_path
from ftqa.records import Header, Record


@dataclass(frozen=True, slots=True)
class Found:
    """One item a detector found in one string: its rule, its type in words, its 0-based
    offset, a masked form safe to show (`shown`), and what makes two finds the same item
    (`value`: used to report each item once per string, never shown)."""

    rule: str
    label: str
    start: int
    shown: str
    value: str


@dataclass(frozen=True, slots=True)
class Hit:
    """A find with its place: `where` in words for a message, `field` for the finding."""

    rule: str
    label: str
    start: int
    shown: str
    where: str
    field: str


class Scanner(Protocol):
    def may_hold(self, text: str, data: bytes) -> bool:
        """Cheap test on many strings joined by newlines (`data` is its UTF-8)."""
        ...

    def in_value(self, path: Path, text: str) -> Iterable[Found]: ...

    def in_spot(self, spot: Spot) -> Iterable[Found]: ...


def scan_values(
    scanner: Scanner, fields: list[tuple[Path, str]], joined: str, data: bytes
) -> list[Hit]:
    """The finds in the row's string values (`fields`; `joined`/`data`: their pre-filter)."""
    if not scanner.may_hold(joined, data):
        return []
    hits: list[Hit] = []
    for path, text in fields:
        found = _once_per_value(scanner.in_value(path, text))
        if found:
            field = format_path(path)
            hits.extend(_placed(found, f"`{field}`", field))
    return hits


def scan_spots(scanner: Scanner, spots: list[Spot], joined: str, data: bytes) -> list[Hit]:
    """The finds in keys and earlier values of repeated keys (`joined`/`data`: pre-filter)."""
    if not scanner.may_hold(joined, data):
        return []
    return _in_spots(scanner, spots)


def scan_header(scanner: Scanner, header: Header) -> list[Hit]:
    """The finds in a header's cells (a few short names: no pre-filter)."""
    return _in_spots(scanner, header_spots(header))


def header_to_scan(record: Record) -> Header | None:
    """The file's header, on the file's first row only (readable or not), so that a pure `map`
    reports it once per file whatever order rows are mapped in. Every row of a CSV file is
    numbered from 0, unreadable ones included, and every one carries the header."""
    return record.header if record.row == 0 else None


def _in_spots(scanner: Scanner, spots: list[Spot]) -> list[Hit]:
    hits: list[Hit] = []
    for spot in spots:
        found = _once_per_value(scanner.in_spot(spot))
        if found:
            hits.extend(_placed(found, spot.where, spot.field))
    return hits


def _placed(found: list[Found], where: str, field: str) -> list[Hit]:
    return [Hit(item.rule, item.label, item.start, item.shown, where, field) for item in found]


def _once_per_value(found: Iterable[Found]) -> list[Found]:
    seen: set[tuple[str, str]] = set()
    unique: list[Found] = []
    for item in found:
        key = (item.rule, item.value)
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique
