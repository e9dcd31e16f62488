"""Evaluation of a parsed expression over a chunk of rows (pandas), with three-valued logic: a row
whose column is empty is not judged, except by `== null` / `!= null`."""

from __future__ import annotations

import math
from typing import Any

from ftqa.checks.constraints.expression import Both, Compare, Either, Member, Node


def _evaluate(node: Node, frame: Any) -> Any:
    """A pandas nullable-boolean array: True passes, False violates, NA is not judged."""
    if isinstance(node, Both):
        result = _evaluate(node.parts[0], frame)
        for part in node.parts[1:]:
            result = result & _evaluate(part, frame)
        return result
    if isinstance(node, Either):
        result = _evaluate(node.parts[0], frame)
        for part in node.parts[1:]:
            result = result | _evaluate(part, frame)
        return result
    if isinstance(node, Member):
        return _member(node, frame[node.column])
    return _compare(node, frame[node.column])


def _boolean(values: Any, missing: Any) -> Any:
    import pandas as pd

    result = pd.array(values, dtype="boolean")
    result[missing] = pd.NA
    return result


def _number(value: Any) -> float:
    """A value as a number for ordering comparisons: numbers, and strings that spell one
    (CSV cells); NaN for anything else (bools, text, lists)."""
    if isinstance(value, bool):
        return math.nan
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except (ValueError, UnicodeError):
            return math.nan
    try:
        return float(value) if hasattr(value, "__float__") else math.nan
    except (TypeError, ValueError, OverflowError):
        return math.nan


def _numbers(values: list[Any]) -> Any:
    """Numeric values of a column as a float array (NaN where a value is not a number)."""
    import numpy as np

    return np.fromiter((_number(value) for value in values), dtype=float, count=len(values))


def _compare(node: Compare, series: Any) -> Any:
    # Plain Python over the object values: pandas would infer (Arrow) string types on the way,
    # which cannot hold every string a dataset may contain (lone surrogates).
    import numpy as np
    import pandas as pd

    values = series.tolist()
    missing = np.fromiter((_is_null(item) for item in values), dtype=bool, count=len(values))
    if node.value is None:
        equal = missing if node.op == "==" else ~missing
        return pd.array(equal, dtype="boolean")
    value = node.value
    negated = node.op == "!="
    if isinstance(value, bool):
        outcome = np.fromiter(
            (isinstance(item, (bool, np.bool_)) and bool(item) == value for item in values),
            dtype=bool,
            count=len(values),
        )
        return _boolean(~outcome if negated else outcome, missing)
    if isinstance(value, (int, float)):
        numbers = _numbers(values)
        comparable = ~np.isnan(numbers)
        with np.errstate(invalid="ignore"):
            outcome = _OPS[node.op](numbers, value)
        # A value that is present but not a number fails every numeric comparison but `!=`.
        outcome = np.where(comparable, outcome, negated)
        return _boolean(outcome, missing)
    compare = _OPS[node.op]
    outcome = np.fromiter(
        (compare(item, value) if isinstance(item, str) else negated for item in values),
        dtype=bool,
        count=len(values),
    )
    return _boolean(outcome, missing)


def _is_null(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _member(node: Member, series: Any) -> Any:
    import numpy as np

    values = series.tolist()
    missing = np.fromiter((_is_null(item) for item in values), dtype=bool, count=len(values))
    wanted = {(type(value) is bool, value) for value in node.values}

    def inside(item: Any) -> bool:
        if isinstance(item, (bool, np.bool_)):
            return (True, bool(item)) in wanted
        if isinstance(item, (int, float, str, np.integer, np.floating)):
            return (False, item) in wanted
        return False

    outcome = np.fromiter((inside(item) for item in values), dtype=bool, count=len(values))
    return _boolean(~outcome if node.negated else outcome, missing)


_OPS: dict[str, Any] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
