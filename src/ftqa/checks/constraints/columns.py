"""The columns expressions may read: the fixed columns of the per-example table, the measures
built-in checkers put on rows, and how a record gives each."""

from __future__ import annotations

from typing import Any

from ftqa.records import Record

FIXED_COLUMNS = ("split", "file", "row", "line", "format", "turns", "label")
# Measures the built-in checkers put on rows (see each checker's module docs). A plugin's
# measures are declared with the `extra-columns` option.
BUILTIN_MEASURES = (
    "tokens_total",
    "tokens_trainable",
    "tokens_prompt",
    "language",
    "template_variant",
    "category",
    "response_chars",
    "refusal",
    "tool_use",
    "system_prompt",
    "template_tokens",
)
KNOWN_COLUMNS = FIXED_COLUMNS + BUILTIN_MEASURES


def _column(record: Record, column: str) -> Any:
    if column == "split":
        return record.split
    if column == "file":
        return record.file
    if column == "row":
        return record.row
    if column == "line":
        return record.line
    if column == "format":
        return record.format
    if column == "turns":
        return len(record.messages) if record.format else None
    if column == "label":
        return record.label
    return record.measures.get(column)
