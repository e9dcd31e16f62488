"""What every input format provides: detection, a JSON Schema, and one pass that both validates
a row and normalizes it to canonical messages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import orjson

from ftqa.records import Message, Problem
from ftqa.text import excerpt, find_suspicious

ColumnKind = Literal["text", "label", "list", "object"]

DEFAULT_EXTRA_KEYS = ("id", "metadata", "category", "task", "source", "tags", "language", "lang")


@dataclass(frozen=True, slots=True)
class Column:
    """A top-level field. Column-level checks run row by row for JSON and column-wise (pandera)
    for tables, from this one declaration."""

    name: str
    kind: ColumnKind
    required: bool = True
    nonempty: bool = True


@dataclass(slots=True)
class Normalized:
    messages: list[Message] = field(default_factory=list)
    chosen: list[Message] | None = None
    rejected: list[Message] | None = None
    text: str | None = None
    label: str | None = None
    tools: tuple[str, ...] | None = None
    template: str | None = None
    mapping: str | None = None


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """Input-shape settings that normalization needs (from the top-level configuration)."""

    sharegpt_roles: Mapping[str, str] = field(default_factory=dict)
    extra_roles: tuple[str, ...] = ()
    extra_keys: tuple[str, ...] = DEFAULT_EXTRA_KEYS
    mapping: Any = None  # a `ftqa.formats.mapping.FieldMap`: the user's `--map`


class Reading:
    """Accumulates problems while a row is normalized."""

    __slots__ = ("options", "problems", "scan_text", "tabular")

    def __init__(self, options: ReadOptions, tabular: bool, scan_text: bool = True) -> None:
        self.options = options
        self.tabular = tabular
        self.scan_text = scan_text
        self.problems: list[Problem] = []

    def add(self, rule: str, message: str, field: str | None = None, evidence: Any = None) -> None:
        shown = None if evidence is None else excerpt(as_json_text(evidence))
        self.problems.append(Problem(rule, message, evidence=shown, fatal=False, field=field))

    def column_text(self, value: Any, field: str) -> str:
        """A top-level text column, already checked by `read_columns`: only look inside it."""
        if not isinstance(value, str):
            return ""
        self.invisible(value, field)
        return value

    def text(self, value: Any, field: str, *, required: bool = True, nonempty: bool = True) -> str:
        """Read a nested string field, reporting what is wrong with it; '' when unusable."""
        if value is None:
            if required:
                self.add("missing-key", f"`{field}` is missing", field)
            return ""
        if not isinstance(value, str):
            self.add(
                "wrong-type", f"`{field}` must be a string, not {type_name(value)}", field, value
            )
            return ""
        if nonempty and not value.strip():
            self.add("empty-content", f"`{field}` is empty or whitespace only", field, value)
        self.invisible(value, field)
        return value

    def invisible(self, value: str, field: str) -> None:
        if not self.scan_text:
            return
        match = find_suspicious(value)
        if match is not None:
            char = match.group()
            self.add(
                "control-character",
                f"`{field}` contains the control character U+{ord(char):04X}",
                field,
                value[max(0, match.start() - 30) : match.end() + 30],
            )

    def unexpected_keys_in(
        self, obj: Mapping[str, Any], allowed: frozenset[str], prefix: str = ""
    ) -> None:
        """Warn about keys outside `allowed` (top level also allows the configured extra keys)."""
        for key in obj:
            if key in allowed or (not prefix and key in self.options.extra_keys):
                continue
            path = f"{prefix}.{key}" if prefix else str(key)
            where = f" in `{prefix}`" if prefix else ""
            self.add("unexpected-key", f"unexpected key `{key}`{where}", path)


def as_json_text(value: Any) -> str:
    """A value as it is written in JSON (strings as they are), for messages and evidence."""
    if isinstance(value, str):
        return value
    try:
        return orjson.dumps(value, default=str).decode()
    except (TypeError, orjson.JSONEncodeError):
        return repr(value)


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "a boolean",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


class Format:
    """Base of the input formats. Subclasses set the class variables and implement `read`."""

    name: ClassVar[str]
    title: ClassVar[str]
    columns: ClassVar[tuple[Column, ...]]
    allowed_keys: ClassVar[frozenset[str]]

    def matches(self, obj: Mapping[str, Any]) -> bool:
        raise NotImplementedError

    def affinity(self, obj: Mapping[str, Any]) -> int:
        """How many of this format's own keys the row has (to explain an undetected row)."""
        return sum(1 for column in self.columns if column.name in obj)

    def schema(self) -> dict[str, Any]:
        raise NotImplementedError

    def read(self, obj: Mapping[str, Any], reading: Reading) -> Normalized:
        raise NotImplementedError

    def read_columns(self, obj: Mapping[str, Any], reading: Reading) -> None:
        """Column-level checks for JSON rows (tables get them from pandera instead)."""
        if reading.tabular:
            return
        for column in self.columns:
            if column.name not in obj:
                if column.required:
                    reading.add(
                        "missing-key", f"required key `{column.name}` is missing", column.name
                    )
                continue
            value = obj[column.name]
            if value is None and not column.required:
                continue
            problem = _COLUMN_CHECKS[column.kind](value, column)
            if problem is not None:
                rule, message = problem
                reading.add(rule, f"`{column.name}` {message}", column.name, value)


def _text_problem(value: Any, column: Column) -> tuple[str, str] | None:
    if value is None:
        return "missing-key", "is null"
    if not isinstance(value, str):
        return "wrong-type", f"must be a string, not {type_name(value)}"
    if column.nonempty and not value.strip():
        return "empty-content", "is empty or whitespace only"
    return None


def _label_problem(value: Any, column: Column) -> tuple[str, str] | None:
    if value is None:
        return "missing-key", "is null"
    if isinstance(value, (list, dict)):
        return "wrong-type", f"must be a string, number or boolean, not {type_name(value)}"
    if isinstance(value, str) and column.nonempty and not value.strip():
        return "empty-content", "is empty"
    return None


def _list_problem(value: Any, column: Column) -> tuple[str, str] | None:
    return (
        None
        if isinstance(value, list)
        else ("wrong-type", f"must be a list, not {type_name(value)}")
    )


def _object_problem(value: Any, column: Column) -> tuple[str, str] | None:
    if value is None:
        return "missing-key", "is null"
    if isinstance(value, dict):
        return None
    return "wrong-type", f"must be an object, not {type_name(value)}"


_COLUMN_CHECKS = {
    "text": _text_problem,
    "label": _label_problem,
    "list": _list_problem,
    "object": _object_problem,
}
