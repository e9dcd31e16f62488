"""`leakage` on the map/reduce contract: a pure `map`, and a fresh instance that reduces the
features in row order reports what a normal run reports (see `tests/rowwise.py`): detected
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
from ftqa.providers import provide
from ftqa.providers.leakage import SYSTEM_PROMPT_ID
from rowwise import assert_same

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
    outcome = assert_same("leakage", [PRECISION / name for name in names])
    assert outcome.measures, "every row has measures"


def test_leakage_map_reduce_with_a_model_and_configured_separators() -> None:
    config = {"leakage": {"separator": "\n\n###\n\n", "stop-sequence": " END"}}
    assert_same("leakage", [PRECISION / "gsm8k_train.jsonl"], config=config)
    assert_same("leakage", [LEAKAGE / "chat_tokens.jsonl"], model="gpt-4o-mini")


def test_system_prompt_measure_is_the_provider_value() -> None:
    path = os.fspath(PRECISION / "openai_toy_chat.jsonl")
    outcome = assert_same("leakage", [path])
    normalizer = Normalizer(ReadOptions(), None)
    seen = 0
    for record in open_path(path).records():
        normalizer.normalize(record)
        measures = outcome.measures[(record.file, record.row)]
        assert measures.get("system_prompt") == provide(record, SYSTEM_PROMPT_ID)
        seen += measures.get("system_prompt") is not None
    assert seen, "the file has system prompts"
