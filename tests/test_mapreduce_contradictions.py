"""`contradictions` on the map/reduce contract: `map` is pure and the reduce side alone rebuilds
the report.

Every row of the contradiction fixtures (tests/data/contradictions/) is mapped by one checker
instance, in reverse order; a fresh instance reduces the features (after a pickle round trip)
in row order; its findings and statistics must equal those of a normal `ftqa.check` run. `map`
must leave the record's cache and measures empty, and the texts in the features must hold no
planted secret or personal data (features are cached on disk and sent between processes).
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import ftqa
from conftest import DATA
from ftqa.checker import CheckContext
from ftqa.checks.contradictions import ContradictionsChecker, ContradictionsOptions
from ftqa.load import open_path
from ftqa.normalize import Normalizer
from ftqa.providers import Provided, RunContext
from ftqa.records import Record
from ftqa.rowresult import RowKey
from planted import build, leaks

FIXTURES = DATA / "contradictions"
FILES = sorted(FIXTURES.glob("*.jsonl"))
# The lexical tiers: the semantic tier's own tests (test_contradictions.py) load the model.
CONFIG = {"contradictions": {"semantic": False}}


def _records(paths: list[Path]) -> list[Record]:
    normalizer = Normalizer()
    records = []
    for path in paths:
        for record in open_path(path).records():
            record.split = "train"
            normalizer.normalize(record)
            if record.readable and record.row >= 0:
                records.append(record)
    return records


def _mapped(records: list[Record], options: ContradictionsOptions) -> list[tuple[RowKey, Any]]:
    """(key, features) of every row that has features, mapped in reverse row order."""
    checker = ContradictionsChecker(options, CheckContext())
    needs = frozenset(ContradictionsChecker.needs)
    out = []
    for record in reversed(records):
        result = checker.map(record, Provided(record, RunContext()).allow(needs))
        assert record.cache == {}
        assert record.measures == {}
        if result is None:
            continue
        assert not result.findings
        assert not result.measures
        key = RowKey(record.split, record.file, record.row, record.line)
        out.append((key, result.features))
    out.reverse()
    return out


def _without_seconds(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_seconds(v) for k, v in value.items() if k != "seconds"}
    return value


def _finding_fields(findings: list[Any]) -> list[tuple[Any, ...]]:
    return sorted(
        (f.rule, f.file, f.line, f.row, f.lines, f.rows, f.message, f.evidence) for f in findings
    )


def test_reduce_of_mapped_features_equals_a_normal_run() -> None:
    paths = [str(path) for path in FILES]
    options = ContradictionsOptions(semantic=False)
    mapped = _mapped(_records([Path(p) for p in paths]), options)
    assert len(mapped) > 20

    reducer = ContradictionsChecker(options, CheckContext(files=tuple(paths)))
    for key, features in mapped:
        copy = pickle.loads(pickle.dumps(features))
        assert copy == features
        reducer.reduce(key, copy)
    findings = list(reducer.finish())

    report = ftqa.check(paths, select=["contradictions"], config=CONFIG)
    expected = [f for f in report.findings if f.check == "contradictions"]
    rules = {f.rule for f in expected}
    assert {"conflicting-labels", "conflicting-preferences", "conflicting-answers"} <= rules
    assert _finding_fields(findings) == _finding_fields(expected)
    expected_stats = _without_seconds(report.stats["contradictions"])
    assert expected_stats["rows"] == len(mapped)
    assert _without_seconds(reducer.stats()) == expected_stats


def test_features_hold_no_planted_secret(tmp_path: Path) -> None:
    corpus = build(tmp_path, seed=7)
    texts: list[str] = []
    for path in corpus.files.values():
        if path.suffix != ".jsonl":
            continue
        for _, features in _mapped(_records([path]), ContradictionsOptions()):
            texts.extend(value for value in features if isinstance(value, str))
    assert len(texts) > 100
    assert leaks(corpus, {"features": "\n".join(texts)}) == []


def test_reference_rows_have_no_features() -> None:
    (record, *_) = _records([FIXTURES / "numeric.jsonl"])
    record.split = "reference"
    checker = ContradictionsChecker(ContradictionsOptions(), CheckContext())
    needs = frozenset(ContradictionsChecker.needs)
    assert checker.map(record, Provided(record, RunContext()).allow(needs)) is None
