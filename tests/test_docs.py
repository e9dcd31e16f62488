"""Every registered checker and rule has its documentation page, and the index links them all."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ftqa.registry import checkers
from ftqa.runs import RULES as RUN_RULES

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SECTIONS = (
    "## What it catches",
    "## Why it hurts fine-tuning",
    "## Example",
    "## How to fix",
)

RULES = [(check_id, rule) for check_id, cls in checkers().items() for rule in cls.rules]
RULE_IDS = [f"{check_id}/{rule.slug}" for check_id, rule in RULES]
# `ftqa runs analyze` judges a run's metrics, not a dataset: its rules are not a checker's, but
# their pages follow the same layout.
PAGES = RULES + [("runs", rule) for rule in RUN_RULES]
PAGE_IDS = [f"{check_id}/{rule.slug}" for check_id, rule in PAGES]
PRECISION_COMMANDS = {"runs": "python benchmarks/bench_runs.py"}


def _page(check_id: str, slug: str) -> Path:
    return DOCS / "rules" / check_id / f"{slug}.md"


def test_there_are_rules_to_document():
    assert "format" in checkers()
    assert len(RULES) >= 38


@pytest.mark.parametrize(("check_id", "rule"), PAGES, ids=PAGE_IDS)
def test_rule_page_exists(check_id, rule):
    assert _page(check_id, rule.slug).is_file(), f"docs/rules/{check_id}/{rule.slug}.md is missing"


@pytest.mark.parametrize(("check_id", "rule"), PAGES, ids=PAGE_IDS)
def test_rule_page_has_title_severity_and_fix(check_id, rule):
    lines = _page(check_id, rule.slug).read_text(encoding="utf-8").splitlines()
    assert lines[0] == f"# {check_id}/{rule.slug}"
    assert f"Default severity: **{rule.severity.value}**" in lines
    assert f"Fix: {rule.fix}" in lines
    assert len([line for line in lines if line.startswith("Default severity:")]) == 1


@pytest.mark.parametrize(("check_id", "rule"), PAGES, ids=PAGE_IDS)
def test_rule_page_has_the_four_sections_in_order(check_id, rule):
    lines = _page(check_id, rule.slug).read_text(encoding="utf-8").splitlines()
    headings = [line.rstrip() for line in lines if line.startswith("## ")]
    assert headings == list(SECTIONS)


@pytest.mark.parametrize(("check_id", "rule"), PAGES, ids=PAGE_IDS)
def test_rule_example_shows_the_rule_firing_and_a_correction(check_id, rule):
    text = _page(check_id, rule.slug).read_text(encoding="utf-8")
    example = text.split("## Example", 1)[1].split("## How to fix", 1)[0]
    assert f"{check_id}/{rule.slug} " in example, "the example output must show this rule"
    assert "Use instead:" in example
    assert example.count("```") >= 6, "bad example, output and corrected example in code blocks"
    for section in SECTIONS:
        body = text.split(section, 1)[1].split("\n## ", 1)[0]
        assert body.strip(), f"{section} is empty"


@pytest.mark.parametrize("check_id", list(checkers()))
def test_checker_page_exists_and_links_its_rules(check_id):
    page = DOCS / "checkers" / f"{check_id}.md"
    assert page.is_file(), f"docs/checkers/{check_id}.md is missing"
    text = page.read_text(encoding="utf-8")
    for rule in checkers()[check_id].rules:
        assert f"](../rules/{check_id}/{rule.slug}.md)" in text


def test_index_links_every_rule_page_and_checker_page():
    text = (DOCS / "index.md").read_text(encoding="utf-8")
    for check_id, rule in PAGES:
        assert f"](rules/{check_id}/{rule.slug}.md)" in text, f"index does not link {rule.slug}"
    for check_id in checkers():
        assert f"](checkers/{check_id}.md)" in text


def test_index_covers_exit_codes_and_input_formats():
    from ftqa.formats import FORMATS

    text = (DOCS / "index.md").read_text(encoding="utf-8")
    assert "## Exit codes" in text
    for code in ("0", "1", "2"):
        assert re.search(rf"^\| {code} \|", text, re.M), f"exit code {code} is not documented"
    for name in FORMATS:
        assert f"| `{name}` |" in text, f"input format {name} is not documented"


def test_no_page_for_a_rule_that_does_not_exist():
    known = {(check_id, rule.slug) for check_id, rule in PAGES}
    pages = {(path.parent.name, path.stem) for path in (DOCS / "rules").glob("*/*.md")}
    assert pages - known == set()
    checker_pages = {path.stem for path in (DOCS / "checkers").glob("*.md")}
    assert checker_pages - set(checkers()) == set()


def test_relative_links_in_docs_resolve():
    for page in DOCS.rglob("*.md"):
        for target in re.findall(r"\]\(([^)#\s]+\.md)\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).resolve().is_file(), f"{page}: broken link {target}"


def test_index_tables_are_generated_from_the_registry():
    import subprocess
    import sys

    script = DOCS / "generate_index.py"
    result = subprocess.run([sys.executable, str(script), "--check"], check=False)
    assert result.returncode == 0, "docs/index.md is stale: run `python docs/generate_index.py`"


def _rule_tables(text: str) -> list[tuple[list[str], list[str]]]:
    """(header cells, row cells) for every Markdown table row that links a rule page."""
    found = []
    header: list[str] = []
    for line in text.splitlines():
        if not line.startswith("|"):
            header = []
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not header:
            header = [cell.lower() for cell in cells]
        elif "../rules/" in line:
            found.append((header, cells))
    return found


@pytest.mark.parametrize("check_id", sorted(checkers()))
def test_checker_page_tables_agree_with_the_registry(check_id):
    """A severity or fix written in a checker page's rule table is the registered one."""
    text = (DOCS / "checkers" / f"{check_id}.md").read_text(encoding="utf-8")
    rules = {rule.slug: rule for rule in checkers()[check_id].rules}
    for header, cells in _rule_tables(text):
        slug = re.search(r"\(\.\./rules/[^/]+/([^)]+)\.md\)", cells[0])
        assert slug is not None, cells
        rule = rules[slug.group(1)]
        for name, cell in zip(header, cells, strict=False):
            if "severity" in name:
                assert cell == rule.severity.value, f"{rule.slug}: severity {cell}"
            elif name == "fix":
                assert cell == rule.fix, f"{rule.slug}: fix {cell}, registered {rule.fix}"


@pytest.mark.parametrize(("check_id", "rule"), PAGES, ids=PAGE_IDS)
def test_rule_page_states_its_measured_precision_and_the_command(check_id, rule):
    text = _page(check_id, rule.slug).read_text(encoding="utf-8")
    [paragraph] = [p for p in text.split("\n\n") if p.startswith("Measured precision:")]
    command = PRECISION_COMMANDS.get(check_id, "python benchmarks/bench_precision.py")
    if rule.slug == "job-failed":  # restates the provider's status: tested, not measured
        command = "python -m pytest tests/test_runs.py"
    assert command in paragraph
