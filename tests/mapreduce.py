"""Run one checker the map/reduce way by hand, as a distributed engine would, for
tests/test_mapreduce_*.py.

`map_reduce` reads real files as the engine does and maps every row with ONE checker instance,
row by row in a shuffled order (so no row's features can depend on the rows mapped before it;
the engine maps in batches, and through `map_many` where a checker has one: equal results show
that batching changes nothing). On the way it asserts what the contract promises: `map` never
writes `record.cache` or `record.measures`; features are plain data and come back equal from
pickling (the row cache and the process pipes); the mapping instance keeps no state (its
`stats()` are unchanged and its `finish()` gives what an instance that saw no row gives:
nothing, or only what an empty dataset gives). A FRESH instance then reduces the
pickled features in (split, file, row) order.

`engine_run` is a normal `ftqa.check` of the same checker, every finding listed; `assert_same`
runs both and asserts the same findings (every field) and statistics.
"""

from __future__ import annotations

import os
import pickle
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import ftqa
from ftqa.checker import Checker
from ftqa.config import Settings, load_settings
from ftqa.engine.inputs import Inputs
from ftqa.engine.plan import RunPlan
from ftqa.finding import Finding
from ftqa.load import open_path
from ftqa.normalize import Normalizer
from ftqa.providers import Provided
from ftqa.records import Record
from ftqa.rowresult import RowKey, RowResult

UNCAPPED = 1_000_000
PLAIN = (type(None), bool, int, float, str, bytes)
Paths = Sequence[str | os.PathLike[str]]


@dataclass
class MapReduced:
    """What the hand-run map/reduce gives: the findings (the map step's `row_findings`, then
    the fresh reducer's `finish()` findings); its `stats()` and `extras()`; each row's measures
    by (split, file, row), in row order; and how many rows returned features."""

    findings: list[Finding] = field(default_factory=list)
    row_findings: list[Finding] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    measures: dict[tuple[str, str, int], dict[str, Any]] = field(default_factory=dict)
    rows_with_features: int = 0


def assert_plain(value: Any) -> None:
    """Features are plain data: scalars, bytes, and lists/tuples/str-keyed dicts of them."""
    if isinstance(value, PLAIN):
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            assert_plain(item)
        return
    assert isinstance(value, dict), f"not plain data: {type(value).__name__}"
    for key, item in value.items():
        assert isinstance(key, str), f"not plain data: a {type(key).__name__} key"
        assert_plain(item)


def comparable(findings: Sequence[Finding]) -> list[str]:
    """Findings with every serialised field, in a stable order."""
    return sorted(finding.model_dump_json() for finding in findings)


def _settings(check: str, config: Mapping[str, Any] | None, run_with: Sequence[str]) -> Settings:
    overrides = {
        "select": [check, *run_with],
        "dataset_level_findings": False,
        "max_findings_per_rule": UNCAPPED,
    }
    return load_settings(dict(config or {}), None, overrides)


def _records(inputs: Inputs, normalizer: Normalizer) -> list[Record]:
    """Every record of every split, in the order the engine reads them, normalized."""
    records = []
    for split, sources in inputs.splits():
        for source in sources:
            for record in source.records():
                record.split = split
                normalizer.normalize(record)
                records.append(record)
    return records


def _wanted(cls: type[Checker], record: Record) -> bool:
    if record.split == "reference" and not cls.sees_references:
        return False
    return (record.readable and record.row >= 0) or cls.sees_unreadable_rows


def _mapped_once(mapper: Checker, record: Record, provided: Provided) -> RowResult | None:
    """`map` of one row, with the purity checks; features replaced by their pickled copy."""
    result = mapper.map(record, provided)
    assert record.cache == {}, f"map wrote to record.cache: {sorted(record.cache)}"
    assert record.measures == {}, f"map wrote to record.measures: {sorted(record.measures)}"
    if result is None or result.features is None:
        return result
    assert_plain(result.features)
    copy = pickle.loads(pickle.dumps(result.features))
    assert copy == result.features, "features do not survive pickling"
    return RowResult(result.findings, copy, result.measures)


