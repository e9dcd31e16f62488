"""The checker protocol: what a built-in or third-party checker declares and implements.

A checker declares an `id`, the `rules` it may report (each with a default severity and a
one-line summary), an `Options` model for its configuration table, and the providers its `map`
reads (`needs`). It implements two steps (docs/architecture.md):

- `map(record, provided) -> RowResult | None`: pure. The row's own findings, small serialisable
  features for the dataset-wide step, and measures for the examples table. It never changes the
  checker or the record, so an executor may run it in any process or take it from the row cache.
- `reduce(key, features)`, called once per row that returned features, in (split, file, row)
  order whatever order rows were mapped in; then `finish()` gives the dataset-wide findings and
  `stats()` / `extras()` the report sections.

It never reads files and never imports another checker.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from ftqa.finding import Finding, Severity
from ftqa.outbound import change_text, clip, outbound
from ftqa.providers import Provided, Provider
from ftqa.records import Record
from ftqa.rowresult import RowKey, RowResult

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
    # Former slugs of the rule, still accepted in `--select`/`--ignore` and configuration.
    aliases: tuple[str, ...] = ()


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
    embedding_cache_max_mb: int | None = None  # None: FTQA_EMBEDDING_CACHE_MAX_MB or 2048
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Edit:
    """A fix's result for one row: the new row value, with short excerpts for the change log.
    The excerpts pass the outbound layer here, whoever writes the log."""

    value: Any
    before: str | None = None
    after: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "before", change_text(self.before))
        object.__setattr__(self, "after", change_text(self.after))


@dataclass(frozen=True, slots=True)
class Drop:
    """A fix's result for one row: move the row, untouched, to the quarantine file."""

    reason: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "reason", outbound(self.reason))


class Checker:
    """Base class of checkers.

    Class variables: `id` (snake_case, equals the entry-point name), `summary`, `rules`,
    `Options` (the model of the checker's configuration table), `version` (bump when results
    change: it is part of the row cache's key), `needs` (the providers `map` reads),
    `sees_unreadable_rows` (also map rows that could not be read), `sees_references` (also map
    rows of `--reference` files, which carry `split == "reference"`).

    `pure_map` is False only for checkers still written against the old stateful contract
    (`check_record` filling private state, read by `finish`); those run in the local executor
    only and are never cached. The default `map` bridges them.
    """

    id: ClassVar[str]
    summary: ClassVar[str]
    rules: ClassVar[tuple[Rule, ...]]
    Options: ClassVar[type[Options]] = Options
    version: ClassVar[str] = "1"
    order: ClassVar[int] = 100
    sees_unreadable_rows: ClassVar[bool] = False
    sees_references: ClassVar[bool] = False
    needs: ClassVar[tuple[Provider[Any], ...]] = ()
    pure_map: ClassVar[bool] = False

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
        cls._rules_by_alias = {alias: rule for rule in cls.rules for alias in rule.aliases}

    _rules_by_slug: ClassVar[dict[str, Rule]]
    _rules_by_alias: ClassVar[dict[str, Rule]] = {}

    def __init__(self, options: Options, context: CheckContext) -> None:
        self.options = options
        self.context = context

    def map(self, record: Record, provided: Provided) -> RowResult | None:
        """The row's findings, features and measures; pure (see the module's docstring)."""
        findings = list(self.check_record(record))
        return RowResult(findings) if findings else None

    def map_many(
        self, records: Sequence[Record], provided: Sequence[Provided]
    ) -> list[RowResult | None]:
        """`map` of several rows at once, for a checker whose per-row work vectorizes (one call
        into numpy or a native library for a batch of rows instead of one per row). The engine
        calls it instead of `map` when a checker overrides it, with up to a few hundred rows in
        order; it must give what `map` gives for each row. A failure marks the checker failed
        from the batch's first row."""
        return [self.map(record, row) for record, row in zip(records, provided, strict=True)]

    def reduce(self, key: RowKey, features: Any) -> None:
        """Fold one row's features into the dataset-wide state (rows arrive in row order)."""

    def reduce_many(self, keys: Sequence[RowKey], features: Sequence[Any]) -> None:
        """`reduce` of several rows at once, in row order. The engine calls it with the rows of
        a block (up to a thousand) that gave this checker features; override it where the
        fold vectorizes (columns extended at once rather than appended row by row). It must
        leave the state `reduce` would leave. A failure marks the checker failed, and its
        findings from the block's rows are dropped."""
        reduce = self.reduce
        for key, row in zip(keys, features, strict=True):
            reduce(key, row)

    def combine(self, features: Sequence[Any]) -> Any:
        """Optional, with `reduce_combined`: several rows' features (in row order) as one
        plain value, such as a column of keys as one bytes object. Executors that map in other
        processes call it there, on a job's rows, so that a block crosses to the reduce side as
        a few large values rather than a few small ones a row; `reduce_combined(keys,
        combine(features))` must leave what `reduce_many(keys, features)` leaves."""
        raise NotImplementedError

    def reduce_combined(self, keys: Sequence[RowKey], combined: Any) -> None:
        """Fold what `combine` gave for the rows of `keys` (see `combine`)."""
        raise NotImplementedError

    def finish(self) -> Iterable[Finding]:
        """Dataset-wide findings, from the features `reduce` received."""
        return ()

    def check_record(self, record: Record) -> Iterable[Finding]:
        """The old stateful per-row step (`pure_map = False` checkers only)."""
        return ()

    def cache_variant(self, record: Record) -> Hashable | None:
        """What `map`'s result depends on besides the row's content, such as its place (a
        checker that samples the first rows of a file); it joins the row cache's key. None:
        the content alone."""
        return None

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
        fix_values: Iterable[str] = (),
    ) -> Finding:
        rule = self._rules_by_slug[slug]
        if record is not None:
            file = file or record.file
            line = line if line is not None else record.line
            row = row if row is not None else (record.row if record.row >= 0 else None)
        # The Finding model passes every text through the outbound layer; evidence is clipped
        # here first, masked before it is cut, so a cut cannot leave part of a secret.
        return Finding(
            check=self.id,
            rule=slug,
            severity=rule.severity,
            message=message,
            file=file,
            line=line,
            row=row,
            rows=rows,
            lines=lines,
            field=field,
            evidence=clip(evidence) if evidence is not None else None,
            fix=fix,
            fix_values=tuple(fix_values),
        )
