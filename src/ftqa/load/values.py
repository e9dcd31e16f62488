"""Parse one JSON value from bytes: a strict fast path, a careful path that names each problem.

The fast path is jiter, the Rust parser behind pydantic, because it refuses duplicate keys while
parsing (`catch_duplicate_keys`) and still parses faster than `orjson.loads`; with orjson, finding
a repeated key took a second serialization of every row. Anything the fast path refuses (invalid
JSON or UTF-8, duplicate keys, NaN/Infinity, lone surrogates, nesting beyond jiter's limit) goes
to the careful path, so clean files cost one parser call per line.
"""

from __future__ import annotations

import json
from typing import Any

import jiter

from ftqa.records import Problem
from ftqa.text import clean_text, excerpt

_CONSTANTS = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}
# Earlier values of repeated keys kept per row for the secrets and pii scans. They are parts of
# one line, so the line-length limit bounds their size; the count is bounded too.
MAX_SHADOWED = 256


class _Quirks:
    __slots__ = ("constants", "duplicate_keys", "lost_surrogate", "shadowed")

    def __init__(self) -> None:
        self.duplicate_keys: list[str] = []
        self.shadowed: list[tuple[str, Any]] = []
        self.constants: list[str] = []
        self.lost_surrogate = False

    def pairs(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                self.duplicate_keys.append(key)
                # The overwritten value is lost: look at it now.
                self.lost_surrogate = self.lost_surrogate or _replace_surrogates(seen[key])[1]
                if len(self.shadowed) < MAX_SHADOWED:
                    self.shadowed.append((key, seen[key]))
            seen[key] = value
        return seen

    def constant(self, name: str) -> float:
        self.constants.append(name)
        return _CONSTANTS[name]


def parse_json(data: bytes) -> tuple[Any, list[Problem]]:
    """Parse `data`; return the value (None when unreadable) and the problems met on the way."""
    try:
        return jiter.from_json(data, allow_inf_nan=False, catch_duplicate_keys=True), []
    except ValueError:
        return _careful_parse(data)


def _careful_parse(data: bytes) -> tuple[Any, list[Problem]]:
    problems: list[Problem] = []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        problems.append(
            Problem(
                "invalid-utf8",
                f"bytes that are not valid UTF-8 at byte {error.start + 1} "
                "(read as U+FFFD replacement characters)",
                column=error.start + 1,
                evidence=excerpt(
                    data[max(0, error.start - 20) : error.start + 20].decode("utf-8", "replace")
                ),
                fatal=False,
            )
        )
        text = data.decode("utf-8", "replace")
    quirks = _Quirks()
    try:
        value = json.loads(text, object_pairs_hook=quirks.pairs, parse_constant=quirks.constant)
    except json.JSONDecodeError as error:
        problems.append(
            Problem(
                "invalid-json",
                f"invalid JSON: {error.msg} (column {error.colno})",
                column=error.colno,
                evidence=excerpt(text[max(0, error.pos - 30) : error.pos + 30]),
            )
        )
        return None, problems
    except RecursionError:
        problems.append(Problem("invalid-json", "invalid JSON: nested too deeply to read safely"))
        return None, problems
    except ValueError as error:
        problems.append(Problem("invalid-json", f"invalid JSON: {error}"))
        return None, problems
    if _too_deep(value):
        problems.append(Problem("invalid-json", "invalid JSON: nested more than 1024 levels deep"))
        return None, problems
    if quirks.duplicate_keys:
        names = clean_text(", ".join(sorted(set(quirks.duplicate_keys))))
        problems.append(
            Problem(
                "duplicate-key",
                f"duplicate object key {names!s}: parsers disagree on which value wins",
                evidence=excerpt(names),
                fatal=False,
                shadowed=tuple(
                    (key, without_lone_surrogates(value)) for key, value in quirks.shadowed
                ),
            )
        )
    if quirks.constants:
        problems.append(
            Problem(
                "non-standard-number",
                f"{quirks.constants[0]} is not valid JSON (RFC 8259); strict parsers reject it",
                evidence=quirks.constants[0],
                fatal=False,
            )
        )
    value, had_surrogates = _replace_surrogates(value)
    if had_surrogates or quirks.lost_surrogate:
        problems.append(lone_surrogate_problem())
    return value, problems


def _too_deep(value: Any, limit: int = 1024) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return False


def contains_lone_surrogate(value: Any, depth_limit: int = 1024) -> bool:
    """True when a string anywhere in `value` (keys included) holds a lone surrogate. Python
    objects handed over in memory can carry them; JSON text is checked while it is parsed."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if not item.isascii() and _has_surrogate(item):
                return True
        elif depth < depth_limit:
            if isinstance(item, dict):
                stack.extend((key, depth + 1) for key in item if isinstance(key, str))
                stack.extend((child, depth + 1) for child in item.values())
            elif isinstance(item, (list, tuple)):
                stack.extend((child, depth + 1) for child in item)
    return False


ESCAPED_SURROGATE = "a \\uD800-\\uDFFF escape without its pair: the text is not valid Unicode"
STRING_SURROGATE = (
    "a string holds a lone surrogate (U+D800-U+DFFF without its pair): the text is not valid "
    "Unicode and cannot be written as UTF-8"
)


def lone_surrogate_problem(message: str = ESCAPED_SURROGATE) -> Problem:
    return Problem("lone-surrogate", message, fatal=False)


def without_lone_surrogates(value: Any) -> Any:
    """`value` with every lone surrogate replaced by U+FFFD (a new object; `value` is kept)."""
    try:
        return _replace_surrogates(value)[0]
    except RecursionError:
        return value


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _replace_surrogates(value: Any) -> tuple[Any, bool]:
    if isinstance(value, str):
        if _has_surrogate(value):
            return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in value), True
        return value, False
    if isinstance(value, list):
        found = False
        items = []
        for item in value:
            fixed, had = _replace_surrogates(item)
            found = found or had
            items.append(fixed)
        return items, found
    if isinstance(value, dict):
        found = False
        fixed_dict = {}
        for key, item in value.items():
            fixed_key, had_key = _replace_surrogates(key)
            fixed, had = _replace_surrogates(item)
            found = found or had or had_key
            fixed_dict[fixed_key] = fixed
        return fixed_dict, found
    return value, False
