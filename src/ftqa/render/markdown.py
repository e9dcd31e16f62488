"""Markdown report, for pull-request comments and CI summaries.

Dataset text is escaped for GitHub-flavoured Markdown (`ftqa.render.safe.markdown_text`): no
markup, links, images, HTML, mentions or autolinks can come from the data, and table cells keep
their count. File names inside code spans get a fence longer than any backtick run they hold.
"""

from __future__ import annotations

from ftqa.render.safe import markdown_code, markdown_text
from ftqa.render.words import config_details, config_phrase, tally
from ftqa.report import Report

MAX_ROWS_PER_RULE = 20


def _where(file: str | None, line: int | None, row: int | None) -> str:
    place = markdown_text(file or "")
    if line is not None:
        return f"{place}:{line}"
    if row is not None:
        return f"{place}[{row}]"
    return place


def render_markdown(report: Report) -> str:
    summary = report.summary
    verdict = "✅ passed" if summary.passed else "❌ failed"
    dataset = report.dataset
    lines = [
        "# ftqa report",
        "",
        f"**{verdict}**: {tally(summary)} (fails on {summary.fail_on.value})",
        "",
        f"- Dataset: {markdown_code(dataset.path)} ({dataset.rows} rows, "
        f"format {dataset.format or 'unknown'}, sha256 `{dataset.sha256[:12]}`)",
    ]
    if report.validation is not None:
        lines.append(
            f"- Validation: {markdown_code(report.validation.path)} ({report.validation.rows} rows)"
        )
    lines.extend(_configuration(report))
    lines.append("")
    groups = report.by_rule()
    totals = report.stats.get("findings_by_rule", {})
    if groups:
        lines += ["| rule | severity | count |", "| --- | --- | ---: |"]
        for (check, rule), findings in groups.items():
            total = int(totals.get(f"{check}/{rule}", len(findings)))
            lines.append(f"| `{check}/{rule}` | {findings[0].severity.value} | {total} |")
        lines.append("")
    for (check, rule), findings in groups.items():
        total = int(totals.get(f"{check}/{rule}", len(findings)))
        lines += [
            f"## `{check}/{rule}`",
            "",
            "| where | field | message | evidence |",
            "| --- | --- | --- | --- |",
        ]
        for finding in findings[:MAX_ROWS_PER_RULE]:
            lines.append(
                f"| {_where(finding.file, finding.line, finding.row)} "
                f"| {markdown_text(finding.field or '')} "
                f"| {markdown_text(finding.message)} "
                f"| {markdown_text(finding.evidence or '')} |"
            )
        shown = min(len(findings), MAX_ROWS_PER_RULE)
        if total > shown:
            lines.append(f"| … | | {total - shown} more (not listed here) | |")
        lines.append("")
    return "\n".join(lines) + "\n"


def _configuration(report: Report) -> list[str]:
    """The configuration applied, then each file with its sha256 and each change."""
    phrase = config_phrase(report.config)
    if phrase is None:
        return []
    details = [f"  - {markdown_text(item)}" for item in config_details(report.config)]
    return [f"- Configuration: {markdown_text(phrase)}", *details]
