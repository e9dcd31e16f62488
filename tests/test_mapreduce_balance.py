"""`balance` on the map/reduce contract: `map` is pure and its features round-trip, and
reducing them in row order with a fresh checker gives the findings and statistics of a normal
run, whatever order the rows were mapped in."""

from __future__ import annotations

from pathlib import Path

import pytest

from map_reduce_replay import checked, replay

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
    expected = checked("balance", DATA / name)
    for seed in (0, 1):
        got = replay("balance", DATA / name, seed=seed)
        assert got["findings"] == expected["findings"]
        assert got["stats"] == expected["stats"]
    assert expected["findings"]  # each fixture makes the checker report something
    table = expected["report"].examples
    assert [m["language"] for m in got["measures"]] == list(table["language"])


def test_response_tokens_when_token_length_is_in_the_run():
    options = {"balance": {}, "token_length": {}}
    expected = checked("balance", DATA / "balanced-100.jsonl", options)
    got = replay("balance", DATA / "balanced-100.jsonl", options, seed=2)
    assert got["stats"] == expected["stats"]
    assert got["stats"]["response_length"]["unit"].startswith("tokens")


def test_a_public_preference_dataset():
    path = SHARED / "llamafactory-v1_dpo_demo.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} is not on this machine")
    expected = checked("balance", path)
    got = replay("balance", path, seed=5)
    assert got["findings"] == expected["findings"]
    assert got["stats"] == expected["stats"]
    assert got["stats"]["rows"] > 0
