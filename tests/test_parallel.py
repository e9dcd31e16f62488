"""Isolated checkers in a worker process (`ftqa.parallel`): the same report as one pass.

Runs go through the real CLI with `FTQA_PARALLEL=1` (worker whatever the file size) and
`FTQA_PARALLEL=0` (one process), and their JSON reports are compared field by field, timings
aside. The fallback is exercised with a real plugin checker that kills the worker process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import ftqa
from ftqa.config import load_settings
from ftqa.engine import Inputs
from ftqa.load import open_memory, open_path
from ftqa.parallel import plan

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"


def _without_timings(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if "seconds" not in k}
    if isinstance(value, list):
        return [_without_timings(item) for item in value]
    return value


def _cli_report(mode: str, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    environment = {**os.environ, **(env or {}), "FTQA_PARALLEL": mode}
    result = subprocess.run(
        [sys.executable, "-m", "ftqa", "check", *args, "--format", "json"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=600,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """Training rows with contradictions, near and exact duplicates and format problems, a
    validation file that overlaps it, and a configuration that changes isolated checkers."""
    work = tmp_path_factory.mktemp("parallel")
    train = work / "train.jsonl"
    parts = [
        (DATA / "contradictions" / "numeric.jsonl").read_text(encoding="utf-8"),
        (DATA / "contradictions" / "refusal.jsonl").read_text(encoding="utf-8"),
        (DATA / "near_duplicates" / "chat.jsonl").read_text(encoding="utf-8"),
        '{"messages": [{"role": "user", "content": "hi"}]}\n',
        "not json at all\n",
    ]
    train.write_text("".join(part if part.endswith("\n") else part + "\n" for part in parts))
    validation = work / "validation.jsonl"
    validation.write_text(
        "".join((DATA / "near_duplicates" / "chat.jsonl").read_text().splitlines(True)[:5])
    )
    config = work / "ftqa.toml"
    config.write_text(
        'ignore = ["untrimmed-content"]\n'
        "max-findings-per-rule = 3\n"
        "[near_duplicates]\nthreshold = 0.6\n"
        '[contradictions]\nseverity = { "conflicting-answers" = "error" }\n',
        encoding="utf-8",
    )
    return train, validation, config


def test_worker_report_equals_a_single_pass(dataset: tuple[Path, Path, Path]):
    train, validation, config = dataset
    args = (str(train), "--validation", str(validation), "--config", str(config))
    split = _cli_report("1", *args)
    single = _cli_report("0", *args)
    assert _without_timings(split) == _without_timings(single)
    runs = {run["id"]: run for run in split["checks"]}
    assert runs["contradictions"]["status"] == runs["near_duplicates"]["status"] == "ran"
    assert (
        runs["contradictions"]["note"] is None
        or "main process" not in runs["contradictions"]["note"]
    )
    rules = split["stats"]["findings_by_rule"]
    # The worker honoured the configuration: severity override, the option, the cap.
    assert rules["contradictions/conflicting-answers"] >= 1
    severities = {f["severity"] for f in split["findings"] if f["rule"] == "conflicting-answers"}
    assert severities == {"error"}
    assert "leakage/untrimmed-content" not in rules
    assert split["stats"]["near_duplicates"]["threshold"] == 0.6
    assert all(count <= 3 for count in _listed(split).values())


def test_worker_reads_reference_files_too():
    folder = DATA / "train_test_leakage"
    args = (
        str(folder / "train.jsonl"),
        "--validation",
        str(folder / "validation.jsonl"),
        "--reference",
        str(folder / "reference_strings.jsonl"),
        str(folder / "reference_array.json"),
    )
    split = _cli_report("1", *args)
    assert _without_timings(split) == _without_timings(_cli_report("0", *args))
    rules = split["stats"]["findings_by_rule"]
    assert any(key.startswith("train_test_leakage/") for key in rules), rules


def _listed(report: dict[str, Any]) -> dict[str, int]:
    listed: dict[str, int] = {}
    for finding in report["findings"]:
        key = f"{finding['check']}/{finding['rule']}"
        listed[key] = listed.get(key, 0) + 1
    return listed


CRASHING = """
import os
import sys
import ftqa


def in_worker():
    spec = getattr(sys.modules["__main__"], "__spec__", None)
    return spec is not None and spec.name == "ftqa.parallel"


class Crashes(ftqa.Checker):
    id = "crashes_apart"
    summary = "Kills the worker process."
    rules = (ftqa.Rule("seen", ftqa.Severity.INFO, "A row was seen."),)
    isolated = True

    def check_record(self, record):
        if in_worker():
            os._exit(9)
        yield self.finding("seen", "seen", record)
"""


def test_a_failed_worker_falls_back_to_this_process(
    dataset: tuple[Path, Path, Path], tmp_path: Path
):
    site = tmp_path / "site"
    (site / "crashes_apart-0.1.dist-info").mkdir(parents=True)
    (site / "crashes_apart-0.1.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: crashes_apart\nVersion: 0.1\n"
    )
    (site / "crashes_apart-0.1.dist-info" / "entry_points.txt").write_text(
        "[ftqa.checkers]\ncrashes_apart = crashes_apart:Crashes\n"
    )
    (site / "crashes_apart.py").write_text(CRASHING)
    train, _, _ = dataset
    pythonpath = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    env = {"PYTHONPATH": pythonpath}
    report = _cli_report("1", str(train), env=env)
    runs = {run["id"]: run for run in report["checks"]}
    for check_id in ("crashes_apart", "contradictions", "near_duplicates", "duplicates"):
        assert runs[check_id]["status"] == "ran", runs[check_id]
        assert "worker process failed (exit status 9" in runs[check_id]["note"]
    assert report["stats"]["findings_by_rule"]["crashes_apart/seen"] > 0
    single = _cli_report("0", str(train), env=env)
    assert report["stats"]["findings_by_rule"] == single["stats"]["findings_by_rule"]


def test_when_a_worker_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "small.jsonl"
    path.write_text((DATA / "near_duplicates" / "chat.jsonl").read_text())
    settings = load_settings({})
    on_file = Inputs(train=[open_path(path)])
    in_memory = Inputs(train=[open_memory([{"prompt": "a", "completion": "b"}])])

    monkeypatch.setenv("FTQA_PARALLEL", "auto")
    assert plan(on_file, settings) == frozenset()  # small: not worth a second process
    monkeypatch.setenv("FTQA_PARALLEL", "1")
    isolated = {"contradictions", "near_duplicates", "duplicates", "train_test_leakage"}
    assert plan(on_file, settings) == isolated
    assert plan(in_memory, settings) == frozenset()  # another process cannot read memory
    only_isolated = load_settings({"select": sorted(isolated)})
    assert plan(on_file, only_isolated) == frozenset()  # nothing to run beside them
    monkeypatch.setenv("FTQA_PARALLEL", "0")
    assert plan(on_file, settings) == frozenset()
    monkeypatch.setenv("FTQA_PARALLEL", "sometimes")  # not understood: auto
    assert plan(on_file, settings) == frozenset()
    monkeypatch.setenv("FTQA_PARALLEL", "Yes")
    assert plan(on_file, settings) == isolated


def test_api_results_match_with_and_without_worker(
    dataset: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
):
    train, validation, config = dataset
    monkeypatch.setenv("FTQA_PARALLEL", "1")
    split = ftqa.check(train, validation, config=config, examples=True)
    monkeypatch.setenv("FTQA_PARALLEL", "0")
    single = ftqa.check(train, validation, config=config, examples=True)
    assert split.findings == single.findings
    assert split.summary == single.summary
    assert split.examples.equals(single.examples)
