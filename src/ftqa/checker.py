"""The checker protocol: what a built-in or third-party checker declares and implements.

A checker declares an `id`, the `rules` it may report (each with a default severity and a
one-line summary), an `Options` model for its configuration table, and implements
`check_record` (a pure function of one row and the options) and/or `finish` (dataset-wide
findings from small per-row features gathered in `check_record`). It never reads files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from ftqa.finding import Finding, Severity
from ftqa.records import Record
from ftqa.text import clean_text, excerpt

CHECK_ID = re.compile(r"^[a-z][a-z0-9_]*$")
RULE_SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")

FixAvailability = Literal["none", "safe", "unsafe", "display"]


@dataclass(frozen=True, slots=True)
class Rule:
    """A problem a checker reports. `aggregate`: a per-row rule whose condition may hold for most
    rows of a file (a layout or convention rather than a defect of some rows); then the report
    carries one dataset-level finding with the count, the share and a few example lines instead
    of a finding per row (see `ftqa.collector`)."""

    slug: str
    severity: Severity
    summary: str
    fix: FixAvailability = "none"
    aggregate: bool = False


class Options(BaseModel):
    """Base of checker options: unknown keys are errors, values are validated."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True, slots=True)
class CheckContext:
    """What a checker may know about the run besides the rows."""

    files: tuple[str, ...] = ()
    validation_files: tuple[str, ...] = ()
    reference_files: tuple[str, ...] = ()
    forced_format: str | None = None
    model: str | None = None
    epochs: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Edit:
    """A fix's result for one row: the new row value, with short excerpts for the change log."""

    value: Any
    before: str | None = None
    after: str | None = None


@dataclass(frozen=True, slots=True)
class Drop:
    """A fix's result for one row: move the row, untouched, to the quarantine file."""

    reason: str


class Checker:
    """Base class of checkers.

    Class variables: `id` (snake_case, equals the entry-point name), `summary`, `rules`,
    `Options` (the model of the checker's configuration table), `version` (bump when results
    change, for caches), `order` (checkers run in (order, id) order on each row, so a checker
    may read what an earlier one put in `record.cache` / `record.measures`),
    `sees_unreadable_rows` (also receive rows that could not be read), `sees_references`
    (also receive rows of `--reference` files, which carry `split == "reference"`), `isolated`
    (needs nothing another checker computes for it and writes no `record.measures`; memo values
    in `record.cache` that any checker would compute the same way may be shared: on large file
    inputs ftqa may then run it in a worker process, in parallel with the others; see
    docs/parallel.md).
    """

    id: ClassVar[str]
    summary: ClassVar[str]
    rules: ClassVar[tuple[Rule, ...]]
    Options: ClassVar[type[Options]] = Options
    version: ClassVar[str] = "1"
    order: ClassVar[int] = 100
    sees_unreadable_rows: ClassVar[bool] = False
    sees_references: ClassVar[bool] = False
    isolated: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "id" not in cls.__dict__:
            return
        if not CHECK_ID.match(cls.id):
            raise TypeError(f"checker id {cls.id!r} must be snake_case")
        slugs = [rule.slug for rule in cls.rules]
        for slug in slugs:
            if not RULE_SLUG.match(slug):
                raise TypeError(f"rule {slug!r} of checker {cls.id!r} must be kebab-case")
        if len(set(slugs)) != len(slugs):
            raise TypeError(f"checker {cls.id!r} declares a rule twice")
        cls._rules_by_slug = {rule.slug: rule for rule in cls.rules}

    _rules_by_slug: ClassVar[dict[str, Rule]]

    def __init__(self, options: Options, context: CheckContext) -> None:
        self.options = options
        self.context = context

    def check_record(self, record: Record) -> Iterable[Finding]:
        return ()

    def finish(self) -> Iterable[Finding]:
        return ()

    def stats(self) -> dict[str, Any]:
        return {}

    def extras(self) -> dict[str, Any]:
        """Report sections this checker computes: `cost` (a dict of the report's Cost fields)
        and/or `recommendations` (a list of sentences)."""
        return {}

    def fix(self, raw: Any, finding: Finding, row: int) -> Edit | Drop | None:
        """Fix `row` (its raw value) for `finding`; called only for rules whose `fix` is safe
        (or unsafe, when the user opts in). Must be a pure function of its arguments."""
        return None

    @classmethod
    def rule(cls, slug: str) -> Rule:
        return cls._rules_by_slug[slug]

    def finding(
        self,
        slug: str,
        message: str,
        record: Record | None = None,
        *,
        field: str | None = None,
        evidence: str | None = None,
        fix: str | None = None,
        file: str | None = None,
        line: int | None = None,
        row: int | None = None,
        rows: list[int] | None = None,
        lines: list[int] | None = None,
    ) -> Finding:
        rule = self._rules_by_slug[slug]
        if record is not None:
            file = file or record.file
            line = line if line is not None else record.line
            row = row if row is not None else (record.row if record.row >= 0 else None)
        return Finding(
            check=self.id,
            rule=slug,
            severity=rule.severity,
            message=clean_text(message),
            file=clean_text(file) if file is not None else None,
            line=line,
            row=row,
            rows=rows,
            lines=lines,
            field=clean_text(field) if field is not None else None,
            evidence=excerpt(evidence) if evidence is not None else None,
            fix=clean_text(fix) if fix is not None else None,
        )
