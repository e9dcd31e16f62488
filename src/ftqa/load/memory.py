"""In-memory inputs: a list of dicts, a pandas DataFrame, a Hugging Face `datasets.Dataset`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ftqa.load.tabular import rows_from_table
from ftqa.load.values import (
    STRING_SURROGATE,
    contains_lone_surrogate,
    lone_surrogate_problem,
    without_lone_surrogates,
)
from ftqa.records import Record

MEMORY_PATH = "<memory>"


def is_dataframe(data: Any) -> bool:
    return type(data).__module__.startswith("pandas") and hasattr(data, "to_dict")


def read_memory(data: Any, name: str = MEMORY_PATH) -> Iterator[Record]:
    records = (
        rows_from_table(name, _dataframe_batches(data)) if is_dataframe(data) else _rows(name, data)
    )
    for record in records:
        yield _named_surrogates(record)


def _named_surrogates(record: Record) -> Record:
    """Python strings can hold lone surrogates that JSON text could only carry as escapes: name
    them like the JSON reader does, and hand on a copy with U+FFFD in their place."""
    if contains_lone_surrogate(record.raw):
        record.raw = without_lone_surrogates(record.raw)
        record.problems.append(lone_surrogate_problem(STRING_SURROGATE))
    return record


def _rows(name: str, items: Iterable[Any]) -> Iterator[Record]:
    for row, value in enumerate(items):
        yield Record(file=name, row=row, line=None, raw=value)


def _dataframe_batches(frame: Any, size: int = 4096) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(frame), size):
        yield frame.iloc[start : start + size].to_dict("records")
