"""`near_duplicates` on the map/reduce contract: `map` is pure and its features (a masked
excerpt, the MinHash signature as bytes, the exact key, the prompt and answer sides) are plain
data; reducing them with a fresh checker in row order gives the findings and stats of a normal
run (tests/mapreduce.py). The LSH banding and the representatives run in `finish`."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapreduce import assert_same

DATA = Path(__file__).resolve().parent / "data"
NEAR = DATA / "near_duplicates"
CASES = {
    "chat": ([NEAR / "chat.jsonl"], []),
    "chat-with-validation": (
        [NEAR / "chat.jsonl", NEAR / "hard_negatives.jsonl"],
        [NEAR / "chat.jsonl"],
    ),
    "alpaca-zh": ([DATA / "precision" / "llamafactory_alpaca_zh_demo.json"], []),
    "wikisql-text": ([DATA / "precision" / "mlx_wikisql_train.jsonl"], []),
    "dpo-zh": ([DATA / "precision" / "llamafactory_dpo_zh_demo.json"], []),
}
OPTIONS = [None, {"scope": "prompt", "include_system": True, "num_perm": 64, "seed": 7}]


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_reduce_of_mapped_features_equals_a_normal_run(case: str, options: dict | None) -> None:
    train, validation = CASES[case]
    config = {"near_duplicates": options} if options else None
    got, _ = assert_same("near_duplicates", train, validation, config=config)
    if case == "chat" and options is None:
        assert [f.lines for f in got.findings] == [[1, 3, 7], [2, 6]]  # not a vacuous comparison


def test_features_stay_small() -> None:
    # The signature (128 x 2 bytes), two sides (at most 48 shingles of 8 bytes, or a 64 x 2
    # byte signature) and an excerpt of at most about 100 characters: no row's text.
    from ftqa.checker import CheckContext
    from ftqa.checks.near_duplicates import NearDuplicatesChecker, NearDuplicatesOptions
    from ftqa.config import load_settings
    from ftqa.load import open_path
    from ftqa.normalize import Normalizer
    from ftqa.providers import Provided, RunContext

    checker = NearDuplicatesChecker(NearDuplicatesOptions(), CheckContext())
    normalizer = Normalizer(load_settings({}).read_options, None)
    sizes = []
    for record in open_path(
        DATA / "precision" / "llamafactory_glaive_toolcall_zh_demo.json"
    ).records():
        record.split = "train"
        normalizer.normalize(record)
        result = checker.map(record, Provided(record, RunContext()))
        assert result is not None
        excerpt, signature, key, prompt, answer, semantic = result.features
        assert len(signature) in (0, 256)
        assert key is None or len(key) == 16
        assert semantic is None
        size = len(excerpt.encode()) + len(signature) + len(prompt[2]) + len(answer[2])
        sizes.append(size)
    assert max(sizes) <= 256 + 2 * 384 + 200
