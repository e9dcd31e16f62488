"""Every rule of the `format` checker against real fixture files.

Each rule has a directory `tests/data/format/<rule-slug>/` holding at least `fires.<ext>` (the rule
must fire) and `near-miss.<ext>` (a close case where it must not), optionally more cases named
`fires-<what>.<ext>` / `near-miss-<what>.<ext>`, and an `expected.json`:

    {
      "limits": {"max_line_bytes": 120},            # optional, for every case of the directory
      "fires": {
        "exit": 1,
        "findings": [{"rule": "...", "line": 2, "row": 1, "field": "..."}],  # field optional
        "also": ["other-rule"],                     # other error rules allowed to fire
        "limits": {...},                            # optional, for this case only
        "xfail": "BUG: ..."                         # optional: a known ftqa bug
      },
      "near-miss": {"exit": 0, "absent": ["<rule-slug>"]}
    }

`findings` lists every finding of the directory's rule, exactly. Cases without `limits` run the
CLI in a subprocess; cases with `limits` run `ftqa.check(path, limits=Limits(...))`.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import ftqa
from fixture_dirs import data_files, load_expected
from ftqa.load import Limits
from ftqa.registry import checkers

FIXTURES = Path(__file__).resolve().parent / "data" / "format"
FINDING_KEYS = {"rule", "line", "row", "field"}
CLI_OPTIONS = ("--format", "json", "--select", "format")
CASE_KEYS = {"exit", "findings", "also", "absent", "limits", "xfail"}


def _format_rules() -> dict[str, str]:
    return {rule.slug: rule.severity.value for rule in checkers()["format"].rules}


def _rule_dirs() -> list[Path]:
    return sorted(path for path in FIXTURES.iterdir() if path.is_dir())


def _cases() -> list[Any]:
    params = []
    for directory in _rule_dirs():
        expected = load_expected(directory)
        for name, path in data_files(directory).items():
            case = expected.get(name)
            marks = []
            if isinstance(case, dict) and case.get("xfail"):
                marks.append(pytest.mark.xfail(strict=True, reason=case["xfail"]))
            params.append(
                pytest.param(directory.name, name, path, id=f"{directory.name}/{name}", marks=marks)
            )
    return params


@functools.cache
def _report_schema() -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "ftqa", "schema", "report"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout)


def _run(path: Path, limits: dict[str, int] | None) -> tuple[int, dict[str, Any]]:
    """The exit code and the JSON report for one fixture, checked with the format checker."""
    if limits:
        report = ftqa.check(path, select=["format"], limits=Limits(**limits))
        return report.exit_code(), json.loads(report.to_json())
    result = subprocess.run(
        [sys.executable, "-m", "ftqa", "check", str(path), *CLI_OPTIONS],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode in (0, 1), (
        f"exit {result.returncode}\nstderr: {result.stderr}\nstdout: {result.stdout[:2000]}"
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def _key(finding: dict[str, Any], with_field: bool) -> tuple[Any, ...]:
    key = (finding["rule"], finding["line"], finding["row"])
    return (*key, finding.get("field")) if with_field else key


def _show(findings: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"  {f['severity']:<7} {f['rule']:<26} line={f['line']} row={f['row']} "
        f"field={f['field']}: {f['message']}"
        for f in findings
    )


def _check_fires(rule: str, case: dict[str, Any], findings: list[dict[str, Any]]) -> None:
    expected = case["findings"]
    assert expected, "a `fires` case must list the findings it expects"
    assert all(item["rule"] == rule for item in expected)
    actual = [f for f in findings if f["rule"] == rule]
    with_field = all("field" in item for item in expected)
    assert Counter(_key(f, with_field) for f in actual) == Counter(
        _key({"field": None, **item}, with_field) for item in expected
    ), f"findings of {rule} differ; all findings:\n{_show(findings)}"
    if not with_field:
        for item in expected:
            if "field" in item:
                assert any(_key(f, True) == _key(item, True) for f in actual), (
                    f"no {rule} finding with field {item['field']!r}:\n{_show(actual)}"
                )
    allowed = {rule, *case.get("also", [])}
    stray = [f for f in findings if f["severity"] == "error" and f["rule"] not in allowed]
    assert not stray, f"unexpected error findings:\n{_show(stray)}"


@pytest.mark.parametrize(("rule", "name", "path"), _cases())
def test_fixture(rule: str, name: str, path: Path) -> None:
    expected = load_expected(FIXTURES / rule)
    case = expected[name]
    limits = case.get("limits", expected.get("limits"))
    exit_code, report = _run(path, limits)
    jsonschema.validate(report, _report_schema(), cls=jsonschema.Draft202012Validator)
    findings = report["findings"]
    assert all(f["check"] == "format" for f in findings)
    assert all(f["file"] == str(path) for f in findings)
    if name.startswith("fires"):
        _check_fires(rule, case, findings)
    else:
        present = [f for f in findings if f["rule"] in case["absent"]]
        assert not present, f"near miss fired:\n{_show(present)}"
    assert exit_code == case["exit"], f"exit {exit_code}; findings:\n{_show(findings)}"
    assert report["summary"]["passed"] is (exit_code == 0)


def test_every_format_rule_has_fixtures() -> None:
    assert {path.name for path in _rule_dirs()} == set(_format_rules())


@pytest.mark.parametrize("directory", _rule_dirs(), ids=lambda path: path.name)
def test_expected_json_is_well_formed(directory: Path) -> None:
    rules = _format_rules()
    expected = load_expected(directory)
    files = data_files(directory)
    assert {"fires", "near-miss"} <= set(files), "each rule needs fires.* and near-miss.*"
    assert set(expected) - {"limits"} == set(files), "expected.json and the data files differ"
    for name, case in expected.items():
        if name == "limits":
            Limits(**case)
            continue
        assert set(case) <= CASE_KEYS, name
        assert case["exit"] in (0, 1), name
        if "limits" in case:
            Limits(**case["limits"])
        if name.startswith("fires"):
            assert "absent" not in case, name
            for item in case["findings"]:
                assert set(item) <= FINDING_KEYS, item
                assert {"rule", "line", "row"} <= set(item), item
            assert set(case.get("also", [])) <= set(rules), name
        else:
            assert name.startswith("near-miss"), name
            assert {"findings", "also"}.isdisjoint(case), name
            assert directory.name in case["absent"], name
            assert set(case["absent"]) <= set(rules), name
        if case.get("xfail"):
            assert case["xfail"].startswith("BUG: "), name


def test_fixtures_are_small() -> None:
    for path in FIXTURES.rglob("*"):
        if path.is_file():
            assert path.stat().st_size < 20_000, path
