"""SARIF 2.1.0 (Static Analysis Results Interchange Format), for code-scanning tools.

One run; `tool.driver.rules` lists every rule of every installed checker (id `check/rule`, the
one-line summary, the default level, the documentation page), so `ruleIndex` is stable; each
finding is a `result` with its level (`error`, `warning`, `note` for info), the message, and a
`physicalLocation` whose `region.startLine` is the finding's line. Findings about a group of rows
(duplicates, clusters) list the other rows as `relatedLocations`. Rows without a line (Parquet,
in-memory data) keep the row index in the result's `properties`. Paths are relative URI
references with `/` separators, percent-encoded, as GitHub code scanning expects. Message texts
escape `[` and `]` (SARIF 2.1.0 §3.11.6), so dataset text can never form an embedded link.
"""

from __future__ import annotations

import json
import re
from pathlib import PureWindowsPath
from typing import Any
from urllib.parse import quote

from ftqa.finding import Finding, Severity
from ftqa.render.safe import json_escape_hidden, sarif_text, terminal_text
from ftqa.report import Report

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/ftqa/"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
MAX_RELATED = 100
_MEMORY = re.compile(r"^<memory(:[a-z]+)?>$")


def artifact_uri(path: str) -> str | None:
    """A SARIF `artifactLocation.uri` for a file path (None for in-memory data)."""
    if not path or _MEMORY.match(path):
        return None
    if PureWindowsPath(path).drive:
        path = PureWindowsPath(path).as_posix()
    else:
        path = path.replace("\\", "/")
    if path.startswith("/") or re.match(r"^[A-Za-z]:/", path):
        return "file://" + ("" if path.startswith("/") else "/") + quote(path, safe="/:")
    while path.startswith("./"):
        path = path[2:]
    return quote(path)  # `:` encoded too: `a:b.jsonl` must not read as a URI scheme


def _pascal(slug: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[-_]", slug))


def _rules() -> list[dict[str, Any]]:
    try:
        from ftqa.registry import checkers

        registered = checkers()
    except Exception:  # noqa: BLE001 - a broken plugin must not break the report
        return []
    rules = []
    for check_id, cls in registered.items():
        for rule in cls.rules:
            rules.append(
                _descriptor(check_id, rule.slug, rule.summary, LEVELS[rule.severity], rule.fix)
            )
    return rules


def _descriptor(check: str, rule: str, summary: str, level: str, fix: str) -> dict[str, Any]:
    return {
        "id": f"{check}/{rule}",
        "name": _pascal(check) + _pascal(rule),
        "shortDescription": {"text": summary or f"{check}/{rule}"},
        "fullDescription": {"text": summary or f"{check}/{rule}"},
        "help": {"text": f"See docs/rules/{check}/{rule}.md in the ftqa documentation."},
        "defaultConfiguration": {"level": level},
        "properties": {"tags": ["ftqa", check], "fix": fix},
    }


def _location(uri: str | None, line: int | None) -> dict[str, Any] | None:
    if uri is None:
        return None
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri}}
    if line is not None and line >= 1:
        physical["region"] = {"startLine": line}
    return {"physicalLocation": physical}


def _message(finding: Finding) -> str:
    text = finding.message
    if finding.field and finding.field not in text:
        text = f"{finding.field}: {text}"
    if finding.evidence:
        text = f"{text} ⟨{finding.evidence}⟩"
    if finding.fix:
        text = f"{text} (fix: {finding.fix})"
    return sarif_text(text)


def _result(finding: Finding, index: int) -> dict[str, Any]:
    uri = artifact_uri(finding.file or "")
    result: dict[str, Any] = {
        "ruleId": f"{finding.check}/{finding.rule}",
        "ruleIndex": index,
        "level": LEVELS[finding.severity],
        "message": {"text": _message(finding)},
    }
    location = _location(uri, finding.line)
    if location is not None:
        result["locations"] = [location]
    related = []
    if finding.lines and uri is not None:
        for number, line in enumerate(finding.lines):
            if line == finding.line or len(related) >= MAX_RELATED:
                continue
            entry = _location(uri, line)
            if entry is not None:
                entry["id"] = number
                entry["message"] = {"text": "another row of the same group"}
                related.append(entry)
    if related:
        result["relatedLocations"] = related
    properties: dict[str, Any] = {"check": finding.check, "rule": finding.rule}
    if finding.row is not None:
        properties["row"] = finding.row
    if finding.rows:
        properties["rows"] = finding.rows
    if finding.occurrences is not None:
        properties["occurrences"] = finding.occurrences
    if finding.file and uri is None:
        properties["source"] = terminal_text(finding.file)
    result["properties"] = properties
    return result


def sarif_log(report: Report) -> dict[str, Any]:
    rules = _rules()
    index = {rule["id"]: number for number, rule in enumerate(rules)}
    for finding in report.findings:
        rule_id = f"{finding.check}/{finding.rule}"
        if rule_id not in index:  # a plugin that is not installed here
            index[rule_id] = len(rules)
            rules.append(
                _descriptor(finding.check, finding.rule, "", LEVELS[finding.severity], "none")
            )
    results = [
        _result(finding, index[f"{finding.check}/{finding.rule}"]) for finding in report.findings
    ]
    failed = [run for run in report.checks if run.status == "failed"]
    invocation: dict[str, Any] = {"executionSuccessful": not failed}
    if failed:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": sarif_text(f"{run.id}: {run.note}")}}
            for run in failed
        ]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "ftqa",
                "version": report.ftqa_version,
                "semanticVersion": report.ftqa_version,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        },
        "invocations": [invocation],
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": {
            "summary": report.summary.model_dump(mode="json"),
            # Exact counts: `results` lists at most max-findings-per-rule findings per rule.
            "findingsByRule": report.stats.get("findings_by_rule", {}),
            "dataset": {"rows": report.dataset.rows, "sha256": report.dataset.sha256},
            "config": _config(report),
        },
    }
    uri = artifact_uri(report.dataset.path)
    if uri is not None:
        run["artifacts"] = [
            {
                "location": {"uri": artifact_uri(info.path) or ""},
                "hashes": {"sha-256": info.sha256},
                **({"length": info.bytes} if info.bytes is not None else {}),
            }
            for info in (report.dataset.files or [report.dataset])
            if artifact_uri(info.path) is not None
        ]
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def _config(report: Report) -> dict[str, Any]:
    """The configuration applied (files with sha256, changes), text made safe."""
    config = report.config.model_dump(mode="json")
    for item in config["files"]:
        item["path"] = terminal_text(item["path"])
    config["changes"] = [terminal_text(change) for change in config["changes"]]
    if config["summary"] is not None:
        config["summary"] = terminal_text(config["summary"])
    return config


def render_sarif(report: Report) -> str:
    return json_escape_hidden(json.dumps(sarif_log(report), indent=2, ensure_ascii=False)) + "\n"
