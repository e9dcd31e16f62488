"""The `train_test_leakage` checker: validation rows that repeat training rows, and training rows
that contain text of reference (benchmark) files.

Fixtures in tests/data/train_test_leakage/:

train.jsonl — 9 support/knowledge rows; line 5 answers why cards are declined, line 6 how to
cancel a subscription, line 7 a double charge, line 9 explains photosynthesis.
validation.jsonl — 1 clean · 2 training line 3 in lower case (exact) · 3 training line 7 with
three words changed (near) · 4 clean · 5 training line 6's question with another answer.
validation_clean.jsonl — lines 1 and 4 of validation.jsonl.
reference_benchmark.json — one JSON object (not a known format) whose `items` hold training
line 9's question and the start of its answer.
reference_strings.jsonl — a JSON string quoting training line 5's answer, and a JSON array.
reference_array.json — a JSON array of strings; the first quotes training line 6.
reference_clean.jsonl — unrelated questions.
reference_pretty.json — reference_benchmark.json pretty-printed over 16 lines (unreadable:
a .json file that is not an array is read as JSON Lines).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import ftqa
from conftest import run_cli
from ftqa.checker import CheckContext
from ftqa.checks.train_test_leakage import (
    TrainTestLeakageChecker,
    TrainTestLeakageOptions,
    _GramStore,
)
from ftqa.finding import Severity

DATA = Path(__file__).resolve().parent / "data" / "train_test_leakage"
TRAIN = DATA / "train.jsonl"


def _check(
    validation: str | None = None, references: list[str] | None = None, **options: object
) -> ftqa.Report:
    config: dict[str, object] = {"select": ["train_test_leakage"]}
    if options:
        config["train_test_leakage"] = options
    return ftqa.check(
        TRAIN,
        DATA / validation if validation else None,
        reference=[DATA / name for name in references] if references else None,
        config=config,
    )


def _found(report: ftqa.Report, rule: str) -> list[tuple[str, int | None]]:
    return [(Path(f.file or "").name, f.line) for f in report.findings if f.rule == rule]


# -- validation vs training -------------------------------------------------------------------


def test_validation_leaks_are_reported_with_both_locations_through_the_cli():
    result = run_cli(
        "check", str(TRAIN), "--validation", str(DATA / "validation.jsonl"),
        "--format", "json", "--select", "train_test_leakage",
    )  # fmt: skip
    assert result.returncode == 1, result.stderr  # an exact leak is an error
    findings = json.loads(result.stdout)["findings"]
    assert [(f["rule"], f["line"], f["rows"], f["severity"]) for f in findings] == [
        ("validation-row-in-training", 2, [1], "error"),
        ("validation-row-near-training", 3, [2], "warning"),
    ]
    exact, near = findings
    assert Path(exact["file"]).name == "validation.jsonl"
    assert exact["message"] == f"this validation row repeats training row {TRAIN}:3"
    assert near["message"].startswith(
        f"this validation row is a near duplicate of training row {TRAIN}:7 "
        "(estimated similarity 0."
    )


def test_same_question_with_another_answer_is_not_a_leak_of_the_example():
    report = _check("validation.jsonl")
    flagged = {f.line for f in report.findings}
    assert flagged == {2, 3}
    stats = report.stats["train_test_leakage"]["validation"]
    assert stats == {"rows": 5, "in_training": 1, "near_training": 1, "scope": "example"}


def test_prompt_scope_reports_a_validation_question_asked_in_training():
    report = _check("validation.jsonl", scope="prompt")
    assert _found(report, "validation-row-in-training") == [
        ("validation.jsonl", 2),
        ("validation.jsonl", 5),
    ]


def test_a_clean_validation_file_passes():
    result = run_cli(
        "check", str(TRAIN), "--validation", str(DATA / "validation_clean.jsonl"),
        "--select", "train_test_leakage",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_near_can_be_switched_off():
    report = _check("validation.jsonl", near=False)
    assert _found(report, "validation-row-near-training") == []
    assert len(_found(report, "validation-row-in-training")) == 1


# -- reference files --------------------------------------------------------------------------


def test_reference_files_of_any_shape_are_checked_one_by_one():
    report = _check(
        references=[
            "reference_benchmark.json",
            "reference_strings.jsonl",
            "reference_array.json",
            "reference_clean.jsonl",
        ]
    )
    findings = [f for f in report.findings if f.rule == "reference-contamination"]
    assert [(f.line, Path(f.message.split("reference file ")[1].split(" ")[0]).name)
            for f in findings] == [
        (5, "reference_strings.jsonl"),
        (6, "reference_array.json"),
        (9, "reference_benchmark.json"),
    ]  # fmt: skip
    assert all(f.severity is Severity.ERROR for f in findings)
    assert findings[2].message.startswith("shares 26 13-word sequences with reference file")
    assert findings[2].message.endswith("(first match: its line 1)")
    per_file = {
        Path(entry["file"]).name: entry
        for entry in report.stats["train_test_leakage"]["references"]
    }
    assert per_file["reference_clean.jsonl"]["training_rows_contaminated"] == 0
    assert per_file["reference_benchmark.json"]["training_rows_contaminated"] == 1
    assert per_file["reference_array.json"]["reference_rows_matched"] == 1


def test_reference_through_the_cli():
    result = run_cli(
        "check", str(TRAIN), "--reference", str(DATA / "reference_benchmark.json"),
        "--format", "json", "--select", "train_test_leakage",
    )  # fmt: skip
    assert result.returncode == 1
    (finding,) = json.loads(result.stdout)["findings"]
    assert (finding["rule"], finding["line"], finding["rows"]) == (
        "reference-contamination",
        9,
        [8],
    )


def test_a_clean_reference_passes():
    assert _check(references=["reference_clean.jsonl"]).findings == []


def test_an_unreadable_reference_file_is_not_silently_skipped():
    report = _check(references=["reference_not_json.jsonl"])
    (finding,) = report.findings
    assert (finding.rule, finding.severity, finding.line) == (
        "unreadable-reference",
        Severity.WARNING,
        1,
    )
    assert finding.message.startswith("none of the 3 rows of reference file")


def test_a_pretty_printed_json_reference_is_read_as_one_document():
    report = _check(references=["reference_pretty.json"])
    assert {finding.rule for finding in report.findings} == {"reference-contamination"}


def test_ngram_size_and_minimum_matches():
    assert _found(_check(references=["reference_strings.jsonl"], reference_min_matches=6),
                  "reference-contamination") == []  # fmt: skip
    assert _found(_check(references=["reference_strings.jsonl"], reference_min_matches=5),
                  "reference-contamination") == [("train.jsonl", 5)]  # fmt: skip
    # "What is the boiling point of water …" shares 8-grams with nothing in training either.
    assert _found(_check(references=["reference_clean.jsonl"], reference_ngram=8),
                  "reference-contamination") == []  # fmt: skip


def test_nothing_is_kept_without_validation_or_references():
    checker = TrainTestLeakageChecker(TrainTestLeakageOptions(), CheckContext(files=("t",)))
    report = ftqa.check(TRAIN, select=["train_test_leakage"])
    assert report.findings == []
    assert report.stats.get("train_test_leakage") is None
    assert len(checker._log) == 0


def test_gram_store_samples_the_same_hashes_everywhere_when_over_budget():
    words = [f"w{i}" for i in range(400)]
    store = _GramStore(13, None)
    store.limit = 300  # entries, not megabytes: force sampling
    for start in range(0, 400, 100):
        store.add(" ".join(words[start : start + 100]))
    hashes, rows = store.arrays()
    assert store.shift >= 1
    assert len(hashes) <= 300
    assert (hashes < np.uint64(1 << (64 - store.shift))).all()
    full = _GramStore(13, None)
    full.add(" ".join(words[:100]))
    all_hashes, _ = full.arrays()
    kept, _ = store.sample(all_hashes, np.zeros(len(all_hashes), dtype=np.int64))
    assert set(kept.tolist()) == set(hashes[rows == 0].tolist())
    assert store.rate_text() == f"1 in {1 << store.shift} n-grams kept"


def test_bad_option_is_a_config_error():
    with pytest.raises(ftqa.ConfigError):
        _check("validation.jsonl", reference_ngram=1)


def test_a_validation_set_of_exact_copies_is_reported_once_per_row(tmp_path):
    validation = tmp_path / "validation.jsonl"
    validation.write_text(TRAIN.read_text().splitlines()[3] + "\n")
    report = ftqa.check(TRAIN, validation, select=["train_test_leakage"])
    assert [c.status for c in report.checks if c.id == "train_test_leakage"] == ["ran"]
    assert [(f.rule, f.line) for f in report.findings] == [("validation-row-in-training", 1)]


def test_rows_cached_by_a_run_without_companions_are_mapped_again_with_them(tmp_path, monkeypatch):
    """The row cache must not hand a run with --validation/--reference the features of a run
    without them (no pair features, no n-grams): the leaks would be missed silently."""
    monkeypatch.setenv("FTQA_ROW_CACHE", str(tmp_path / "rows"))
    alone = ftqa.check(TRAIN, config={"select": ["train_test_leakage"]})
    assert alone.findings == []
    with_reference = _check(references=["reference_benchmark.json"])
    assert _found(with_reference, "reference-contamination") == [("train.jsonl", 9)]
    with_validation = _check("validation.jsonl")
    assert _found(with_validation, "validation-row-in-training") == [("validation.jsonl", 2)]
