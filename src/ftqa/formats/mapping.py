"""Field mapping: read a row whose keys are not a format's own (`--map`, `map = {...}`, a
LLaMA-Factory `dataset_info.json`, or an alias ftqa knows, such as `conversations` holding
role/content messages).

A mapping never changes the row: the format reads a renamed *view* of it, and every field path
it reports (problems, message fields) is translated back to the keys as written, so findings,
fixes and the row-conserving writer keep pointing at the real file.

Entries, as written on the command line (`--map a=b,c=d`) or in the `map` table:

- `FIELD=KEY`: the format's field `FIELD` (e.g. `messages`, `prompt`, `text`) is the row's `KEY`;
- `role-key=KEY`, `content-key=KEY`: the keys that hold each nested message's role and content;
- `role.ROLE=TAG`: a nested message whose role (or ShareGPT `from`) is `TAG` has the role `ROLE`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ftqa.errors import ConfigError
from ftqa.formats.base import Normalized, Reading
from ftqa.records import Message, Problem

NESTED_LISTS = frozenset(
    {"messages", "conversations", "prompt", "completion", "chosen", "rejected", "chosen_messages"}
)
ROLE_NAMES = frozenset({"system", "developer", "user", "assistant", "tool", "function_call"})
_FIELD = re.compile(r"[A-Za-z_][\w-]*")
_HEAD = re.compile(r"^[^.\[]+")
_QUOTED = re.compile(r"`([^`\s]+)`")


class MappingError(ConfigError, ValueError):
    """A `--map` entry or `map` table that cannot be read."""


@dataclass(frozen=True, slots=True)
class FieldMap:
    fields: tuple[tuple[str, str], ...] = ()  # (format field, row key)
    role_key: str | None = None
    content_key: str | None = None
    roles: tuple[tuple[str, str], ...] = ()  # (tag as written, role)
    origin: str = "--map"

    def __bool__(self) -> bool:
        return bool(self.fields or self.role_key or self.content_key or self.roles)

    def describe(self) -> str:
        parts = [f"{field}={key}" for field, key in self.fields]
        if self.role_key:
            parts.append(f"role-key={self.role_key}")
        if self.content_key:
            parts.append(f"content-key={self.content_key}")
        parts.extend(f"role.{role}={tag}" for tag, role in self.roles)
        return ",".join(parts)

    def label(self) -> str:
        """The mapping and where it came from, as the report shows it."""
        origin = "an alias ftqa knows" if self.origin == "alias" else self.origin
        return f"{self.describe()} ({origin})"

    def merged(self, over: FieldMap) -> FieldMap:
        """This mapping with `over`'s entries taking precedence (the user's over a file's)."""
        fields = dict(self.fields)
        fields.update(over.fields)
        roles = dict(self.roles)
        roles.update(over.roles)
        return FieldMap(
            tuple(fields.items()),
            over.role_key or self.role_key,
            over.content_key or self.content_key,
            tuple(roles.items()),
            over.origin if over else self.origin,
        )

    # -- reading ---------------------------------------------------------------------------

    def view(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """The row with its keys renamed to the format's (a new dict; `raw` is untouched)."""
        sources = {key for _, key in self.fields}
        view: dict[str, Any] = {field: raw[key] for field, key in self.fields if key in raw}
        for key, value in raw.items():
            if key not in sources and key not in view:
                view[key] = value
        if self.role_key or self.content_key or self.roles:
            for key in NESTED_LISTS.intersection(view):
                value = view[key]
                if isinstance(value, list):
                    view[key] = [self._message(item) for item in value]
        return view

    def _message(self, item: Any) -> Any:
        if not isinstance(item, Mapping):
            return item
        renamed: dict[str, Any] = {}
        for key, value in item.items():
            if key == self.role_key:
                key = "role"
            elif key == self.content_key:
                key = "content"
            renamed[key] = value
        if self.roles:
            aliases = dict(self.roles)
            for key in ("role", "from"):
                tag = renamed.get(key)
                if isinstance(tag, str) and tag in aliases:
                    renamed[key] = aliases[tag]
        return renamed

    def source_field(self, path: str) -> str:
        """A field path of the view (`messages[2].content`) as written in the row."""
        back = dict(self.fields)
        match = _HEAD.match(path)
        if match is not None and match.group() in back:
            path = back[match.group()] + path[match.end() :]
        if self.role_key:
            path = re.sub(r"\.role\b", f".{self.role_key}", path)
        if self.content_key:
            path = re.sub(r"\.content\b", f".{self.content_key}", path)
        return path

    def _quoted_path(self, match: re.Match[str]) -> str:
        text = match.group(1)
        head = _HEAD.match(text)
        mapped = head is not None and head.group() in {field for field, _ in self.fields}
        return f"`{self.source_field(text)}`" if mapped else match.group()

    def translate(self, problems: list[Problem], start: int, messages: Iterable[Message]) -> None:
        """Field paths of `problems[start:]` and of `messages`, back to the row's keys."""
        for index in range(start, len(problems)):
            problem = problems[index]
            problems[index] = dataclasses.replace(
                problem,
                field=None if problem.field is None else self.source_field(problem.field),
                message=_QUOTED.sub(self._quoted_path, problem.message),
            )
        for message in messages:
            message.field = self.source_field(message.field)


def parse_map(
    entries: str | Iterable[str] | Mapping[str, Any] | None, origin: str = "--map"
) -> FieldMap:
    """A `FieldMap` from `--map a=b,c=d` text, a list of `a=b` items or a `{a: b}` table."""
    fields: dict[str, str] = {}
    roles: dict[str, str] = {}
    nested: dict[str, str] = {}
    for field, key in _pairs(entries):
        if not field or not key:
            raise MappingError(f"map: `{field}={key}` needs a name on both sides of `=`")
        normalized = field.replace("_", "-").lower()
        if normalized in ("role-key", "content-key"):
            nested[normalized] = key
        elif normalized.startswith("role."):
            role = field.split(".", 1)[1].strip().lower()
            if role not in ROLE_NAMES:
                raise MappingError(
                    f"map: `{field}` names no role (known: {', '.join(sorted(ROLE_NAMES))})"
                )
            roles[key] = role
        elif not _FIELD.fullmatch(field):
            raise MappingError(f"map: `{field}` is not a field name")
        elif field in fields:
            raise MappingError(f"map: `{field}` is mapped twice")
        else:
            fields[field] = key
    return FieldMap(
        tuple(fields.items()),
        nested.get("role-key"),
        nested.get("content-key"),
        tuple(roles.items()),
        origin,
    )


def _pairs(entries: str | Iterable[str] | Mapping[str, Any] | None) -> list[tuple[str, str]]:
    if not entries:
        return []
    if isinstance(entries, str):
        return [_split(item) for item in entries.split(",") if item.strip()]
    if not isinstance(entries, Mapping):
        return [_split(item) for item in entries if item.strip()]
    pairs = []
    for key, value in entries.items():
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, str):
                raise MappingError(f"map: `{key}` must name a key (a string), not {item!r}")
            pairs.append((str(key).strip(), item.strip()))
    return pairs


