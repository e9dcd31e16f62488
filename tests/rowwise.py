"""Run one checker the map/reduce way by hand, to compare with a normal `ftqa.check` run.

Every row is mapped with ONE checker instance, in reverse order (a pure `map` cannot tell);
each row must leave `record.cache` and `record.measures` untouched, and its features must come
back equal from serialisation. The features are then reduced, in row order, by a FRESH instance,
whose `finish()` findings and `stats()` are what a normal run reports.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass, field
from typing import Any

import ftqa
from ftqa.checker import CheckContext
from ftqa.config import NO_CONFIG, load_settings
from ftqa.finding import Finding
from ftqa.load import open_path
from ftqa.normalize import Normalizer
from ftqa.outbound import outbound_value
from ftqa.providers import Provided, RunContext
from ftqa.records import Record
from ftqa.registry import load_checker
from ftqa.rowresult import RowKey, RowResult

UNCAPPED = 1_000_000


@dataclass
class Outcome:
    findings: list[dict[str, Any]]
    stats: dict[str, Any]
    measures: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    mapper_stats: dict[str, Any] = field(default_factory=dict)
    fresh_stats: dict[str, Any] = field(default_factory=dict)


def comparable(findings: list[Finding]) -> list[dict[str, Any]]:
    dumped = [finding.model_dump(mode="json") for finding in findings]
    return sorted(dumped, key=lambda item: repr(sorted(item.items())))


def normal_run(
    check_id: str, paths: list[str], config: Any = NO_CONFIG, model: str | None = None
) -> Outcome:
    report = ftqa.check(
        paths,
        config=config,
        select=[check_id],
        model=model,
        dataset_level_findings=False,
        max_findings_per_rule=UNCAPPED,
        examples=True,
    )
    return Outcome(comparable(report.findings), report.stats.get(check_id, {}))


def _records(paths: list[str], normalizer: Normalizer) -> list[Record]:
    records = []
    for path in paths:
        for record in open_path(path).records():
            record.split = "train"
            normalizer.normalize(record)
            records.append(record)
    return records


def map_then_reduce(
    check_id: str, paths: list[str], config: Any = NO_CONFIG, model: str | None = None
) -> Outcome:
    overrides = {"select": [check_id], "dataset_level_findings": False}
    settings = load_settings(config, None, overrides)
    cls = load_checker(check_id)
    assert cls.pure_map, f"{check_id} is not ported to map/reduce"
    context = CheckContext(files=tuple(os.fspath(path) for path in paths), model=model)
    options = settings.options_for(check_id)
    run = RunContext(model=model, options={check_id: options})
    mapper = cls(options, context)
    fresh_stats = mapper.stats()
    records = _records(paths, Normalizer(settings.read_options, settings.forced_format))
    needs = frozenset(cls.needs)
    results: list[tuple[Record, RowResult | None]] = []
    for record in reversed(records):
        if not (record.readable and record.row >= 0) and not cls.sees_unreadable_rows:
            continue
        result = mapper.map(record, Provided(record, run).allow(needs))
        assert record.cache == {}, f"map wrote to record.cache: {sorted(record.cache)}"
        assert record.measures == {}, f"map wrote to record.measures: {sorted(record.measures)}"
        if result is not None and result.features is not None:
            assert pickle.loads(pickle.dumps(result.features)) == result.features
        results.append((record, result))
    results.reverse()
    reducer = cls(options, context)
    files = {os.fspath(path): rank for rank, path in enumerate(paths)}
    keyed = [
        (RowKey(record.split, record.file, record.row, record.line), result)
        for record, result in results
    ]
    keyed.sort(key=lambda item: item[0].sort_key(files.get(item[0].file, 0)))
    findings: list[Finding] = []
    measures: dict[tuple[str, int], dict[str, Any]] = {}
    for key, result in keyed:
        if result is None:
            continue
        findings.extend(result.findings)
        if result.features is not None:
            reducer.reduce(key, result.features)
        if result.measures:
            measures[(key.file, key.row)] = dict(result.measures)
    findings.extend(reducer.finish())
    return Outcome(
        comparable(findings),
        outbound_value(reducer.stats(), excerpts=True),
        measures,
        mapper.stats(),
        fresh_stats,
    )


def assert_same(check_id: str, paths: list[str], **kwargs: Any) -> Outcome:
    """The hand-run map/reduce reports what a normal run reports; the mapper kept no state."""
    paths = [os.fspath(path) for path in paths]
    expected = normal_run(check_id, paths, **kwargs)
    got = map_then_reduce(check_id, paths, **kwargs)
    assert got.findings == expected.findings
    assert got.stats == expected.stats
    assert got.mapper_stats == got.fresh_stats, "map changed the checker's state"
    return got
