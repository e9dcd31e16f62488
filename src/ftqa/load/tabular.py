"""Tabular rows (Parquet, CSV cells, in-memory tables such as DataFrames) as records.

Tabular rows are flat: a cell that holds a nested value (a `messages` list written as JSON text)
is parsed back into that value so the row can be normalized like a JSON example.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from ftqa.records import Record

STRUCTURED_COLUMNS = frozenset(
    {"messages", "conversations", "tools", "history", "preferred_output", "non_preferred_output"}
)
CONVERSATIONAL_COLUMNS = frozenset({"prompt", "completion", "chosen", "rejected"})


def _parse_cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def _is_message_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def decode_nested(row: dict[str, Any]) -> dict[str, Any]:
    """Parse JSON text cells back into the nested values the format expects there."""
    for key in STRUCTURED_COLUMNS.intersection(row):
        row[key] = _parse_cell(row[key])
    for key in CONVERSATIONAL_COLUMNS.intersection(row):
        parsed = _parse_cell(row[key])
        if _is_message_list(parsed):
            row[key] = parsed
    if "preferred_output" in row and "input" in row:
        parsed = _parse_cell(row["input"])
        if isinstance(parsed, dict):
            row["input"] = parsed
    return row


def _clean_cell(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return value.tolist()
    return value


def rows_from_table(
    path: str, batches: Iterable[list[dict[str, Any]]], line_offset: int | None = None
) -> Iterator[Record]:
    row = 0
    for batch in batches:
        for values in batch:
            cleaned = {str(key): _clean_cell(value) for key, value in values.items()}
            yield Record(
                file=path,
                row=row,
                line=None if line_offset is None else row + line_offset,
                raw=decode_nested(cleaned),
                tabular=True,
            )
            row += 1


def parquet_batches(path: Any) -> Iterator[list[dict[str, Any]]]:
    """Rows of a Parquet file (a path or an open binary file), in batches."""
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path)
    for batch in parquet.iter_batches(batch_size=4096):
        yield batch.to_pylist()
