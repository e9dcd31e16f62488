"""Executors are interchangeable: `local` (one process) and `process` (worker processes over
newline-aligned chunks of each file) give the same report, field by field, timings and the
`stats.engine` note of how the run was executed aside. So do a cold run and a warm run of the
row cache. Real files, real worker processes: the planted-defect generator's output, the
public datasets in `shared/data` when present, and every hostile-input fixture.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

import ftqa
from ftqa.engine.process import ProcessExecutor
from ftqa.report_compare import run_independent

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SHARED = ROOT.parent / "shared" / "data"
HOSTILE_DIRS = ("format", "encoding", "secrets", "pii", "leakage", "duplicates")
SUFFIXES = (".jsonl", ".json", ".csv", ".tsv", ".gz", ".parquet")


def comparable(report: ftqa.Report) -> Any:
    """The report's data without timings, cache counters and `stats.engine`."""
    return run_independent(json.loads(report.to_json()))


def assert_same(left: ftqa.Report, right: ftqa.Report) -> None:
    one, other = comparable(left), comparable(right)
    for key in sorted(set(one) | set(other)):
        assert one.get(key) == other.get(key), f"reports differ in {key!r}"


def hostile_files() -> list[str]:
    files = []
    for name in HOSTILE_DIRS:
        for path in sorted((DATA / name).rglob("*")):
            if path.is_file() and path.name.endswith(SUFFIXES) and "expected" not in path.name:
                files.append(str(path))
    return files


def _pair(
    paths: Any, chunk_bytes: int = 64 << 10, **options: Any
) -> tuple[ftqa.Report, ftqa.Report]:
    local = ftqa.check(paths, executor="local", cache=False, **options)
    chunked = ProcessExecutor(2, chunk_bytes=chunk_bytes)
    process = ftqa.check(paths, executor=chunked, cache=False, **options)
    assert process.stats["engine"]["executor"] == "process"
    assert "note" not in process.stats["engine"], process.stats["engine"]
    return local, process


# Small chunks (tens of rows each) and chunks of hundreds of rows: a checker that treats a
# file's first rows apart (token_length samples them) sees the same rows either way.
@pytest.mark.parametrize("chunk_bytes", [64 << 10, 1 << 20])
def test_generated_dataset_same_report_on_every_executor(generated: Path, chunk_bytes: int):
    local, process = _pair(str(generated), chunk_bytes, examples=True)
    assert local.findings, "the generator plants defects"
    assert_same(local, process)
    assert local.examples.equals(process.examples)


def test_hostile_fixtures_same_report_on_every_executor():
    files = hostile_files()
    assert len(files) > 50
    local, process = _pair(files)
    assert_same(local, process)


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared/data is beside the checkout only")
def test_public_datasets_same_report_on_every_executor():
    files = [str(path) for path in sorted(SHARED.iterdir()) if path.suffix in SUFFIXES]
    local, process = _pair(files)
    assert_same(local, process)


def test_validation_and_reference_files_are_mapped_by_workers_too(generated: Path):
    reference = DATA / "train_test_leakage"
    references = [str(p) for p in sorted(reference.rglob("*.jsonl"))][:2]
    local, process = _pair(str(generated), validation=str(generated), reference=references)
    assert_same(local, process)


def test_cold_and_warm_row_cache_give_the_same_report(generated: Path, tmp_path: Path):
    folder = tmp_path / "cache"
    cold = ftqa.check(str(generated), cache=folder, executor="local")
    assert (folder / "rows.sqlite3").is_file()
    warm = ftqa.check(str(generated), cache=folder, executor="local")
    uncached = ftqa.check(str(generated), cache=False, executor="local")
    assert_same(cold, uncached)
    assert_same(warm, uncached)
    assert warm.stats["engine"]["cache"]["hits"] > 0


