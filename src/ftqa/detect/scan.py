"""String-level tools of the detectors: every string of a JSON-like value with its field path,
byte-level pre-filters (`bytes.translate` tables), masking, span resolution, and rewriting the
strings of a raw row for fixes (typed placeholders, consistent within a row).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

Path = tuple[str | int, ...]
Span = TypeVar("Span")

# Keys whose values are structural (roles, ids, types): never personal data or credentials
# worth reporting, and random-looking by design (tool-call ids).
STRUCTURAL_KEYS = frozenset({"role", "from", "type", "id", "tool_call_id", "weight"})


def iter_strings(value: Any) -> Iterator[tuple[Path, str]]:
    """Every non-empty string inside a JSON-like value with its path, in document order.

    Iterative, so a deeply nested row cannot exhaust the stack."""
    stack: list[tuple[Path, Any]] = [((), value)]
    pop, push = stack.pop, stack.append
    while stack:
        path, node = pop()
        if isinstance(node, str):
            if node:
                yield path, node
        elif isinstance(node, dict):
            for key in reversed(list(node)):
                item = node[key]
                if isinstance(key, str) and isinstance(item, (str, dict, list, tuple)):
                    push(((*path, key), item))
        elif isinstance(node, (list, tuple)):
            for index in range(len(node) - 1, -1, -1):
                item = node[index]
                if isinstance(item, (str, dict, list, tuple)):
                    push(((*path, index), item))


def format_path(path: Path) -> str:
    """`("messages", 2, "content")` -> `messages[2].content`."""
    out: list[str] = []
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        else:
            out.append(f".{part}" if out else part)
    return "".join(out) or "(value)"


def is_structural(path: Path) -> bool:
    return bool(path) and isinstance(path[-1], str) and path[-1] in STRUCTURAL_KEYS


def rewrite_strings(value: Any, change: Callable[[Path, str], str | None]) -> tuple[Any, bool]:
    """A copy of `value` where each string for which `change(path, text)` returns a new string
    is replaced; containers on unchanged branches are shared, the argument is never mutated."""
    return _rewrite(value, (), change, 0)


def _rewrite(
    value: Any, path: Path, change: Callable[[Path, str], str | None], depth: int
) -> tuple[Any, bool]:
    if isinstance(value, str):
        new = change(path, value)
        return (new, True) if new is not None and new != value else (value, False)
    if depth > 2000:
        return value, False
    if isinstance(value, dict):
        changed = False
        out: dict[Any, Any] = {}
        for key, item in value.items():
            if isinstance(key, str):
                item, item_changed = _rewrite(item, (*path, key), change, depth + 1)
                changed = changed or item_changed
            out[key] = item
        return (out, True) if changed else (value, False)
    if isinstance(value, (list, tuple)):
        changed = False
        items = []
        for index, item in enumerate(value):
            item, item_changed = _rewrite(item, (*path, index), change, depth + 1)
            changed = changed or item_changed
            items.append(item)
        if not changed:
            return value, False
        return (tuple(items) if isinstance(value, tuple) else items), True
    return value, False


def mask(value: str, keep: int = 4) -> str:
    """`sk-p…[redacted 48 chars]`: at most `keep` leading characters, never the rest."""
    keep = max(0, min(keep, len(value) // 3))
    return f"{value[:keep]}…[redacted {len(value) - keep} chars]"


def span_excerpt(
    text: str,
    start: int,
    end: int,
    hidden: list[tuple[int, int]] | None = None,
    width: int = 30,
) -> str:
    """Text around `text[start:end]`, with each span in `hidden` (secrets) masked."""
    lo, hi = max(0, start - width), min(len(text), end + width)
    pieces: list[str] = []
    position = lo
    for h_start, h_end in sorted(hidden or ()):
        if h_end <= lo or h_start >= hi:
            continue
        if h_start > position:
            pieces.append(text[position:h_start])
        pieces.append("[secret]")
        position = max(position, h_end)
    if position < hi:
        pieces.append(text[position:hi])
    out = "".join(pieces)
    return ("…" if lo > 0 else "") + out + ("…" if hi < len(text) else "")


# ---------------------------------------------------------------------------------------------
# Byte-level pre-filters: `str.encode` and `bytes.translate` run at several hundred MB/s, and a
# literal search in the translated bytes finds out whether a string can hold a candidate at all
# without running a regular expression over every character.


def _table(classify: Callable[[int], int]) -> bytes:
    return bytes(classify(byte) for byte in range(256))


def _token_class(byte: int) -> int:
    char = chr(byte)
    if byte < 128 and (char.isalnum() or char in "+/_-"):
        return ord("a")
    return ord(" ")


# Token characters of keys and base64 -> "a", everything else (non-ASCII bytes too) -> " ".
TOKEN_TABLE = _table(_token_class)


def _shape_class(byte: int) -> int:
    char = chr(byte)
    if byte >= 128:
        return ord(" ")
    if char.isdigit():
        return ord("d")
    if char.isupper():
        return ord("A")
    if char.isalpha():
        return ord("a")
    if char in " -.()/+":
        return ord(".")
    if char == ":":
        return ord(":")
    return ord(" ")


# Digits -> "d", upper/lower ASCII letters -> "A"/"a", number separators -> ".", ":" kept.
SHAPE_TABLE = _table(_shape_class)


def utf8(text: str) -> bytes:
    try:
        return text.encode()  # the strict codec has the fast path
    except UnicodeEncodeError:  # a lone surrogate
        return text.encode("utf-8", "surrogatepass")


def longest_line(text: str, start: int, end: int) -> tuple[int, int]:
    """Start and end of the line(s) of `text` around `text[start:end]`."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    return line_start, len(text) if line_end < 0 else line_end


