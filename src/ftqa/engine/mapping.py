"""The map step on one process: normalize each record and give it to every checker that wants
it, collecting each checker's `RowResult`. Executors call it on whatever rows they own.

A checker whose `map` raises, or runs longer than `checker-timeout` (`ftqa.timelimit`), is
marked failed and not called again; the others carry on.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ftqa.checker import Checker
from ftqa.engine.fixing import with_row_fixes
from ftqa.engine.plan import RunPlan
from ftqa.errors import is_crash
from ftqa.normalize import Normalizer
from ftqa.providers import Provided, Provider, RunContext
from ftqa.records import Record
from ftqa.rowresult import RowResult
from ftqa.timelimit import CallTimer, CheckerTimedOut

if TYPE_CHECKING:
    from ftqa.engine.cached_mapping import CachedMapping

CACHE_BATCH = 256


def batched(records: Iterator[Record], size: int) -> Iterator[list[Record]]:
    batch: list[Record] = []
    for record in records:
        batch.append(record)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass(slots=True)
class MappedRow:
    """One record after the map step: where it is, what the examples table needs, and the
    non-empty results by checker index."""

    row: int  # -1 for notices that stand for no row (blank lines, a byte order mark)
    line: int | None
    format: str | None
    results: list[tuple[int, RowResult]]
    # (turns, label, measures) when the examples table is collected
    example: tuple[int | None, str | None, dict[str, Any]] | None = None


@dataclass
class CheckerState:
    checker: Checker
    needs: frozenset[Provider[Any]]
    seconds: float = 0.0
    error: str | None = None
    error_row: int | None = None  # the row whose map failed (the run's order decides)


def failure(error: BaseException) -> str:
    if isinstance(error, CheckerTimedOut):
        return str(error)
    return f"{type(error).__name__}: {error}"


@dataclass
class Mapper:
    plan: RunPlan
    timer: CallTimer
    states: list[CheckerState] = field(default_factory=list)
    normalizer: Normalizer | None = None
    run_context: RunContext | None = None
    cache: CachedMapping | None = None
    cached_checkers: frozenset[int] = frozenset()  # indices whose results the cache holds

    @classmethod
    def build(cls, plan: RunPlan, timer: CallTimer, checkers: list[Checker]) -> Mapper:
        states = [CheckerState(c, frozenset(type(c).needs)) for c in checkers]
        settings = plan.settings
        normalizer = Normalizer(settings.read_options, settings.forced_format)
        return cls(plan, timer, states, normalizer, plan.run_context())

    def records(self, records: Iterator[Record], split: str) -> Iterator[MappedRow]:
        """Map every record, in order (through the row cache when there is one)."""
        collect = self.plan.collect_examples and split != "reference"
        normalize = self.normalizer.normalize  # type: ignore[union-attr]
        if self.cache is None:
            for record in records:
                record.split = split
                normalize(record)
                yield self.record(record, collect)
            return
        for batch in batched(records, CACHE_BATCH):
            for record in batch:
                record.split = split
                normalize(record)
            yield from self.cache.rows(self, batch, collect)

    def record(
        self,
        record: Record,
        collect: bool,
        cached: list[tuple[int, RowResult]] | None = None,
    ) -> MappedRow:
        """Map one normalized record; checkers whose results are in `cached` are not called."""
        assert self.run_context is not None
        readable = record.readable and record.row >= 0
        reference = record.split == "reference"
        provided = Provided(record, self.run_context)
        results: list[tuple[int, RowResult]] = []
        clock = time.perf_counter
        timer = self.timer
        fixes = self.plan.with_fixes
        skip = self.cached_checkers if cached is not None else ()
        if cached:
            results.extend(cached)
        for index, state in enumerate(self.states):
            checker = state.checker
            if index in skip or not _wants(state, readable, reference):
                continue
            started = timer.since = clock()
            try:
                result = checker.map(record, provided.allow(state.needs))
                if fixes and result is not None and result.findings:
                    result = with_row_fixes(checker, record, result)
                timer.since = None
            except BaseException as error:  # a faulty checker must not stop the others
                timer.since = None
                if not is_crash(error):
                    raise
                state.error = failure(error)
                state.error_row = record.row
                result = None
            state.seconds += clock() - started
            if result is not None and not result.empty:
                results.append((index, result))
        if cached:
            results.sort(key=lambda pair: pair[0])
        example = None
        if collect and record.row >= 0:
            measures: dict[str, Any] = {}
            for _, result in results:
                if result.measures:
                    measures.update(result.measures)
            measures.update(record.measures)  # old stateful checkers write them there
            example = (len(record.messages) if record.format else None, record.label, measures)
        return MappedRow(record.row, record.line, record.format, results, example)


def _wants(state: CheckerState, readable: bool, reference: bool) -> bool:
    checker = state.checker
    if state.error is not None or (reference and not checker.sees_references):
        return False
    return readable or checker.sees_unreadable_rows


def count_formats(rows: list[MappedRow]) -> Counter[str]:
    return Counter(row.format for row in rows if row.row >= 0 and row.format is not None)


# The engine's own code between checker calls, where a timeout must never be raised.
BOOKKEEPING = frozenset({Mapper.record.__code__, Mapper.records.__code__, batched.__code__})
