"""Every rule outside `format` against a fires and a near-miss fixture, found by its slug.

Each rule has a directory `tests/data/rules/<checker>/<rule-slug>/` holding at least
`fires.<ext>` (the rule must fire) and `near-miss.<ext>` (a close case where it must not),
optionally more cases named `fires-<what>.<ext>` / `near-miss-<what>.<ext>`, companion files
named `validation*.<ext>` / `reference*.<ext>` (never cases themselves), optionally a model
folder (the only kind of directory beside the cases), and an `expected.json`:

    {
      "config": {"token_length": {"max-tokens": 64}},   # optional, for every case
      "validation": "validation.jsonl",                  # optional companion files
      "reference": "reference.jsonl",
      "model": "./model",                                # optional `--model`: a name, or with
                                                         # `./` a folder of the rule directory
      "requires": ["semantic"],                          # optional: skipped without the extra
      "fires": {
        "findings": [{"rule": "...", "line": 2, "row": 1}],   # line/row null: dataset level
        "count": 3,                                          # optional, instead of findings
        "config": {...},                                     # optional, for this case only;
        "model": "...",                                      # so are model, validation
        "reference": "reference-other.jsonl"                 # and reference
      },
      "near-miss": {"absent": ["<rule-slug>"]}
    }

`findings` lists every finding of the directory's rule, exactly (rule, line, row); `count`
only says how many there are. `requires` (top level or per case) names optional extras a rule
cannot run without (today only `semantic`); without one the case is skipped with the install
command, as tests/test_contradictions.py does. Cases run in-process with
`ftqa.check(path, select=[checker])`, which the format fixtures (run through the CLI) already
cover end to end.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import ftqa
from fixture_dirs import data_files, load_expected
from ftqa.registry import checkers
from ftqa.semantic import INSTALL_COMMAND, unavailable_reason

FIXTURES = Path(__file__).resolve().parent / "data" / "rules"
COMPANIONS = ("validation", "reference")
TOP_KEYS = {"config", "model", "requires", *COMPANIONS}
CASE_KEYS = {"findings", "count", "absent", "config", "model", "requires", *COMPANIONS}
EXTRAS = {"semantic": unavailable_reason}  # extra -> why it cannot run here (None: it can)
FINDING_KEYS = {"rule", "line", "row"}
NOT_DATASET_RULES = {"format", "runs"}  # format has tests/data/format; runs reads metrics


def _rules() -> dict[str, set[str]]:
    return {
        checker_id: {rule.slug for rule in checker.rules}
        for checker_id, checker in checkers().items()
        if checker_id not in NOT_DATASET_RULES
    }


def _rule_dirs() -> list[Path]:
    if not FIXTURES.is_dir():
        return []
    return sorted(
        rule_dir
        for checker_dir in FIXTURES.iterdir()
        if checker_dir.is_dir()
        for rule_dir in checker_dir.iterdir()
        if rule_dir.is_dir()
    )


def _cases(directory: Path) -> dict[str, Path]:
    return {
        name: path
        for name, path in data_files(directory).items()
        if not name.startswith(COMPANIONS)
    }


def _params() -> list[Any]:
    return [
        pytest.param(directory, name, path, id=f"{directory.parent.name}/{directory.name}/{name}")
        for directory in _rule_dirs()
        for name, path in _cases(directory).items()
    ]


def _show(findings: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"  {f['severity']:<7} {f['rule']:<30} line={f['line']} row={f['row']}: {f['message']}"
        for f in findings
    )


def _run(directory: Path, path: Path, case: dict[str, Any]) -> dict[str, Any]:
    expected = load_expected(directory)
    config = {**expected.get("config", {}), **case.get("config", {})}
    companions = {}
    for key in COMPANIONS:
        name = case.get(key, expected.get(key))
        if name is not None:
            companions[key] = directory / name
    model = case.get("model", expected.get("model"))
    if model is not None and model.startswith("./"):
        model = str(directory / model)
    report = ftqa.check(
        path,
        companions.get("validation"),
        reference=companions.get("reference"),
        config=config,
        model=model,
        select=[directory.parent.name],
        cache=False,
    )
    return json.loads(report.to_json())


@pytest.mark.parametrize(("directory", "name", "path"), _params())
def test_fixture(directory: Path, name: str, path: Path) -> None:
    rule = directory.name
    expected = load_expected(directory)
    case = expected[name]
    for extra in [*expected.get("requires", []), *case.get("requires", [])]:
        if EXTRAS[extra]() is not None:
            pytest.skip(f"{extra} extra missing: {INSTALL_COMMAND}")
    findings = _run(directory, path, case)["findings"]
    assert all(f["check"] == directory.parent.name for f in findings)
    if name.startswith("near-miss"):
        present = [f for f in findings if f["rule"] in case["absent"]]
        assert not present, f"near miss fired:\n{_show(present)}"
        return
    actual = [f for f in findings if f["rule"] == rule]
    if "count" in case:
        assert len(actual) == case["count"], f"all findings:\n{_show(findings)}"
        return
    assert Counter((f["rule"], f["line"], f["row"]) for f in actual) == Counter(
        (item["rule"], item["line"], item["row"]) for item in case["findings"]
    ), f"findings of {rule} differ; all findings:\n{_show(findings)}"


def test_every_rule_has_fixtures() -> None:
    present = {(path.parent.name, path.name) for path in _rule_dirs()}
    wanted = {(checker, slug) for checker, slugs in _rules().items() for slug in slugs}
    assert sorted(wanted - present) == []
    assert sorted(present - wanted) == []


@pytest.mark.parametrize(
    "directory", _rule_dirs(), ids=lambda path: f"{path.parent.name}/{path.name}"
)
def test_expected_json_is_well_formed(directory: Path) -> None:
    rules = _rules()[directory.parent.name]
    expected = load_expected(directory)
    cases = _cases(directory)
    assert {"fires", "near-miss"} <= set(cases), "each rule needs fires.* and near-miss.*"
    assert set(expected) - TOP_KEYS == set(cases), "expected.json and the data files differ"
    cases_expected = [case for name, case in expected.items() if name not in TOP_KEYS]
    for key in COMPANIONS:
        for holder in (expected, *cases_expected):
            if key in holder:
                assert (directory / holder[key]).is_file(), key
    folders = {  # hidden ones aside: `.ftqa_cache` appears where someone ran the CLI
        path.name for path in directory.iterdir() if path.is_dir() and path.name[0] != "."
    }
    models = {expected.get("model")} | {case.get("model") for case in cases_expected}
    assert folders == {model[2:] for model in models if model and model.startswith("./")}
    assert set(expected.get("requires", [])) <= set(EXTRAS), "unknown extra in requires"
    for name, case in expected.items():
        if name in TOP_KEYS:
            continue
        assert set(case) <= CASE_KEYS, name
        assert set(case.get("requires", [])) <= set(EXTRAS), name
        if name.startswith("fires"):
            assert "absent" not in case, name
            assert ("count" in case) != ("findings" in case), name
            for item in case.get("findings", []):
                assert set(item) == FINDING_KEYS, item
                assert item["rule"] == directory.name, item
            assert case.get("count", 1) >= 1, name
        else:
            assert name.startswith("near-miss"), name
            assert {"findings", "count"}.isdisjoint(case), name
            assert directory.name in case["absent"], name
            assert set(case["absent"]) <= rules, name


def test_fixtures_are_small() -> None:
    for path in FIXTURES.rglob("*"):
        if path.is_file():
            assert path.stat().st_size < 100_000, path
