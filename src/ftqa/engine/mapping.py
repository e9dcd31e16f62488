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
BATCH_BYTES = 8 << 20


def batched(
    records: Iterator[Record], size: int, max_bytes: int = BATCH_BYTES
) -> Iterator[list[Record]]:
    """Batches of at most `size` records, cut early once they span `max_bytes` of the file:
    a batch of large rows is held in memory whole."""
    batch: list[Record] = []
    held = 0
    for record in records:
        batch.append(record)
        if record.span is not None:
            held += record.span[1] - record.span[0]
        if len(batch) >= size or held >= max_bytes:
            yield batch
            batch = []
            held = 0
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

    def __reduce__(self) -> tuple[type[MappedRow], tuple[Any, ...]]:
        # By its fields, like RowResult: workers send every row's results this way.
        return MappedRow, (self.row, self.line, self.format, self.results, self.example)


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
    batched: list[int] = field(default_factory=list)  # indices of checkers with `map_many`
    combining: list[int] = field(default_factory=list)  # ... and with `combine`

    @classmethod
    def build(cls, plan: RunPlan, timer: CallTimer, checkers: list[Checker]) -> Mapper:
        states = [CheckerState(c, frozenset(type(c).needs)) for c in checkers]
        settings = plan.settings
        normalizer = Normalizer(settings.read_options, settings.forced_format)
        batched = [
            index
            for index, checker in enumerate(checkers)
            if type(checker).map_many is not Checker.map_many
        ]
        combining = [
            index
            for index, checker in enumerate(checkers)
            if type(checker).combine is not Checker.combine
        ]
        return cls(
            plan,
            timer,
            states,
            normalizer,
            plan.run_context(),
            batched=batched,
            combining=combining,
        )

    def records(self, records: Iterator[Record], split: str) -> Iterator[MappedRow]:
        """Map every record, in order (through the row cache when there is one), a batch at a
        time."""
        collect = self.plan.collect_examples and split != "reference"
        normalize = self.normalizer.normalize  # type: ignore[union-attr]
        for batch in batched(records, CACHE_BATCH):
            for record in batch:
                record.split = split
                normalize(record)
            if self.cache is None:
                yield from self.batch(batch, collect)
            else:
                yield from self.cache.rows(self, batch, collect)

    def _map_one(self, state: CheckerState, record: Record, provided: Provided) -> RowResult | None:
        checker = state.checker
        timer = self.timer
        started = timer.since = time.perf_counter()
        try:
            result = checker.map(record, provided.allow(state.needs))
            if self.plan.with_fixes and result is not None and result.findings:
                result = with_row_fixes(checker, record, result)
            timer.since = None
        except BaseException as error:  # a faulty checker must not stop the others
            timer.since = None
            if not is_crash(error):
                raise
            state.error = failure(error)
            state.error_row = record.row
            result = None
        state.seconds += time.perf_counter() - started
        return result

    def batch(
        self,
        records: list[Record],
        collect: bool,
        cached: list[list[tuple[int, RowResult]] | None] | None = None,
    ) -> list[MappedRow]:
        """Map normalized records; `cached[i]`, when not None, holds row i's results of the
        cached checkers, which are not called for it. Checkers that map a batch at once
        (`map_many`) go first, then every row goes to the others."""
        assert self.run_context is not None
        provided = [Provided(record, self.run_context) for record in records]
        ready = self._map_many(records, provided, cached) if self.batched else {}
        return [
            self.record(
                record,
                collect,
                cached[row] if cached is not None else None,
                provided[row],
                {index: results.get(row) for index, results in ready.items()},
            )
            for row, record in enumerate(records)
        ]

    def _map_many(
        self,
        records: list[Record],
        provided: list[Provided],
        cached: list[list[tuple[int, RowResult]] | None] | None,
    ) -> dict[int, dict[int, RowResult | None]]:
        ready: dict[int, dict[int, RowResult | None]] = {}
        clock = time.perf_counter
        timer = self.timer
        for index in self.batched:
            state = self.states[index]
            rows = [
                row
                for row, record in enumerate(records)
                if not (
                    cached is not None and cached[row] is not None and index in self.cached_checkers
                )
                and _wants(state, record.readable and record.row >= 0, record.split == "reference")
            ]
            if not rows:
                continue
            checker = state.checker
            started = clock()
            # The time limit is per row: a batch of n rows may take n times as long.
            timer.since = started + (len(rows) - 1) * (timer.seconds or 0.0)
            try:
                results = checker.map_many(
                    [records[row] for row in rows],
                    [provided[row].allow(state.needs) for row in rows],
                )
                if len(results) != len(rows):
                    raise ValueError(f"map_many gave {len(results)} results for {len(rows)} rows")
                if self.plan.with_fixes:
                    results = [
                        with_row_fixes(checker, records[row], result)
                        if result is not None and result.findings
                        else result
                        for row, result in zip(rows, results, strict=True)
                    ]
                timer.since = None
            except BaseException as error:  # a faulty checker must not stop the others
                timer.since = None
                if not is_crash(error):
                    raise
                state.error = failure(error)
                state.error_row = records[rows[0]].row
                results = [None] * len(rows)
            state.seconds += clock() - started
            ready[index] = dict(zip(rows, results, strict=True))
        return ready

    def record(
        self,
        record: Record,
        collect: bool,
        cached: list[tuple[int, RowResult]] | None = None,
        provided: Provided | None = None,
        ready: dict[int, RowResult | None] | None = None,
    ) -> MappedRow:
        """Map one normalized record; checkers whose results are in `cached` are not called,
        nor those whose result is `ready` (mapped with the row's batch)."""
        assert self.run_context is not None
        readable = record.readable and record.row >= 0
        reference = record.split == "reference"
        if provided is None:
            provided = Provided(record, self.run_context)
        results: list[tuple[int, RowResult]] = []
        skip = self.cached_checkers if cached is not None else ()
        if cached:
            results.extend(cached)
        for index, state in enumerate(self.states):
            if index in skip or not _wants(state, readable, reference):
                continue
            if ready is not None and index in ready:
                result = ready[index]
            else:
                result = self._map_one(state, record, provided)
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
BOOKKEEPING = frozenset(
    {
        Mapper.record.__code__,
        Mapper.records.__code__,
        Mapper.batch.__code__,
        Mapper._map_many.__code__,
        Mapper._map_one.__code__,
        batched.__code__,
    }
)
