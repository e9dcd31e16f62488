"""The `constraints` checker class: `map` reads each row's columns (`columns`), `reduce` buffers
them in chunks, each constraint one pandera check, one finding per violating row."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ftqa.checker import CheckContext, Checker, Rule
from ftqa.checks.constraints.columns import FIXED_COLUMNS, MEASURED, _column
from ftqa.checks.constraints.evaluation import _evaluate
from ftqa.checks.constraints.expression import columns_of, parse
from ftqa.checks.constraints.options import ConstraintsOptions
from ftqa.finding import Finding, Severity
from ftqa.outbound import outbound
from ftqa.providers import Provided
from ftqa.providers.leakage import SYSTEM_PROMPT_ID, TEMPLATE_TOKENS
from ftqa.providers.measures import CATEGORY, LANGUAGE, RESPONSES
from ftqa.providers.tokens import TOKENS
from ftqa.records import Record
from ftqa.rowresult import RowKey, RowResult

MAX_VALUE_CHARS = 60


_SURROGATES = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class _Violation:
    constraint: int
    file: str
    row: int
    line: int | None
    values: str


def _show(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = value if len(value) <= MAX_VALUE_CHARS else value[: MAX_VALUE_CHARS - 1] + "…"
        return repr(text)
    return str(value)


class ConstraintsChecker(Checker):
    id = "constraints"
    summary = "Rows that break the team's own declared constraints."
    rules = (
        Rule("constraint-violated", Severity.ERROR, "A row breaks a declared constraint."),
        Rule(
            "constraint-not-evaluated",
            Severity.WARNING,
            "A declared constraint could not be checked on any row.",
        ),
    )
    Options = ConstraintsOptions
    version = "2"
    needs = (TOKENS, LANGUAGE, CATEGORY, RESPONSES, SYSTEM_PROMPT_ID, TEMPLATE_TOKENS)
    pure_map = True
    options: ConstraintsOptions

    def __init__(self, options: ConstraintsOptions, context: CheckContext) -> None:
        super().__init__(options, context)
        self._nodes = [parse(rule.check) for rule in options.rules]
        self._columns = [columns_of(node) for node in self._nodes]
        self._needed = list(dict.fromkeys(column for cols in self._columns for column in cols))
        self._buffer: dict[str, list[Any]] = {column: [] for column in self._needed}
        self._where: list[tuple[str, int, int | None]] = []
        self._present: set[str] = set()
        self._evaluated = [0] * len(self._nodes)
        self._violations: list[_Violation] = []
        self._schema: Any = None
        self._unmeasured = {
            column
            for column in self._needed
            if column not in MEASURED and column not in FIXED_COLUMNS
        }

    def map(self, record: Record, provided: Provided) -> RowResult | None:
        if not self._nodes:
            return None
        values: list[Any] = []
        for column in self._needed:
            value = _column(record, column, provided)
            if isinstance(value, str) and column not in ("split", "file", "format"):
                # Features leave the process: dataset text is masked like any other output.
                value = outbound(value)
                if not value.isascii():
                    # pandas/pandera cannot encode lone surrogates (invalid text anyway)
                    value = _SURROGATES.sub("\ufffd", value)
            values.append(value)
        return RowResult(features=values)

    def reduce(self, key: RowKey, features: Any) -> None:
        for column, value in zip(self._needed, features, strict=True):
            if value is not None:
                self._present.add(column)
            self._buffer[column].append(value)
        self._where.append((key.file, key.row, key.line))
        if len(self._where) >= self.options.chunk_rows:
            self._validate()

    def finish(self) -> Iterator[Finding]:
        if self._where:
            self._validate()
        for violation in self._violations:
            rule = self.options.rules[violation.constraint]
            finding = self.finding(
                "constraint-violated",
                f"constraint `{rule.name}` is not met: needs {rule.check}, has {violation.values}",
                file=violation.file,
                line=violation.line,
                row=violation.row,
                field=rule.name,
                evidence=violation.values,
            )
            if rule.severity is not finding.severity:
                finding = finding.model_copy(update={"severity": rule.severity})
            yield finding
        for index, rule in enumerate(self.options.rules):
            if self._evaluated[index]:
                continue
            absent = [column for column in self._columns[index] if column not in self._present]
            if not absent:
                reason = "every row has an empty value in one of its columns"
            else:
                reason = f"no row has a value for {', '.join(f'`{c}`' for c in absent)}"
                unknown = [column for column in absent if column in self._unmeasured]
                if unknown:
                    reason += (
                        f" ({', '.join(f'`{c}`' for c in unknown)}: measured by another "
                        "checker and not available to constraints)"
                    )
            yield self.finding(
                "constraint-not-evaluated",
                f"constraint `{rule.name}` was not checked on any row: {reason}",
                file=self.context.files[0] if self.context.files else None,
                field=rule.name,
            )

    def stats(self) -> dict[str, Any]:
        if not self._nodes:
            return {}
        failed = [0] * len(self._nodes)
        for violation in self._violations:
            failed[violation.constraint] += 1
        return {
            "constraints": [
                {"name": rule.name, "check": rule.check, "evaluated": evaluated, "failed": count}
                for rule, evaluated, count in zip(
                    self.options.rules, self._evaluated, failed, strict=True
                )
            ]
        }

    def _pandera_schema(self) -> Any:
        if self._schema is None:
            import pandera.pandas as pa

            checks = [
                # ignore_na=False: nulls are judged by the expression's own three-valued logic
                pa.Check(
                    self._check(index),
                    name=rule.name,
                    error=f"{rule.name}: {rule.check}",
                    ignore_na=False,
                )
                for index, rule in enumerate(self.options.rules)
            ]
            columns = {column: pa.Column(nullable=True, required=True) for column in self._needed}
            self._schema = pa.DataFrameSchema(columns, checks=checks)
        return self._schema

    def _check(self, index: int) -> Any:
        """The pandera check function of constraint `index`: a boolean Series, True = pass."""
        node = self._nodes[index]

        def check(frame: Any) -> Any:
            import pandas as pd

            judged = pd.Series(_evaluate(node, frame), index=frame.index)
            self._evaluated[index] += int(judged.notna().sum())
            return judged.fillna(True).astype(bool)

        return check

    def _validate(self) -> None:
        """Validate the buffered rows lazily; keep the violations, drop the rows."""
        import pandas as pd
        import pandera.pandas as pa

        frame = pd.DataFrame(
            {column: pd.Series(values, dtype=object) for column, values in self._buffer.items()}
        )
        failing: dict[int, set[int]] = {}
        try:
            self._pandera_schema().validate(frame, lazy=True)
        except pa.errors.SchemaErrors as errors:
            cases = errors.failure_cases
            broken = cases[cases["index"].isna()]
            if len(broken):
                # A check that raised: never let it pass silently; the engine marks us failed.
                reason = broken.iloc[0]["failure_case"]
                raise RuntimeError(f"constraint evaluation failed: {reason}") from None
            cases = cases[cases["index"].notna()]
            for number, position in zip(cases["check_number"], cases["index"], strict=True):
                failing.setdefault(int(number), set()).add(int(position))
        for number in sorted(failing):
            for position in sorted(failing[number]):
                file, row, line = self._where[position]
                values = ", ".join(
                    f"{column} = {_show(self._buffer[column][position])}"
                    for column in self._columns[number]
                )
                self._violations.append(_Violation(number, file, row, line, values))
        self._buffer = {column: [] for column in self._needed}
        self._where = []
