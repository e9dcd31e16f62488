"""`balance` on the map/reduce contract: `map` is pure and its features round-trip, and
reducing them in row order with a fresh checker gives the findings and statistics of a normal
run, whatever order the rows were mapped in."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapreduce import assert_same

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "balance"
SHARED = Path("/work/shared/data")


@pytest.mark.parametrize(
    "name",
    [
        "labels-95-5.jsonl",
        "category-95-5.jsonl",
        "language-95-5.jsonl",
        "refusals-30.jsonl",
        "system-prompt-95-5.jsonl",
    ],
)
def test_replayed_rows_give_the_report_of_a_run(name):
    got, report = assert_same("balance", [DATA / name], seeds=(0, 1))
    assert got.findings  # each fixture makes the checker report something
    table = report.examples
    assert [m["language"] for m in got.measures.values()] == list(table["language"])


def test_response_tokens_when_token_length_is_in_the_run():
    path = DATA / "balanced-100.jsonl"
    got, _ = assert_same("balance", [path], run_with=["token_length"], seeds=(2,))
    assert got.stats["response_length"]["unit"].startswith("tokens")


def test_a_public_preference_dataset():
    path = SHARED / "llamafactory-v1_dpo_demo.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} is not on this machine")
    got, _ = assert_same("balance", [path], seeds=(5,))
    assert got.stats["rows"] > 0
