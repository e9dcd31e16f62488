"""`leakage` on the map/reduce contract: a pure `map`, and a fresh instance that reduces the
features in row order reports what a normal run reports (see `tests/mapreduce.py`): detected
separators and stop sequences, stop tokens that end most replies, dominant system prompts and
prompt scaffolds, line endings. The row's measures come from `map`, and the `system_prompt`
measure is what `ftqa.providers.leakage` gives for the row."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ftqa.formats.base import ReadOptions
from ftqa.load import open_path
from ftqa.normalize import Normalizer
from ftqa.providers import Provided, RunContext
from ftqa.providers.leakage import SYSTEM_PROMPT_ID, TEMPLATE_TOKENS
from ftqa.registry import load_checker
from mapreduce import assert_same

DATA = Path(__file__).parent / "data"
LEAKAGE = DATA / "leakage"
PRECISION = DATA / "precision"


@pytest.mark.parametrize("path", sorted(LEAKAGE.iterdir()), ids=lambda path: path.name)
def test_leakage_map_reduce_matches_a_normal_run_on_every_fixture(path: Path) -> None:
    assert_same("leakage", [path])


@pytest.mark.parametrize(
    "names",
    [
        ["gsm8k_train.jsonl"],  # prompt/completion: detected separators and stop sequences
        ["openai_toy_chat.jsonl", "llamafactory_v1_sft_demo.jsonl"],
        ["llamafactory_glaive_toolcall_zh_demo.json"],
    ],
)
def test_leakage_map_reduce_matches_a_normal_run_on_real_data(names: list[str]) -> None:
    got, _ = assert_same("leakage", [PRECISION / name for name in names])
    assert got.measures, "every row has measures"


def test_leakage_map_reduce_with_a_model_and_configured_separators() -> None:
    config = {"leakage": {"separator": "\n\n###\n\n", "stop-sequence": " END"}}
    assert_same("leakage", [PRECISION / "gsm8k_train.jsonl"], config=config)
    assert_same("leakage", [LEAKAGE / "chat_tokens.jsonl"], model="gpt-4o-mini")


@pytest.mark.parametrize(
    "path",
    [
        PRECISION / "openai_toy_chat.jsonl",
        LEAKAGE / "chat_tokens.jsonl",
        LEAKAGE / "classification.csv",
        LEAKAGE / "alpaca.jsonl",
    ],
    ids=lambda path: path.name,
)
def test_measures_are_the_provider_values(path: Path) -> None:
    """`constraints` reads `system_prompt` and `template_tokens` through the providers; they
    give what the checker measures."""
    got, _ = assert_same("leakage", [path])
    run = RunContext(options={"leakage": load_checker("leakage").Options()})
    normalizer = Normalizer(ReadOptions(), None)
    totals = {"system_prompt": 0, "template_tokens": 0}
    for record in open_path(os.fspath(path)).records():
        normalizer.normalize(record)
        measures = got.measures[("train", record.file, record.row)]
        provided = Provided(record, run)
        assert measures.get("system_prompt") == provided(SYSTEM_PROMPT_ID)
        assert measures["template_tokens"] == provided(TEMPLATE_TOKENS)
        totals["system_prompt"] += measures.get("system_prompt") is not None
        totals["template_tokens"] += measures["template_tokens"]
    assert any(totals.values()), "the file has something to measure"