def map_reduce(
    check: str,
    train: Paths,
    validation: Paths = (),
    references: Paths = (),
    *,
    config: Mapping[str, Any] | None = None,
    run_with: Sequence[str] = (),
    model: str | None = None,
    seed: int = 0,
) -> MapReduced:
    """Map every row of the files with one `check` instance in the order `seed` shuffles, then
    reduce with a fresh instance in row order. `config`: a configuration mapping as
    `ftqa.check` takes it (checker tables by id); `run_with`: other checkers of the run (not
    mapped here, but providers see them active, as in `engine_run`)."""
    settings = _settings(check, config, run_with)
    inputs = Inputs(
        train=[open_path(path) for path in train],
        validation=[open_path(path) for path in validation],
        references=[open_path(path) for path in references],
        model=model,
    )
    plan = RunPlan.of(inputs, settings)
    (cls,) = [c for c in plan.classes if c.id == check]
    assert cls.pure_map, f"{check} is not ported to map/reduce"
    options = settings.options_for(check)
    mapper = cls(options, plan.context)
    untouched = cls(options, plan.context)  # gets every call the mapper gets, except `map`
    run = plan.run_context()
    needs = frozenset(cls.needs)
    records = _records(inputs, Normalizer(settings.read_options, settings.forced_format))

    order = list(range(len(records)))
    random.Random(seed).shuffle(order)
    results: dict[int, RowResult] = {}
    for index in order:
        record = records[index]
        if _wanted(cls, record):
            result = _mapped_once(mapper, record, Provided(record, run).allow(needs))
            if result is not None:
                results[index] = result
    assert mapper.stats() == untouched.stats(), "map changed the checker's state"
    assert comparable(list(mapper.finish())) == comparable(list(untouched.finish())), (
        "the mapping instance kept state from map"
    )

    ranks = {
        (split, source.path): rank
        for split, sources in inputs.splits()
        for rank, source in enumerate(sources)
    }
    keyed = []
    for index, result in results.items():
        record = records[index]
        key = RowKey(record.split, record.file, record.row, record.line)
        keyed.append((key.sort_key(ranks[key.split, key.file]), index, key, result))
    keyed.sort(key=lambda item: item[:2])
    reducer = cls(options, plan.context)
    out = MapReduced()
    for _, _, key, result in keyed:
        out.row_findings.extend(result.findings)
        if result.features is not None:
            reducer.reduce(key, result.features)
            out.rows_with_features += 1
        if result.measures:
            out.measures[(key.split, key.file, key.row)] = dict(result.measures)
    out.findings = [*out.row_findings, *reducer.finish()]
    out.stats = reducer.stats()
    out.extras = reducer.extras()
    return out


def engine_run(
    check: str,
    train: Paths,
    validation: Paths = (),
    references: Paths = (),
    *,
    config: Mapping[str, Any] | None = None,
    run_with: Sequence[str] = (),
    model: str | None = None,
) -> ftqa.Report:
    """A normal run of `check` (and `run_with`), every finding listed, with the examples table;
    `check` must have run and no other checker may report."""
    report = ftqa.check(
        [os.fspath(path) for path in train],
        [os.fspath(path) for path in validation] or None,
        reference=[os.fspath(path) for path in references] or None,
        config=dict(config or {}),
        select=[check, *run_with],
        model=model,
        examples=True,
        max_findings_per_rule=UNCAPPED,
        dataset_level_findings=False,
    )
    status = {run.id: run.status for run in report.checks}
    assert status[check] == "ran", report.checks
    assert {finding.check for finding in report.findings} <= {check, *run_with}
    return report


def assert_same(
    check: str,
    train: Paths,
    validation: Paths = (),
    references: Paths = (),
    *,
    config: Mapping[str, Any] | None = None,
    run_with: Sequence[str] = (),
    model: str | None = None,
    seeds: Sequence[int] = (0,),
) -> tuple[MapReduced, ftqa.Report]:
    """The hand-run map/reduce, for each of `seeds`, reports what a normal run reports: the
    same findings, every field, and the same statistics (the reducer's own: a report passes
    them through the outbound layer, which must find nothing to change). Gives the last hand
    run and the normal run's report."""
    common: dict[str, Any] = {"config": config, "run_with": run_with, "model": model}
    report = engine_run(check, train, validation, references, **common)
    expected = comparable([finding for finding in report.findings if finding.check == check])
    got = MapReduced()
    for seed in seeds:
        got = map_reduce(check, train, validation, references, seed=seed, **common)
        assert comparable(got.findings) == expected
        assert got.stats == report.stats[check]
    return got, report
