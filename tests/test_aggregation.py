"""Dataset-level findings (a row condition that holds for most rows is reported once, for the
file) and exact counts under the listing cap in every report format."""

from __future__ import annotations

import json
import re
from pathlib import Path

from rich.console import Console

import ftqa
from ftqa.render import TEXT_RENDERERS
from ftqa.render.terminal import render_terminal


def render(report: ftqa.Report, name: str) -> str:
    if name != "terminal":
        return TEXT_RENDERERS[name](report)
    console = Console(record=True, width=200, color_system=None)
    render_terminal(report, console)
    return console.export_text()


ROWS = 30


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), "utf-8")
    return path


def _chat(i: int, **extra: object) -> dict:
    row: dict = {
        "messages": [
            {"role": "user", "content": f"Question number {i} about the weather?"},
            {"role": "assistant", "content": f"Answer number {i}: it will be sunny."},
        ]
    }
    row.update(extra)
    return row


def test_a_condition_of_most_rows_is_one_dataset_level_finding(tmp_path):
    path = _write(tmp_path / "train.jsonl", [_chat(i, note=f"n{i}") for i in range(ROWS)])
    report = ftqa.check(path, select=["format/unexpected-key"])
    [finding] = report.findings
    assert finding.rule == "unexpected-key"
    assert finding.line is None
    assert finding.row is None
    assert finding.occurrences == ROWS
    assert f"{ROWS} of {ROWS} rows (100%)" in finding.message
    assert finding.lines == [1, 2, 3, 4, 5]
    assert finding.rows == [0, 1, 2, 3, 4]
    assert report.stats["findings_by_rule"] == {"format/unexpected-key": 1}
    assert report.summary.warnings == 1


def test_a_condition_of_a_few_rows_stays_a_finding_per_row(tmp_path):
    rows = [_chat(i, **({"note": "x"} if i % 10 == 0 else {})) for i in range(ROWS)]
    report = ftqa.check(_write(tmp_path / "train.jsonl", rows), select=["format/unexpected-key"])
    assert [finding.line for finding in report.findings] == [1, 11, 21]
    assert all(finding.occurrences is None for finding in report.findings)


def test_half_the_rows_or_too_few_rows_are_not_aggregated(tmp_path):
    half = [_chat(i, **({"note": "x"} if i % 2 else {})) for i in range(ROWS)]
    report = ftqa.check(_write(tmp_path / "half.jsonl", half), select=["format/unexpected-key"])
    assert len(report.findings) == ROWS // 2
    few = [_chat(i, note="x") for i in range(12)]
    report = ftqa.check(_write(tmp_path / "few.jsonl", few), select=["format/unexpected-key"])
    assert len(report.findings) == 12


def test_dataset_level_findings_can_be_turned_off(tmp_path):
    path = _write(tmp_path / "train.jsonl", [_chat(i, note="x") for i in range(ROWS)])
    report = ftqa.check(path, select=["format/unexpected-key"], dataset_level_findings=False)
    assert len(report.findings) == ROWS
    assert report.stats["findings_by_rule"] == {"format/unexpected-key": ROWS}


def test_each_file_of_a_dataset_is_judged_on_its_own_rows(tmp_path):
    every = _write(tmp_path / "a.jsonl", [_chat(i, note="x") for i in range(ROWS)])
    none = _write(tmp_path / "b.jsonl", [_chat(i) for i in range(ROWS)])
    report = ftqa.check([every, none], select=["format/unexpected-key"])
    [finding] = report.findings
    assert finding.file is not None
    assert finding.file.endswith("a.jsonl")
    assert finding.occurrences == ROWS


def _capped_report(tmp_path: Path) -> ftqa.Report:
    # `invalid-weight` is not aggregated: every row keeps its own finding, 5 of them listed.
    rows = []
    for i in range(ROWS):
        row = _chat(i)
        row["messages"][1]["weight"] = 2
        rows.append(row)
    path = _write(tmp_path / "train.jsonl", rows)
    return ftqa.check(path, select=["format/invalid-weight"], max_findings_per_rule=5)


def test_counts_are_exact_under_the_cap_in_the_report_itself(tmp_path):
    report = _capped_report(tmp_path)
    assert len(report.findings) == 5
    assert report.stats["findings_by_rule"] == {"format/invalid-weight": ROWS}
    assert report.summary.errors == ROWS
    [run] = [run for run in report.checks if run.id == "format"]
    assert run.note == f"invalid-weight: 5 of {ROWS} findings listed"


def test_counts_are_exact_under_the_cap_in_every_format(tmp_path):
    report = _capped_report(tmp_path)
    listed = ROWS - 5
    outputs = {name: render(report, name) for name in ("terminal", "json", "markdown", "html")}
    outputs["github"] = render(report, "github")
    outputs["sarif"] = render(report, "sarif")
    assert json.loads(outputs["json"])["stats"]["findings_by_rule"]["format/invalid-weight"] == ROWS
    assert f"| `format/invalid-weight` | error | {ROWS} |" in outputs["markdown"]
    assert f"{listed} more (not listed here)" in outputs["markdown"]
    assert re.search(rf"format/invalid-weight\D+{ROWS}\b", outputs["terminal"])
    assert f"× {ROWS:,}" in outputs["html"]
    assert f"5 of {ROWS} findings annotated" in outputs["github"]
    sarif = json.loads(outputs["sarif"])["runs"][0]
    assert sarif["properties"]["findingsByRule"]["format/invalid-weight"] == ROWS
    assert len(sarif["results"]) == 5


def test_a_dataset_level_finding_shows_its_count_in_every_format(tmp_path):
    path = _write(tmp_path / "train.jsonl", [_chat(i, note="x") for i in range(ROWS)])
    report = ftqa.check(path, select=["format/unexpected-key"])
    for name in ("terminal", "json", "markdown", "html", "github", "sarif"):
        assert f"{ROWS} of {ROWS} rows" in render(report, name), name
    sarif = json.loads(render(report, "sarif"))["runs"][0]
    assert sarif["results"][0]["properties"]["occurrences"] == ROWS
