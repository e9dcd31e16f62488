"""`content` on the map/reduce contract: a pure `map`, and a fresh instance that reduces the
features in row order reports what a normal run reports (see `tests/mapreduce.py`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapreduce import assert_same

PRECISION = Path(__file__).parent / "data" / "precision"


@pytest.mark.parametrize(
    "names",
    [
        ["llamafactory_v1_sft_demo.jsonl"],  # refusal boilerplate in replies
        ["code_alpaca.jsonl", "llamafactory_alpaca_zh_demo_validation.json"],  # two files
    ],
)
def test_content_map_reduce_matches_a_normal_run(names: list[str]) -> None:
    got, _ = assert_same("content", [PRECISION / name for name in names])
    assert got.findings, "the files hold content findings to compare"
    assert sum(got.stats.values()) == len(got.findings)
