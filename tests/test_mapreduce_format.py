"""`format` on the map/reduce contract: a pure `map`, and a fresh instance that reduces the
features in row order reports what a normal run reports (see `tests/mapreduce.py`): unreadable
rows, file-level findings, mixed formats, undetectable rows, mappings and table columns. Table
rows are validated one by one now; the row-wise validation gives what pandera's column-wise
validation gives."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ftqa.formats import FORMATS
from ftqa.formats.tables import row_failures, validate_table
from mapreduce import assert_same

DATA = Path(__file__).parent / "data"
FORMAT = DATA / "format"
CASES = sorted(
    path for path in FORMAT.glob("*/*") if path.name != "expected.json" and path.suffix != ".py"
)


@pytest.mark.parametrize("path", CASES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_format_map_reduce_matches_a_normal_run_on_every_fixture(path: Path) -> None:
    assert_same("format", [path])


def test_format_map_reduce_over_several_files_and_real_data() -> None:
    paths = [
        FORMAT / "mixed-formats" / "fires.jsonl",
        FORMAT / "undetectable-format" / "fires-whole-file.jsonl",
        FORMAT / "wrong-type" / "fires-parquet.parquet",
        DATA / "precision" / "llamafactory_dpo_zh_demo.json",
        DATA / "leakage" / "classification.csv",
    ]
    got, _ = assert_same("format", paths)
    assert {"mixed-formats", "undetectable-format", "wrong-type"} <= {
        finding.rule for finding in got.findings
    }
    assert got.stats["labels"]
    assert got.stats["roles"]


TRICKY: list[Any] = [
    "text", "", "   ", None, math.nan, pd.NA, pd.NaT, 0, 1.5, True, ["a"], {"k": "v"}, ("t",),
]  # fmt: skip


@pytest.mark.parametrize("name", ["completion", "classification", "chat", "preference"])
def test_row_failures_agree_with_pandera(name: str) -> None:
    fmt = FORMATS[name]
    rows = []
    for value in TRICKY:
        for column in fmt.columns:
            rows.append({other.name: (value if other is column else _valid(other.kind))
                         for other in fmt.columns})  # fmt: skip
    frame = pd.DataFrame(rows, index=range(len(rows)), dtype=object)
    expected = sorted(_key(failure) for failure in validate_table(fmt, frame))
    got = sorted(
        _key(failure) for index, row in enumerate(rows) for failure in row_failures(fmt, row, index)
    )
    assert got == expected
    assert expected, "the tricky values fail somewhere"


def test_row_failures_name_a_missing_required_column_without_a_row() -> None:
    fmt = FORMATS["completion"]
    failures = row_failures(fmt, {"prompt": "p"}, 3)
    assert [(f.rule, f.column, f.index) for f in failures] == [("missing-key", "completion", None)]


def _valid(kind: str) -> Any:
    return {"text": "ok", "label": "ok", "list": [], "object": {}}[kind]


def _key(failure: Any) -> tuple[Any, ...]:
    return (failure.rule, failure.column, failure.index, failure.message, repr(failure.value))
