"""Findings: what a checker reports about a dataset. Pure data, no behaviour beyond ordering.

Every text field passes the outbound-text layer (`ftqa.outbound`) when a finding is built,
however it is built: secrets and personal data are masked and hidden characters made visible
before a finding can reach any output.
"""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ftqa.fixes import Fix
from ftqa.outbound import outbound, outbound_excerpt, visible


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def at_least(self, threshold: Severity) -> bool:
        return self.rank >= threshold.rank


_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


class Finding(BaseModel):
    """One problem, located as precisely as the source allows."""

    model_config = ConfigDict(frozen=True, use_enum_values=False, arbitrary_types_allowed=True)

    check: str = Field(description="Id of the checker that found it, e.g. `format`.")
    rule: str = Field(description="Kebab-case slug of the precise problem.")
    severity: Severity
    message: str = Field(description="One plain sentence.")
    file: str | None = Field(default=None, description="Path of the file the row came from.")
    line: int | None = Field(default=None, description="1-based physical line in the file.")
    row: int | None = Field(default=None, description="0-based record index in the file.")
    rows: list[int] | None = Field(default=None, description="All rows involved (groups, pairs).")
    lines: list[int] | None = Field(default=None, description="Lines of `rows`, same order.")
    field: str | None = Field(default=None, description="Field path, e.g. `messages[2].content`.")
    evidence: str | None = Field(default=None, description="Short excerpt of the offending data.")
    fix: str | None = Field(default=None, description="A suggested fix, when one is safe.")
    occurrences: int | None = Field(
        default=None,
        description="For a dataset-level finding that stands for a condition holding in many "
        "rows: how many rows (`lines`/`rows` list a few of them).",
    )

    # The fixes that repair it, as data (`ftqa fix`); never serialised: they hold dataset text.
    fixes: tuple[Fix, ...] = Field(default=(), exclude=True, repr=False)
    # What a dataset-wide fix of one row needs besides the row (the separator to append, the
    # tokens to delete), as data rather than words of `fix`; never serialised.
    fix_values: tuple[str, ...] = Field(default=(), exclude=True, repr=False)

    @field_validator("message", "field", "fix")
    @classmethod
    def _outbound(cls, value: str | None) -> str | None:
        return None if value is None else outbound(value)

    @field_validator("evidence")
    @classmethod
    def _outbound_excerpt(cls, value: str | None) -> str | None:
        return None if value is None else outbound_excerpt(value)

    @field_validator("file")
    @classmethod
    def _visible(cls, value: str | None) -> str | None:
        return None if value is None else visible(value)

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (
            self.file or "",
            self.line if self.line is not None else -1,
            self.row if self.row is not None else -1,
            self.rule,
            self.check,
        )
