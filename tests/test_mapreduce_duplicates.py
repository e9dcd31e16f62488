"""`duplicates` on the map/reduce contract: `map` is pure and its features (a 16-byte key and a
masked excerpt per row) are plain data; reducing them with a fresh checker in row order gives
the findings and stats of a normal run (tests/mapreduce.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapreduce import assert_same

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
    config = {"duplicates": options} if options else None
    got, report = assert_same("duplicates", CASES[case], config=config)
    assert got.rows_with_features == report.stats["rows"]
    if case == "chat-and-preference":
        assert got.findings  # the fixtures hold duplicates: the comparison is not vacuous


def test_validation_rows_reduce_apart_from_training_rows() -> None:
    train = [DATA / "duplicates" / "chat.jsonl"]
    validation = [DATA / "duplicates" / "alpaca.jsonl", DATA / "duplicates" / "chat.jsonl"]
    got, _ = assert_same("duplicates", train, validation, seeds=(3,))
    assert got.stats["validation"]["rows"] > 0