def _split(item: str) -> tuple[str, str]:
    field, sign, key = item.partition("=")
    if not sign:
        raise MappingError(f"map: `{item.strip()}` must be FIELD=KEY (e.g. prompt=question)")
    return field.strip(), key.strip()


CONVERSATIONS_AS_MESSAGES = FieldMap((("messages", "conversations"),), origin="alias")
SENTENCE_AS_TEXT = FieldMap((("text", "sentence"),), origin="alias")


def read_through(
    mapping: FieldMap,
    read: Callable[[Mapping[str, Any], Reading], Normalized],
    obj: Mapping[str, Any],
    reading: Reading,
) -> Normalized:
    """`read` the renamed view of `obj`; report fields as written and note the mapping used."""
    start = len(reading.problems)
    normalized = read(mapping.view(obj), reading)
    mapping.translate(
        reading.problems,
        start,
        [*normalized.messages, *(normalized.chosen or ()), *(normalized.rejected or ())],
    )
    normalized.mapping = mapping.label()
    return normalized


def map_table(
    entries: str | Iterable[str] | Mapping[str, Any] | None,
) -> dict[str, str | list[str]] | None:
    """`--map` text (or items, or a table) as the `map` table of the configuration; validated."""
    if entries is None:
        return None
    parse_map(entries)
    table: dict[str, str | list[str]] = {}
    for field, key in _pairs(entries):
        if field in table:
            previous = table[field]
            table[field] = [*previous, key] if isinstance(previous, list) else [previous, key]
        else:
            table[field] = key
    return table
