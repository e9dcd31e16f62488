"""Fixes: slots are (container, key) pairs whose values are the strings that make up a text."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from ftqa.checker import Drop
from ftqa.checks.leakage.options import TEXT_PART_TYPES
from ftqa.checks.leakage.textual import _PATH, _common_prefix
from ftqa.finding import Finding
from ftqa.template_tokens.families import families
from ftqa.template_tokens.vocabulary import literal_prefix
from ftqa.text import excerpt

Slot = tuple[Any, Any]


def _steps(path: str) -> list[str | int]:
    return [name if name else int(index) for name, index in _PATH.findall(path)]


def _get(container: Any, key: str | int) -> Any:
    if isinstance(container, Mapping) and isinstance(key, str):
        return container.get(key)
    if isinstance(container, list) and isinstance(key, int) and key < len(container):
        return container[key]
    return None


def _slots(value: Any, path: str) -> list[Slot]:
    """The string slots that make up the text at `path` (a finding's `field`)."""
    if path == "instruction" and isinstance(value, dict):
        extra = value.get("input")
        keys = (
            ["instruction", "input"]
            if isinstance(extra, str) and extra.strip()
            else ["instruction"]
        )
        return [(value, key) for key in keys if isinstance(value.get(key), str)]
    steps = _steps(path)
    if not steps:
        return []
    container = value
    for step in steps[:-1]:
        container = _get(container, step)
    target = _get(container, steps[-1])
    if isinstance(target, str):
        return [(container, steps[-1])]
    if isinstance(target, Mapping):
        return _message_slots(target)
    if isinstance(target, list):
        return _part_slots(target)
    return []


def _message_slots(message: Mapping[str, Any]) -> list[Slot]:
    for key in ("content", "value"):
        inner = message.get(key)
        if isinstance(inner, str):
            return [(message, key)]
        if isinstance(inner, list):
            return _part_slots(inner)
    return []


def _part_slots(parts: list[Any]) -> list[Slot]:
    slots: list[Slot] = []
    for part in parts:
        if isinstance(part, dict) and part.get("type") in TEXT_PART_TYPES:
            key = "text" if isinstance(part.get("text"), str) else "value"
            if isinstance(part.get(key), str):
                slots.append((part, key))
    return slots


def _all_slots(value: Any) -> list[Slot]:
    """Every string in the row (for row-level line-ending fixes)."""
    slots: list[Slot] = []
    stack = [value]
    while stack:
        current = stack.pop()
        items = current.items() if isinstance(current, dict) else enumerate(current)
        for key, inner in items:
            if isinstance(inner, str):
                slots.append((current, key))
            elif isinstance(inner, (dict, list)):
                stack.append(inner)
    return slots


def _joined(slots: list[Slot]) -> str:
    return "\n".join(container[key] for container, key in slots)


def _change(before: str, after: str) -> tuple[str, str]:
    """Excerpts of `before` and `after` around the first character that differs."""
    start = len(_common_prefix(before, after))
    left = max(0, start - 30)
    return excerpt(before[left : start + 50]), excerpt(after[left : start + 50])


def _quoted_values(finding: Finding) -> list[str]:
    """What the fix needs (an ending to append or replace, tokens to delete), as the finding
    carries it: data, never read back from the words of its suggestion."""
    return list(finding.fix_values)


def _fix_append(slots: list[Slot], finding: Finding, raw: Any) -> None:
    values = _quoted_values(finding)
    container, key = slots[-1]
    if values and not container[key].endswith(values[0]):
        container[key] += values[0]


def _fix_replace_ending(slots: list[Slot], finding: Finding, raw: Any) -> None:
    values = _quoted_values(finding)
    container, key = slots[-1]
    if len(values) >= 2 and container[key].endswith(values[0]):
        container[key] = container[key][: len(container[key]) - len(values[0])] + values[1]


def _fix_leading_space(slots: list[Slot], finding: Finding, raw: Any) -> None:
    container, key = slots[0]
    if container[key] and not container[key][0].isspace():
        container[key] = " " + container[key]


def _fix_strip(slots: list[Slot], finding: Finding, raw: Any) -> None:
    leading_only = (
        finding.field == "prompt"
        and isinstance(raw, Mapping)
        and isinstance(raw.get("completion"), str)
    )
    if finding.field == "instruction":  # Alpaca: instruction and input are joined by a blank line
        for container, key in slots:
            container[key] = container[key].strip()
        return
    first, first_key = slots[0]
    first[first_key] = first[first_key].lstrip()
    if not leading_only:
        last, last_key = slots[-1]
        last[last_key] = last[last_key].rstrip()


def _fix_line_endings(slots: list[Slot], finding: Finding, raw: Any) -> None:
    for container, key in slots:
        if "\r" in container[key]:
            container[key] = container[key].replace("\r\n", "\n").replace("\r", "\n")


def _fix_tokens(slots: list[Slot], finding: Finding, raw: Any) -> Drop | None:
    pattern = _removal_pattern(tuple(_quoted_values(finding)))
    if pattern is None:
        return None
    for container, key in slots:
        container[key] = pattern.sub("", container[key])
    if not _joined(slots).strip() and finding.field and not finding.field.endswith("arguments"):
        return Drop("the content is nothing but template tokens")
    return None


@functools.lru_cache(maxsize=256)
def _removal_pattern(tokens: tuple[str, ...]) -> re.Pattern[str] | None:
    """Whole template headers (`<|im_start|>user\\n`) first, then the tokens themselves."""
    if not tokens:
        return None
    headers = [
        pattern
        for family in families().values()
        for pattern in family.remove
        if any(re.match(pattern, token) or literal_prefix(pattern) == token for token in tokens)
    ]
    literals = sorted(tokens, key=len, reverse=True)
    return re.compile("|".join([*headers, *(re.escape(token) for token in literals)]))


_FIXES: dict[str, Any] = {
    "missing-separator": _fix_append,
    "missing-stop-sequence": _fix_append,
    "multiple-separators": _fix_replace_ending,
    "multiple-stop-sequences": _fix_replace_ending,
    "completion-without-leading-space": _fix_leading_space,
    "untrimmed-content": _fix_strip,
    "mixed-line-endings": _fix_line_endings,
    "leaked-special-token": _fix_tokens,
    "leaked-template-token": _fix_tokens,
}