# ---------------------------------------------------------------------------------------------
# Redaction: typed placeholders, consistent within a row.

_PLACEHOLDER = re.compile(r"<([A-Z][A-Z_]*?)(?:_(\d+))?>")


class Placeholders:
    """Hands out `<EMAIL>`, `<EMAIL_2>`, … so that one value always gets the same placeholder
    within a row, and names already present in the row (data anonymized before) are not
    reused for another value."""

    def __init__(self, taken_in: list[str]) -> None:
        self._taken: dict[str, set[int]] = {}
        for text in taken_in:
            if "<" not in text:
                continue
            for match in _PLACEHOLDER.finditer(text):
                self._taken.setdefault(match.group(1), set()).add(int(match.group(2) or 1))
        self._given: dict[tuple[str, str], str] = {}
        self._next: dict[str, int] = {}

    def get(self, kind: str, key: str) -> str:
        found = self._given.get((kind, key))
        if found is not None:
            return found
        taken = self._taken.setdefault(kind, set())
        number = self._next.get(kind, 1)
        while number in taken:
            number += 1
        taken.add(number)
        self._next[kind] = number + 1
        name = f"<{kind}>" if number == 1 else f"<{kind}_{number}>"
        self._given[(kind, key)] = name
        return name

    @property
    def given(self) -> list[str]:
        return list(self._given.values())


def replace_spans(text: str, spans: list[tuple[int, int, str]]) -> str:
    """`text` with each non-overlapping (start, end, replacement) applied."""
    out: list[str] = []
    position = 0
    for start, end, replacement in sorted(spans):
        if start < position:
            continue
        out.append(text[position:start])
        out.append(replacement)
        position = end
    out.append(text[position:])
    return "".join(out)


def non_overlapping(items: Iterable[Span], rank: Callable[[Span], Any]) -> list[Span]:
    """Items (each with `.start`/`.end`) taken in `rank` order, dropping any that overlaps one
    already taken; returned in text order. O(n log n)."""
    starts: list[int] = []
    kept: list[Any] = []
    for item in sorted(items, key=rank):
        start, end = item.start, item.end  # type: ignore[attr-defined]
        index = bisect_right(starts, start)
        if index and kept[index - 1].end > start:
            continue
        if index < len(kept) and kept[index].start < end:
            continue
        starts.insert(index, start)
        kept.insert(index, item)
    return kept
