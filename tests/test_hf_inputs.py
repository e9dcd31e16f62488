"""Hugging Face `datasets` inputs: save_to_disk folders and hf:// names (offline only)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import ftqa
from ftqa.errors import InputError

datasets = pytest.importorskip("datasets")

REAL = Path(__file__).resolve().parent / "data" / "formats-real"


def _rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (REAL / name).read_text(encoding="utf-8").splitlines()]


def test_a_save_to_disk_folder_is_checked_like_the_file(tmp_path):
    folder = tmp_path / "gsm8k"
    datasets.Dataset.from_list(_rows("gsm8k-train.jsonl")).save_to_disk(str(folder))
    from_folder = ftqa.check(folder, select=["format"])
    from_file = ftqa.check(REAL / "gsm8k-train.jsonl", select=["format"])
    assert from_folder.dataset.format == "question_answer"
    assert from_folder.dataset.rows == from_file.dataset.rows == 6
    assert [f.rule for f in from_folder.findings] == [f.rule for f in from_file.findings]


def test_a_dataset_dict_folder_reads_its_train_split(tmp_path):
    rows = _rows("dolly-15k.jsonl")
    folder = tmp_path / "dolly"
    datasets.DatasetDict(
        {"train": datasets.Dataset.from_list(rows), "test": datasets.Dataset.from_list(rows[:2])}
    ).save_to_disk(str(folder))
    report = ftqa.check(folder, select=["format"])
    assert (report.dataset.format, report.dataset.rows) == ("dolly", len(rows))


def test_a_dataset_dict_without_train_names_its_splits(tmp_path):
    rows = _rows("dolly-15k.jsonl")
    folder = tmp_path / "dolly"
    datasets.DatasetDict(
        {"a": datasets.Dataset.from_list(rows), "b": datasets.Dataset.from_list(rows)}
    ).save_to_disk(str(folder))
    with pytest.raises(InputError, match=r"holds several splits \(a, b\) and no `train`"):
        ftqa.check(folder, select=["format"])


def test_hf_name_not_in_the_cache_is_exit_2_without_downloading(tmp_path):
    env_cache = {"HF_HOME": str(tmp_path / "hf-home")}
    result = subprocess.run(
        [sys.executable, "-m", "ftqa", "check", "hf://no-such-org/no-such-dataset:train"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, **env_cache},
    )
    assert result.returncode == 2
    message = result.stderr.strip()
    assert message.startswith("ftqa: error: hf://no-such-org/no-such-dataset:train: not in the")
    assert "ftqa does not download" in message
    assert "Traceback" not in result.stderr
    assert len(message.splitlines()) == 1


@pytest.mark.parametrize("name", ["hf://", "hf://a/b/c"])
def test_malformed_hf_names(name):
    with pytest.raises(InputError, match="expected hf://ORG/NAME"):
        ftqa.check(name, select=["format"])
