"""Replaying a checker on the map/reduce contract by hand, for tests/test_mapreduce_*.py: map
every row of a real file (in a shuffled order, with one checker instance), then reduce the
features in row order with a fresh instance, and compare with a normal `ftqa.check` run."""

from __future__ import annotations

import json
import pickle
import random
from pathlib import Path
from typing import Any

import ftqa
from ftqa.checker import CheckContext, Checker, Options
from ftqa.finding import Finding
from ftqa.load import open_path
from ftqa.normalize import Normalizer
from ftqa.providers import Provided, RunContext
from ftqa.records import Record
from ftqa.registry import load_checker
from ftqa.rowresult import RowKey, RowResult


def _records(path: Path) -> list[Record]:
    normalizer = Normalizer()
    records = []
    for record in open_path(path).records():
        record.split = "train"
        normalizer.normalize(record)
        if record.readable and record.row >= 0:
            records.append(record)
    return records


def _shown(finding: Finding) -> tuple[Any, ...]:
    return (finding.rule, finding.line, finding.row, finding.field, finding.message)


def replay(
    check_id: str,
    path: Path,
    options: dict[str, dict[str, Any]] | None = None,
    model: str | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Map, shuffle, reduce; assert what the contract promises on the way. `options`: every
    checker of the run by id (the run's `RunContext.options`), `check_id`'s included."""
    tables = options or {check_id: {}}
    validated: dict[str, Options] = {
        name: load_checker(name).Options(**table) for name, table in tables.items()
    }
    cls: type[Checker] = load_checker(check_id)
    context = CheckContext(files=(str(path),), model=model)
    run = RunContext(model=model, options=validated, active=frozenset(validated))
    mapper = cls(validated[check_id], context)
    records = _records(path)
    order = list(range(len(records)))
    random.Random(seed).shuffle(order)
    results: dict[int, RowResult | None] = {}
    for index in order:
        record = records[index]
        result = mapper.map(record, Provided(record, run).allow(frozenset(cls.needs)))
        assert record.cache == {}, "map wrote to record.cache"
        assert record.measures == {}, "map wrote to record.measures"
        if result is not None and result.features is not None:
            again = pickle.loads(pickle.dumps(result.features))
            assert again == result.features, "features do not survive serialisation"
            results[index] = RowResult(result.findings, again, result.measures)
        else:
            results[index] = result
    reducer = cls(validated[check_id], context)
    findings = []
    measures = []
    for index, record in enumerate(records):
        result = results[index]
        if result is None:
            measures.append(None)
            continue
        findings.extend(result.findings)
        measures.append(result.measures)
        if result.features is not None:
            reducer.reduce(RowKey("train", record.file, record.row, record.line), result.features)
    findings.extend(reducer.finish())
    return {
        "findings": sorted(map(_shown, findings), key=repr),
        "stats": json.loads(json.dumps(reducer.stats(), default=str)),
        "extras": reducer.extras(),
        "measures": measures,
    }


def checked(
    check_id: str,
    path: Path,
    options: dict[str, dict[str, Any]] | None = None,
    model: str | None = None,
) -> dict[str, Any]:
    """The same checker through `ftqa.check` (selected with every checker in `options`)."""
    tables = options or {check_id: {}}
    report = ftqa.check(path, config=tables, select=list(tables), model=model, examples=True)
    status = {run.id: run.status for run in report.checks}
    assert status[check_id] == "ran", report.checks
    data = json.loads(report.to_json())
    return {
        "findings": sorted((_shown(f) for f in report.findings if f.check == check_id), key=repr),
        "stats": data["stats"].get(check_id, {}),
        "report": report,
    }
