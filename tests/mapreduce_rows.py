"""Run one ported checker by hand, map apart from reduce, as a distributed engine would.

Every row of real files is mapped by one checker instance in a shuffled order; the features go
through pickle (the on-disk cache and the process pipes) and are reduced, in row order, by a
FRESH instance. `MapReduced` holds what that gives, for a test to compare with `ftqa.check`.
"""

from __future__ import annotations

import pickle
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ftqa
from ftqa.checker import CheckContext, Checker
from ftqa.config import load_settings
from ftqa.finding import Finding
from ftqa.load import Limits, open_path
from ftqa.normalize import Normalizer
from ftqa.providers import Provided, RunContext
from ftqa.records import Record
from ftqa.rowresult import RowKey


@dataclass
class MapReduced:
    findings: list[Finding] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    rows_with_features: int = 0


def _records(paths: list[Path]) -> list[Record]:
    normalizer = Normalizer()
    records = []
    for path in paths:
        for record in open_path(str(path), Limits()).records():
            normalizer.normalize(record)
            records.append(record)
    return records


def map_then_reduce(cls: type[Checker], paths: list[Path], seed: int = 7) -> MapReduced:
    settings = load_settings({})
    options = settings.options_for(cls.id)
    context = CheckContext(files=tuple(str(path) for path in paths))
    run = RunContext(options={cls.id: options})
    mapper = cls(options, context)
    stats_before = mapper.stats()
    records = _records(paths)
    order = list(range(len(records)))
    random.Random(seed).shuffle(order)
    out = MapReduced()
    keyed: list[tuple[tuple[int, int, int], RowKey, Any]] = []
    ranks = {str(path): rank for rank, path in enumerate(paths)}
    for index in order:
        record = records[index]
        if not (record.readable and record.row >= 0) and not cls.sees_unreadable_rows:
            continue
        result = mapper.map(record, Provided(record, run).allow(frozenset(cls.needs)))
        assert record.cache == {}, "map wrote into the record's cache"
        assert record.measures == {}, "map wrote into the record's measures"
        if result is None:
            continue
        out.findings.extend(result.findings)
        if result.features is not None:
            assert pickle.loads(pickle.dumps(result.features)) == result.features
            key = RowKey(record.split, record.file, record.row, record.line)
            keyed.append((key.sort_key(ranks[record.file]), key, pickle.dumps(result.features)))
    assert mapper.stats() == stats_before, "map changed the checker"
    reducer = cls(options, context)
    for _, key, features in sorted(keyed, key=lambda item: item[0]):
        reducer.reduce(key, pickle.loads(features))
    out.findings.extend(reducer.finish())
    out.stats = reducer.stats()
    out.extras = reducer.extras()
    out.rows_with_features = len(keyed)
    return out


def shown(findings: list[Finding]) -> list[tuple[Any, ...]]:
    """Findings as the report shows them, in a stable order."""
    return sorted(
        (f.rule, f.file, f.line, f.row, f.field, f.message, f.evidence, f.fix) for f in findings
    )


def checked(cls: type[Checker], paths: list[Path]) -> ftqa.Report:
    """A normal run of that checker alone, every finding listed."""
    return ftqa.check(
        [str(path) for path in paths],
        config={},
        select=[cls.id],
        max_findings_per_rule=100_000,
        dataset_level_findings=False,
    )
