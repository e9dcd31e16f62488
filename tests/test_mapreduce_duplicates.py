"""`duplicates` on the map/reduce contract: `map` is pure and its features (a 16-byte key and a
masked excerpt per row) are plain data; reducing them with a fresh checker in row order gives
the findings and stats of a normal run (tests/mapreduce_dedup.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapreduce_dedup import comparable, engine_run, map_reduce

DATA = Path(__file__).resolve().parent / "data"
CASES = {
    "chat-and-preference": [
        DATA / "duplicates" / "chat.jsonl",
        DATA / "duplicates/preference.jsonl",
    ],
    "csv": [DATA / "duplicates" / "classification.csv"],
    "alpaca-zh": [DATA / "precision" / "llamafactory_alpaca_zh_demo.json"],
    "toolcall-zh": [DATA / "precision" / "llamafactory_glaive_toolcall_zh_demo.json"],
}


@pytest.mark.parametrize("options", [None, {"scope": "prompt", "include_system": False}])
@pytest.mark.parametrize("case", sorted(CASES))
def test_reduce_of_mapped_features_equals_a_normal_run(case: str, options: dict | None) -> None:
    train = CASES[case]
    findings, stats, rows = map_reduce("duplicates", train, options=options)
    report = engine_run("duplicates", train, options=options)
    assert rows == report.stats["rows"]
    assert comparable(findings) == comparable(report.findings)
    assert stats == report.stats["duplicates"]
    if case == "chat-and-preference":
        assert findings  # the fixtures hold duplicates: the comparison is not vacuous


def test_validation_rows_reduce_apart_from_training_rows() -> None:
    train = [DATA / "duplicates" / "chat.jsonl"]
    validation = [DATA / "duplicates" / "alpaca.jsonl", DATA / "duplicates" / "chat.jsonl"]
    findings, stats, _ = map_reduce("duplicates", train, validation, seed=3)
    report = engine_run("duplicates", train, validation)
    assert comparable(findings) == comparable(report.findings)
    assert stats == report.stats["duplicates"]
    assert stats["validation"]["rows"] > 0
