"""GitHub Actions workflow commands: one annotation per finding, shown on the file and line.

    ::error file=train.jsonl,line=3,title=ftqa format/empty-content::messages[1].content is empty

Severity maps to the command: error -> `::error`, warning -> `::warning`, info -> `::notice`.
Escaping follows GitHub's toolkit (`@actions/core`, `command.ts`): in the message `%`, CR and LF
become `%25`, `%0D`, `%0A`; in property values also `:` and `,` become `%3A` and `%2C`. Control
and bidirectional characters from the dataset are made visible first, so dataset text can neither
start a new workflow command nor hide part of the line. Under GitHub Actions, absolute paths
inside `GITHUB_WORKSPACE` are made relative to it. The last line is a plain summary, with the
configuration applied.
"""

from __future__ import annotations

import os
from pathlib import Path

from ftqa.finding import Finding, Severity
from ftqa.render.safe import terminal_text
from ftqa.render.words import config_phrase, tally
from ftqa.report import Report

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """A workflow command's message (GitHub toolkit `escapeData`)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value (GitHub toolkit `escapeProperty`)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _relative(path: str) -> str:
    """Inside GitHub Actions, paths under the checkout (`GITHUB_WORKSPACE`) are made relative to
    it, which is how annotations find the file in the pull request."""
    workspace = os.environ.get("GITHUB_WORKSPACE")
    if not workspace or not os.path.isabs(path):
        return path
    try:
        return Path(path).resolve().relative_to(Path(workspace).resolve()).as_posix()
    except (ValueError, OSError):
        return path


def annotation(finding: Finding) -> str:
    properties: list[str] = []
    if finding.file:
        properties.append(f"file={escape_property(terminal_text(_relative(finding.file)))}")
        if finding.line is not None:
            properties.append(f"line={finding.line}")
    properties.append(f"title={escape_property(f'ftqa {finding.check}/{finding.rule}')}")
    message = finding.message
    if finding.field and finding.field not in message:
        message = f"{finding.field}: {message}"
    if finding.line is None and finding.row is not None:
        message = f"row {finding.row}: {message}"
    if finding.evidence:
        message = f"{message} ⟨{finding.evidence}⟩"
    if finding.fix:
        message = f"{message} (fix: {finding.fix})"
    command = COMMANDS[finding.severity]
    return f"::{command} {','.join(properties)}::{escape_data(terminal_text(message))}"


def render_github(report: Report) -> str:
    lines = [annotation(finding) for finding in report.findings]
    totals = report.stats.get("findings_by_rule", {})
    for (check, rule), findings in report.by_rule().items():
        total = int(totals.get(f"{check}/{rule}", len(findings)))
        if total > len(findings):
            lines.append(
                f"::notice title=ftqa {check}/{rule}::{len(findings)} of {total} findings "
                "annotated (max-findings-per-rule caps the list; the counts are exact)"
            )
    summary = report.summary
    verdict = "passed" if summary.passed else "FAILED"
    configuration = config_phrase(report.config)
    applied = f"; config: {terminal_text(configuration)}" if configuration is not None else ""
    lines.append(
        f"ftqa {verdict}: {tally(summary)} in {terminal_text(report.dataset.path)} "
        f"({report.dataset.rows} rows){applied}"
    )
    return "\n".join(lines) + "\n"
