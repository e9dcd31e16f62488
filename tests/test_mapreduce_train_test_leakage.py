"""`train_test_leakage` on the map/reduce contract: `map` is pure and its features (a masked
excerpt, exact key and MinHash signature per row with `--validation`; n-gram hashes per
training row, and hashes plus masked text per reference row, with `--reference`) are plain data;
reducing them with a fresh checker in row order gives the findings and stats of a normal run
(tests/mapreduce.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapreduce import assert_same, map_reduce

DATA = Path(__file__).resolve().parent / "data"
LEAK = DATA / "train_test_leakage"
PRECISION = DATA / "precision"
REFERENCES = [
    LEAK / name
    for name in (
        "reference_array.json",
        "reference_benchmark.json",
        "reference_clean.jsonl",
        "reference_not_json.jsonl",
        "reference_pretty.json",
        "reference_strings.jsonl",
    )
]
CASES = {
    "validation": ([LEAK / "train.jsonl"], [LEAK / "validation.jsonl"], []),
    "references": ([LEAK / "train.jsonl"], [], REFERENCES),
    "both": ([LEAK / "train.jsonl"], [LEAK / "validation.jsonl"], REFERENCES[:3]),
    "alpaca-zh": (
        [PRECISION / "llamafactory_alpaca_zh_demo.json"],
        [PRECISION / "llamafactory_alpaca_zh_demo_validation.json"],
        [],
    ),
    "commonsense-qa": (
        [PRECISION / "selfinstruct_commonsense_qa.jsonl"],
        [],
        [PRECISION / "selfinstruct_commonsense_qa_reference.jsonl"],
    ),
}
OPTIONS = [None, {"scope": "prompt", "near": False, "reference_ngram": 8}]


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_reduce_of_mapped_features_equals_a_normal_run(case: str, options: dict | None) -> None:
    train, validation, references = CASES[case]
    config = {"train_test_leakage": options} if options else None
    got, _ = assert_same(
        "train_test_leakage", train, validation, references, config=config, seeds=(5,)
    )
    if case in ("both", "references"):
        rules = {finding.rule for finding in got.findings}
        assert "reference-contamination" in rules  # not a vacuous comparison


def test_without_validation_or_references_no_row_has_features() -> None:
    got = map_reduce("train_test_leakage", [LEAK / "train.jsonl"])
    assert (got.findings, got.stats, got.rows_with_features) == ([], {}, 0)
