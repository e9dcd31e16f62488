"""Validation of tabular inputs (CSV, Parquet, DataFrames) against a format's `columns`.

`row_failures` judges one row, as the `format` checker's `map` needs; it gives what pandera's
column-wise validation (`validate_table`: each format's `columns` declaration as a lazy
`DataFrameSchema`) gives for that row, and a test holds the two equal on tricky values. A
required column the row lacks is reported without a row index: in a table every row has the
same columns, so it is missing from the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from ftqa.formats.base import Column, Format, type_name


@dataclass(frozen=True, slots=True)
class ColumnFailure:
    rule: str
    column: str
    index: int | None
    message: str
    value: Any = None


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def _has_text(value: Any) -> bool:
    return not isinstance(value, str) or bool(value.strip())


def _is_label(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool))


def _is_list(value: Any) -> bool:
    return isinstance(value, list)


def _is_object(value: Any) -> bool:
    return isinstance(value, dict)


_KIND_CHECK = {"text": _is_text, "label": _is_label, "list": _is_list, "object": _is_object}
_KIND_WORDS = {
    "text": "a string",
    "label": "a string, number or boolean",
    "list": "a list",
    "object": "an object",
}


def _is_null(value: Any) -> bool:
    """pandas' notion of a missing value (None, NaN, NaT, pd.NA), which pandera skips."""
    if value is None:
        return True
    if isinstance(value, (str, bool, int, list, dict, tuple)):
        return False
    if isinstance(value, float):
        return value != value
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def row_failures(fmt: Format, raw: Any, index: int) -> list[ColumnFailure]:
    """The failures of one table row (`raw`, a mapping of column name to value)."""
    failures: list[ColumnFailure] = []
    for column in fmt.columns:
        name = column.name
        if name not in raw:
            if column.required:
                message = f"required column `{name}` is missing"
                failures.append(ColumnFailure("missing-key", name, None, message))
            continue
        value = raw[name]
        if _is_null(value):
            if column.required:
                message = f"`{name}` is empty (null)"
                failures.append(ColumnFailure("missing-key", name, index, message))
            continue
        if not _KIND_CHECK[column.kind](value):
            message = f"`{name}` has the wrong type ({type_name(value)})"
            failures.append(ColumnFailure("wrong-type", name, index, message, value))
        elif column.nonempty and column.kind in ("text", "label") and not _has_text(value):
            message = f"`{name}` is empty or whitespace only"
            failures.append(ColumnFailure("empty-content", name, index, message, value))
    return failures


def _pandera_column(column: Column) -> Any:
    import pandera.pandas as pa

    checks = [pa.Check(_KIND_CHECK[column.kind], element_wise=True, name="wrong-type")]
    if column.nonempty and column.kind in ("text", "label"):
        checks.append(pa.Check(_has_text, element_wise=True, name="empty-content"))
    return pa.Column(
        object,
        checks=checks,
        nullable=not column.required,
        required=column.required,
        coerce=False,
    )


@cache
def schema_for(fmt: Format) -> Any:
    import pandera.pandas as pa

    return pa.DataFrameSchema(
        {column.name: _pandera_column(column) for column in fmt.columns},
        strict=False,
        name=fmt.name,
    )


def validate_table(fmt: Format, frame: Any) -> Iterator[ColumnFailure]:
    """Every column-level failure in `frame` (indexed by row number)."""
    import pandera.pandas as pa

    try:
        schema_for(fmt).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        for case in cases.itertuples(index=False):
            yield _failure(case)


def _failure(case: Any) -> ColumnFailure:
    check = str(case.check)
    column = str(case.column) if case.column is not None else str(case.failure_case)
    index = int(case.index) if case.index is not None and case.index == case.index else None
    value = case.failure_case
    if check == "column_in_dataframe":
        missing = str(case.failure_case)
        return ColumnFailure(
            "missing-key", missing, None, f"required column `{missing}` is missing"
        )
    if check == "not_nullable":
        return ColumnFailure("missing-key", column, index, f"`{column}` is empty (null)")
    if check == "empty-content":
        return ColumnFailure(
            "empty-content", column, index, f"`{column}` is empty or whitespace only", value
        )
    if check == "wrong-type":
        return ColumnFailure(
            "wrong-type",
            column,
            index,
            f"`{column}` has the wrong type ({type_name(value)})",
            value,
        )
    return ColumnFailure("wrong-type", column, index, f"`{column}` failed {check}", value)


def kind_words(column: Column) -> str:
    return _KIND_WORDS[column.kind]