def test_a_small_edit_maps_only_the_changed_rows(generated: Path, tmp_path: Path):
    folder = tmp_path / "cache"
    work = tmp_path / "data.jsonl"
    lines = generated.read_bytes().splitlines(keepends=True)
    work.write_bytes(b"".join(lines))
    ftqa.check(str(work), cache=folder, executor="local")
    lines[10] = (
        b'{"messages": [{"role": "user", "content": "edited"}, '
        b'{"role": "assistant", "content": "changed"}]}\n'
    )
    lines.insert(20, lines[30])  # an inserted row moves every later row down one line
    work.write_bytes(b"".join(lines))
    warm = ftqa.check(str(work), cache=folder, executor="local")
    # The edited row, and the rows the insert moved into or out of a place token_length
    # samples (the first 200 rows, then every 100th: `cache_variant`), are mapped again.
    assert warm.stats["engine"]["cache"]["misses"] <= 1 + 2 * len(lines) // 100
    assert warm.stats["engine"]["cache"]["hits"] >= len(lines) - 1 - 2 * len(lines) // 100
    assert_same(warm, ftqa.check(str(work), cache=False, executor="local"))


def test_a_warm_row_cache_follows_the_run_s_other_inputs(tmp_path: Path):
    # train_test_leakage maps training rows one way with a validation file and another with a
    # reference file: a row cached by one run must not answer for the other.
    data = DATA / "train_test_leakage"
    train, validation = data / "train.jsonl", data / "validation.jsonl"
    references = [data / "reference_strings.jsonl", data / "reference_benchmark.json"]
    folder = tmp_path / "cache"
    ftqa.check(train, validation, cache=folder, select=["train_test_leakage"])
    warm = ftqa.check(train, reference=references, cache=folder, select=["train_test_leakage"])
    cold = ftqa.check(train, reference=references, cache=False, select=["train_test_leakage"])
    assert [f.rule for f in cold.findings].count("reference-contamination") == 2
    assert_same(warm, cold)


def test_damaged_row_cache_entries_are_misses_not_crashes(tmp_path: Path):
    import sqlite3

    data = DATA / "train_test_leakage" / "train.jsonl"
    folder = tmp_path / "cache"
    cold = ftqa.check(data, cache=folder, executor="local")
    with sqlite3.connect(folder / "rows.sqlite3") as db:
        keys = [key for (key,) in db.execute("SELECT key FROM rows ORDER BY key")]
        damaged = [
            b"",
            b"\xff\xff\xff\x7f" + b"x" * 40,  # claims a 2 GB value
            b"\x10\x00\x00\x00" + b"\x00" * 3,  # truncated
        ]
        for index, key in enumerate(keys):
            db.execute(
                "UPDATE rows SET value = ? WHERE key = ?", (damaged[index % len(damaged)], key)
            )
    warm = ftqa.check(data, cache=folder, executor="local")
    assert warm.stats["engine"]["cache"]["hits"] == 0
    assert_same(warm, cold)


def test_short_rows_are_cut_into_chunks_of_a_bounded_number_of_rows(tmp_path: Path):
    from ftqa.load.chunks import plan_ranges

    path = tmp_path / "tiny.jsonl"
    path.write_text("".join(f'{{"text": "q{i}"}}\n' for i in range(50_000)), "utf-8")
    _, size, ranges = plan_ranges(str(path), 8 << 20, max_lines=1000)
    lines = [
        (ranges[i + 1].first_line if i + 1 < len(ranges) else 50_000) - part.first_line
        for i, part in enumerate(ranges)
    ]
    assert all(800 <= count <= 1200 for count in lines[:-1]), lines
    assert sum(lines) == 50_000
    assert ranges[0].start == 0
    assert ranges[-1].end == size
    assert all(a.end == b.start for a, b in itertools.pairwise(ranges))
    _, _, whole = plan_ranges(str(path), 8 << 20)
    assert len(whole) == 1  # without the row bound: one 1 MB range
