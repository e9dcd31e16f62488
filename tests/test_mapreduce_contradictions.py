"""`contradictions` on the map/reduce contract: `map` is pure and the reduce side alone rebuilds
the report.

Every row of the contradiction fixtures (tests/data/contradictions/) is mapped by one checker
instance, in a shuffled order; a fresh instance reduces the features (after a pickle round trip)
in row order; its findings and statistics must equal those of a normal `ftqa.check` run
(tests/mapreduce.py). `map` gives no row findings or measures, and the texts in the features
must hold no planted secret or personal data (features are cached on disk and sent between
processes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import DATA
from ftqa.checker import CheckContext
from ftqa.checks.contradictions import ContradictionsChecker, ContradictionsOptions
from ftqa.load import open_path
from ftqa.normalize import Normalizer
from ftqa.providers import Provided, RunContext
from ftqa.records import Record
from ftqa.rowresult import RowKey
from mapreduce import comparable, engine_run, map_reduce
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


@pytest.mark.parametrize("seed", [0, 1])
def test_reduce_of_mapped_features_equals_a_normal_run(seed: int) -> None:
    # Not `assert_same`: the statistics hold timings (`seconds`), compared apart.
    got = map_reduce("contradictions", FILES, config=CONFIG, seed=seed)
    assert got.rows_with_features > 20
    assert got.row_findings == []
    assert got.measures == {}

    report = engine_run("contradictions", FILES, config=CONFIG)
    rules = {f.rule for f in report.findings}
    assert {"conflicting-labels", "conflicting-preferences", "conflicting-answers"} <= rules
    assert comparable(got.findings) == comparable(report.findings)
    expected_stats = _without_seconds(report.stats["contradictions"])
    assert expected_stats["rows"] == got.rows_with_features
    assert _without_seconds(got.stats) == expected_stats


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
