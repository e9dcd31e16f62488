"""`encoding` on the map/reduce contract: a pure `map`, and a fresh instance that reduces the
features in row order reports what a normal run reports (see `tests/mapreduce.py`), including the
dataset-wide NFD/NFC verdict that needs every row."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapreduce import assert_same

DATA = Path(__file__).parent / "data"
ENCODING = DATA / "encoding"


@pytest.mark.parametrize(
    "names",
    [
        ["mixed-normalization.jsonl"],
        ["mojibake.jsonl", "bidi-control.jsonl", "invisible-character.jsonl"],
        ["mostly-non-printable.jsonl", "replacement-character.jsonl", "nfd-only.jsonl"],
    ],
)
def test_encoding_map_reduce_matches_a_normal_run(names: list[str]) -> None:
    got, _ = assert_same("encoding", [ENCODING / name for name in names])
    assert got.findings, "the files hold encoding findings to compare"


def test_encoding_map_reduce_with_require_nfc() -> None:
    config = {"encoding": {"require-nfc": True}}
    got, _ = assert_same("encoding", [ENCODING / "nfd-only.jsonl"], config=config)
    assert {finding.rule for finding in got.findings} == {"mixed-normalization"}


def test_encoding_map_reduce_on_real_multilingual_data() -> None:
    assert_same("encoding", [DATA / "precision" / "llamafactory_glaive_toolcall_zh_demo.json"])
