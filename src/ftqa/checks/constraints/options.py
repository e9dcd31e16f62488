"""Options of the `constraints` checker: the declared constraints, validated when configured."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from ftqa.checker import Options
from ftqa.checks.constraints.columns import KNOWN_COLUMNS
from ftqa.checks.constraints.expression import ExpressionError, columns_of, parse
from ftqa.finding import Severity

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class Constraint(BaseModel):
    """One declared constraint: a name (shown in findings), the expression, a severity."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="Shown in each finding, e.g. `fits-context`.")
    check: str = Field(description="The expression every row must satisfy.")
    severity: Severity = Field(Severity.ERROR, description="Severity of its findings.")

    @field_validator("name")
    @classmethod
    def _valid_name(cls, name: str) -> str:
        if not _NAME.match(name) or len(name) > 80:
            raise _invalid(
                f"constraint name {name!r} must be letters, digits, `-`, `_` or `.` (at most 80)"
            )
        return name

    @field_validator("check")
    @classmethod
    def _valid_check(cls, check: str) -> str:
        try:
            parse(check)
        except ExpressionError as error:
            raise _invalid(f"cannot parse `{check}`: {error}") from None
        return check


class ConstraintsOptions(Options):
    extra_columns: list[str] = Field(
        default_factory=list,
        description="Columns added by plugin checkers, accepted in expressions besides the "
        "built-in ones.",
    )
    rules: list[Constraint] = Field(
        default_factory=list, description="The constraints every example must satisfy."
    )
    chunk_rows: int = Field(
        4096, ge=1, le=1_000_000, description="Rows validated per pandera call."
    )

    @field_validator("rules")
    @classmethod
    def _known_columns(cls, rules: list[Constraint], info: ValidationInfo) -> list[Constraint]:
        names = [rule.name for rule in rules]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise _invalid(f"constraint names must be unique: {', '.join(repeated)}")
        extra = list(info.data.get("extra_columns") or [])
        known = set(KNOWN_COLUMNS) | set(extra)
        for rule in rules:
            for column in columns_of(parse(rule.check)):
                if column not in known:
                    listing = ", ".join((*KNOWN_COLUMNS, *extra))
                    raise _invalid(
                        f"constraint `{rule.name}`: unknown column `{column}` (columns: "
                        f"{listing}; declare a plugin's columns in `extra-columns`)"
                    )
        return rules


def _invalid(reason: str) -> PydanticCustomError:
    """A validation error whose message is `reason` as written (no "Value error," prefix)."""
    return PydanticCustomError("constraint", "{reason}", {"reason": reason})
