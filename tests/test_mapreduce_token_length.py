"""`token_length` on the map/reduce contract: `map` is pure and its features round-trip, and
reducing them in row order with a fresh checker gives the report of a normal run, whatever order
the rows were mapped in (real files: the fixtures and a public dataset)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapreduce import assert_same

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "token_length"
SHARED = Path("/work/shared/data")
LIMIT60 = {"token_length": {"max_tokens": 60}}


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("over-token-limit.jsonl", LIMIT60),
        ("nothing-to-train.jsonl", LIMIT60),
        ("near-token-limit.jsonl", LIMIT60),
        ("length-outlier.jsonl", None),
        ("completion-empty-after-tokenization.jsonl", None),
    ],
)
def test_replayed_rows_give_the_report_of_a_run(name, options):
    got, report = assert_same("token_length", [DATA / name], config=options, seeds=(0, 1))
    assert got.findings  # each fixture makes the checker report something
    tokens = [measures["tokens_total"] for measures in got.measures.values()]
    assert tokens == list(report.examples["tokens_total"])


def test_a_public_dataset_with_tools_and_an_estimated_model():
    path = SHARED / "llamafactory-glaive_toolcall_zh_demo.json"
    if not path.is_file():
        pytest.skip(f"{path} is not on this machine")
    model = "some-model-ftqa-does-not-know"
    got, _ = assert_same("token_length", [path], model=model, seeds=(3,))
    assert any(f.rule == "estimated-token-counts" for f in got.findings)
    # the cost range scales other tokenizers' totals over rows sampled in map
    assert any("approximate" in row for row in got.stats["cost_range"])
