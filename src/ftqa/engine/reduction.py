"""The reduce side of a run, in one process: mapped rows arrive here in (split, file, row)
order from any executor; their findings go to the collector, their features to each checker's
`reduce`, their measures to the examples table. Then every checker's `finish`, `stats` and
`extras` run, each guarded so a faulty checker is marked failed and the others carry on."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ftqa.collector import Collector
from ftqa.engine.collection import collect_young
from ftqa.engine.fixing import with_group_fixes
from ftqa.engine.mapping import CheckerState, MappedRow, failure
from ftqa.engine.transport import Combined
from ftqa.errors import is_crash
from ftqa.finding import Finding
from ftqa.report import FileInfo
from ftqa.rowresult import RowKey
from ftqa.timelimit import CallTimer

REDUCE_BLOCK = 1024  # rows a reduce step receives at once


class Examples:
    """The per-example table, kept column-wise: fixed columns plus every checker's measures."""

    FIXED = ("split", "file", "row", "line", "format", "turns", "label")

    def __init__(self) -> None:
        self.columns: dict[str, list[Any]] = {name: [] for name in self.FIXED}
        self.count = 0

    def add(self, split: str, file: str, mapped: MappedRow) -> None:
        assert mapped.example is not None
        turns, label, measures = mapped.example
        columns = self.columns
        for name, value in zip(
            self.FIXED,
            (split, file, mapped.row, mapped.line, mapped.format, turns, label),
            strict=True,
        ):
            columns[name].append(value)
        for name, value in measures.items():
            column = columns.get(name)
            if column is None:
                column = columns[name] = [None] * self.count
            column.append(value)
        self.count += 1
        for column in columns.values():
            if len(column) < self.count:
                column.append(None)


@dataclass
class Reduction:
    """Everything a run accumulates on the reduce side."""

    states: list[CheckerState]
    collector: Collector
    timer: CallTimer
    examples: Examples | None = None
    infos: dict[str, list[FileInfo]] = field(
        default_factory=lambda: {"train": [], "validation": [], "reference": []}
    )
    row_formats: Counter[str] = field(default_factory=Counter)

    def rows(self, split: str, file: str, mapped: Iterable[MappedRow]) -> None:
        """Take mapped rows of one file, in row order, a block of rows at a time."""
        block: list[MappedRow] = []
        end = REDUCE_BLOCK
        for row in mapped:
            if row.row >= end:
                self._block(split, file, block)
                collect_young()
                block = []
                end = (row.row // REDUCE_BLOCK + 1) * REDUCE_BLOCK
            block.append(row)
        if block:
            self._block(split, file, block)

    def _block(self, split: str, file: str, block: list[MappedRow]) -> None:
        """Reduce a block of rows: each checker's features in one `reduce_many` call, then the
        rows' findings, but none of a checker whose reduce failed in this block or before.
        Blocks are cut at fixed row numbers, so every executor cuts them alike."""
        states = self.states
        keys: dict[int, list[RowKey]] = {}
        features: dict[int, list[Any]] = {}
        found: list[tuple[int, Finding]] = []
        examples = self.examples
        for row in block:
            key = None
            for index, result in row.results:
                if result.findings:
                    found.extend((index, finding) for finding in result.findings)
                if result.features is not None:
                    key = key or RowKey(split, file, row.row, row.line)  # one per row, shared
                    if index in keys:
                        keys[index].append(key)
                        features[index].append(result.features)
                    else:
                        keys[index] = [key]
                        features[index] = [result.features]
            if examples is not None and row.example is not None:
                examples.add(split, file, row)
        for index, their_keys in keys.items():
            state = states[index]
            if state.error is None:
                self._reduce(state, their_keys, features[index])
        collector_add = self.collector.add
        for index, finding in found:
            if states[index].error is None:
                collector_add(finding)

    def combined(
        self, split: str, file: str, rows: list[MappedRow], combined: list[Combined]
    ) -> None:
        """Take the combined features of `rows` (`Checker.combine`, from a worker): each
        checker folds its block at once."""
        for index, positions, value in combined:
            state = self.states[index]
            if state.error is not None:
                continue
            keys = [RowKey(split, file, rows[p].row, rows[p].line) for p in positions]
            self._reduce(state, keys, value, combined=True)

    def _reduce(
        self, state: CheckerState, keys: list[RowKey], features: Any, combined: bool = False
    ) -> None:
        timer = self.timer
        started = time.perf_counter()
        # The time limit is per row: a block of n rows may take n times as long.
        timer.since = started + (len(keys) - 1) * (timer.seconds or 0.0)
        try:
            if combined:
                state.checker.reduce_combined(keys, features)
            else:
                state.checker.reduce_many(keys, features)
            timer.since = None
        except BaseException as error:  # a faulty checker must not stop the others
            timer.since = None
            if not is_crash(error):
                raise
            state.error = failure(error)
        state.seconds += time.perf_counter() - started

    def file_done(self, split: str, info: FileInfo, formats: Counter[str]) -> None:
        self.infos[split].append(info)
        if split == "train":
            self.row_formats.update(formats)

    def failed(self, index: int, error: str) -> None:
        """A checker failed while mapping (in this process or a worker)."""
        state = self.states[index]
        if state.error is None:
            state.error = error

    def finish(self, with_fixes: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
        """Every checker's dataset-wide findings, then its stats and report sections."""
        stats: dict[str, Any] = {
            "rows": sum(info.rows for info in self.infos["train"]),
            "formats": dict(self.row_formats.most_common()),
        }
        extras: dict[str, Any] = {}
        for state in self.states:
            checker = state.checker

            def dataset_wide(checker: Any = checker) -> None:
                found = checker.finish()
                self._add(with_group_fixes(checker, found) if with_fixes else found)

            self._guard(state, dataset_wide)
        for state in self.states:
            checker_stats = self._guard(state, state.checker.stats) or {}
            if checker_stats:
                stats[state.checker.id] = dict(checker_stats)
            extra = self._guard(state, state.checker.extras) or {}
            if "cost" in extra:
                extras["cost"] = extra["cost"]
            extras.setdefault("recommendations", []).extend(extra.get("recommendations", []))
        if self.infos["reference"]:
            stats["references"] = [info.model_dump() for info in self.infos["reference"]]
        return stats, extras

    def _add(self, findings: Iterable[Finding]) -> None:
        for finding in findings:
            self.collector.add(finding)

    def _guard(self, state: CheckerState, call: Callable[[], Any]) -> Any:
        if state.error is not None:
            return None
        started = self.timer.since = time.perf_counter()
        try:
            result = call()
            self.timer.since = None
            return result
        except BaseException as error:  # a faulty checker must not stop the others
            self.timer.since = None
            if not is_crash(error):
                raise
            state.error = failure(error)
            return None
        finally:
            state.seconds += time.perf_counter() - started


BOOKKEEPING = frozenset(
    {
        Reduction.rows.__code__,
        Reduction._block.__code__,
        Reduction.combined.__code__,
        Reduction._reduce.__code__,
        Reduction._guard.__code__,
        Reduction._add.__code__,
        Collector.add.__code__,
    }
)
