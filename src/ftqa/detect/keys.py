"""The strings of a row that are not values: mapping keys at every depth, the earlier values of
repeated keys, and the cells of a CSV/TSV header.

Each is in the file's bytes, so each is uploaded with the data and is scanned for credentials and
personal data like a value (`secrets`, `pii`). A `Spot` says where such a string is, in words and
as a field path that never holds the string itself (a key is shown masked), and how `fix
--redact` deals with it: a key is renamed to its placeholder, an earlier repeated value goes when
the row is re-encoded, a header cell is rewritten in the header line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from ftqa.detect.scan import Path, format_path, iter_strings
from ftqa.records import Header, Record

SpotKind = Literal["key", "repeated", "header"]

# Field-path suffixes that mark these places; `fix` reads them back from a finding's field.
KEY_MARK = "<key>"
REPEATED_MARK = " (earlier value of a repeated key)"
HEADER_PREFIX = "header[column "


@dataclass(frozen=True, slots=True)
class Spot:
    """One string of a row that is not a value. `path`: the mapping that holds the key (`key`),
    the repeated key and the path inside its earlier value (`repeated`); `column`: 1-based
    (`header`)."""

    kind: SpotKind
    text: str
    path: Path = ()
    column: int = 0

    @property
    def field(self) -> str:
        if self.kind == "header":
            return f"{HEADER_PREFIX}{self.column}]"
        if self.kind == "key":
            return f"{format_path(self.path)}.{KEY_MARK}" if self.path else KEY_MARK
        return format_path(self.path) + REPEATED_MARK

    @property
    def where(self) -> str:
        """Where the string is, in words, for a finding's message."""
        if self.kind == "header":
            return f"header cell {self.column}"
        if self.kind == "key":
            return f"a key of `{format_path(self.path)}`" if self.path else "a top-level key"
        return f"an earlier value of the repeated key `{format_path(self.path)}`"


def iter_keys(value: Any, skip_top: bool = False) -> Iterator[tuple[Path, str]]:
    """Every non-empty string key of every mapping inside `value`, with the path of the mapping
    that holds it, in document order. Iterative (deep rows cannot exhaust the stack)."""
    stack: list[tuple[Path, Any]] = [((), value)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            if path or not skip_top:
                for key in node:
                    if isinstance(key, str) and key:
                        yield path, key
            for key in reversed(list(node)):
                item = node[key]
                if isinstance(key, str) and isinstance(item, (dict, list, tuple)):
                    stack.append(((*path, key), item))
        elif isinstance(node, (list, tuple)):
            for index in range(len(node) - 1, -1, -1):
                if isinstance(node[index], (dict, list, tuple)):
                    stack.append(((*path, index), node[index]))


def shadowed_values(record: Record) -> list[tuple[str, Any]]:
    """The earlier values of the row's repeated keys (kept by the loader)."""
    return [pair for problem in record.problems for pair in problem.shadowed]


def row_spot_list(record: Record) -> list[Spot]:
    """The keys and earlier repeated values of one row. The top-level keys of a tabular row are
    its column names: they belong to the header."""
    spots = [Spot("key", key, path) for path, key in iter_keys(record.raw, record.tabular)]
    for key, value in shadowed_values(record):
        prefix: Path = (key,)
        spots.extend(Spot("repeated", text, (*prefix, *path)) for path, text in iter_strings(value))
        spots.extend(Spot("key", name, (*prefix, *path)) for path, name in iter_keys(value))
    return spots


def header_spots(header: Header) -> list[Spot]:
    return [
        Spot("header", cell, column=index)
        for index, cell in enumerate(header.cells, start=1)
        if cell
    ]


# ---------------------------------------------------------------------------------------------
# Redaction


def rename_keys(
    value: Any, rename: Callable[[Path, str], str | None], top: bool = True
) -> tuple[Any, bool]:
    """A copy of `value` where each key for which `rename(path_of_mapping, key)` returns a new
    name is renamed (to a name not already in that mapping, so no entry is lost); key order
    is kept, unchanged branches are shared, `value` is never mutated. `top=False` leaves the
    keys of the outermost mapping alone (a tabular row's column names)."""
    return _rename(value, (), rename, top, 0)


def _rename(
    value: Any, path: Path, rename: Callable[[Path, str], str | None], top: bool, depth: int
) -> tuple[Any, bool]:
    if depth > 2000:
        return value, False
    if isinstance(value, dict):
        changed = False
        out: dict[Any, Any] = {}
        for key, item in value.items():
            if isinstance(key, str):
                item, item_changed = _rename(item, (*path, key), rename, True, depth + 1)
                changed = changed or item_changed
            new = rename(path, key) if top and isinstance(key, str) and key else None
            if new is not None and new != key:
                new = _free_name(new, value, out)
                changed = True
                out[new] = item
            else:
                out[key] = item
        return (out, True) if changed else (value, False)
    if isinstance(value, (list, tuple)):
        changed = False
        items = []
        for index, item in enumerate(value):
            item, item_changed = _rename(item, (*path, index), rename, True, depth + 1)
            changed = changed or item_changed
            items.append(item)
        if not changed:
            return value, False
        return (tuple(items) if isinstance(value, tuple) else items), True
    return value, False


def _free_name(name: str, original: dict[Any, Any], out: dict[Any, Any]) -> str:
    candidate, number = name, 2
    while candidate in out or candidate in original:
        candidate = f"{name}_{number}"
        number += 1
    return candidate


def key_strings(value: Any) -> list[str]:
    """Every key of `value` (for placeholders: names already taken in the row)."""
    return [key for _, key in iter_keys(value)]
