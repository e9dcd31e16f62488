"""`ftqa fix`: apply the fixes checkers offer, writing a new dataset and a quarantine file.

The input is never touched. Rows in = rows written + rows quarantined, always: a row a fix
drops goes, exactly as it was written, to the quarantine file; every change is logged (row, rule,
before/after excerpts) as JSON lines.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ftqa.api import check
from ftqa.checker import CheckContext, Checker, Drop, Edit
from ftqa.config import load_settings
from ftqa.errors import FtqaError
from ftqa.finding import Finding
from ftqa.formats.mapping import map_table
from ftqa.load import Limits, open_path
from ftqa.records import Record
from ftqa.registry import checkers, rule_index
from ftqa.report import Report
from ftqa.rewrite.writers import AtomicFile, RowWriter, csv_header, same_file

# Checkers whose fixes a flag switches on, whatever their safety.
FLAG_CHECKS = {
    "dedupe": ("duplicates", "near_duplicates"),
    "redact": ("secrets", "pii"),
}


@dataclass
class FixSummary:
    rows_in: int = 0
    rows_out: int = 0
    rows_quarantined: int = 0
    edits: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    output: str = ""
    quarantine: str = ""
    log: str = ""
    report: Report | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "rows_quarantined": self.rows_quarantined,
            "edits": self.edits,
            "by_rule": dict(sorted(self.by_rule.items())),
            "output": self.output,
            "quarantine": self.quarantine,
            "log": self.log,
        }


def default_sidecar(output: str, suffix: str) -> str:
    path = Path(output)
    name = path.name
    for ending in (
        ".jsonl.gz",
        ".json.gz",
        ".csv.gz",
        ".tsv.gz",
        ".jsonl",
        ".json",
        ".csv",
        ".tsv",
        ".parquet",
        ".ndjson",
    ):
        if name.endswith(ending):
            return str(path.with_name(name[: -len(ending)] + f".{suffix}" + ending))
    return str(path.with_name(name + f".{suffix}"))


def fix_dataset(
    path: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    quarantine: str | os.PathLike[str] | None = None,
    log: str | os.PathLike[str] | None = None,
    only: Sequence[str] | None = None,
    unsafe: bool = False,
    dedupe: bool = False,
    redact: bool = False,
    config: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    limits: Limits | None = None,
    mapping: str | Mapping[str, Any] | None = None,
) -> FixSummary:
    source_path = os.fspath(path)
    output = os.fspath(output)
    quarantine = os.fspath(quarantine) if quarantine else default_sidecar(output, "quarantine")
    log = os.fspath(log) if log else default_sidecar(output, "changes") + ".log.jsonl"
    log = log.replace(".jsonl.log.jsonl", ".log.jsonl")
    for target in (output, quarantine, log):
        if os.path.exists(target) and same_file(target, source_path):
            raise FtqaError(f"{target}: refusing to write over the input dataset")
    if len({os.path.abspath(p) for p in (output, quarantine, log)}) < 3:
        raise FtqaError("output, quarantine and log must be three different files")
    settings = load_settings(
        config, Path(source_path) if config is None else None, {"map": map_table(mapping)}
    )
    allowed = {
        pair for pair in _allowed_rules(only, unsafe, dedupe, redact) if settings.rule_active(*pair)
    }
    # Only the checkers with a fix to apply run, and every finding they make is kept.
    report = check(
        source_path,
        config=config,
        limits=limits,
        map=mapping,
        select=sorted(f"{check}/{rule}" for check, rule in allowed) or ["format"],
        max_findings_per_rule=FIX_FINDINGS_CAP,
    )
    fixers = _fixers(report, settings, source_path)
    by_row, notices = _plan(report, allowed)
    summary = FixSummary(output=output, quarantine=quarantine, log=log, report=report)
    source = open_path(source_path, limits)
    kind = source.kind
    header = (
        csv_header(source_path, "\t" if kind == "tsv" else ",") if kind in ("csv", "tsv") else None
    )
    with (
        RowWriter(output, kind, header) as clean,
        RowWriter(quarantine, kind, header) as removed,
        AtomicFile(log) as changes,
    ):
        if kind == "parquet":
            import pyarrow.parquet as pq

            try:
                schema = pq.ParquetFile(source_path).schema_arrow
            except Exception:  # noqa: BLE001 - a damaged file: rows decide the schema
                schema = None
            clean.set_parquet_schema(schema)
            removed.set_parquet_schema(schema)
        for record in source.records():
            if record.row < 0:
                _copy_notice(record, clean, notices, changes, summary)
                continue
            summary.rows_in += 1
            _fix_row(record, by_row.get(record.row, []), fixers, clean, removed, changes, summary)
    return summary


# Findings kept per rule while fixing (the report cap would leave rows unfixed). Far above any
# real dataset's count; beyond it `_check_capped` refuses rather than fix some rows silently.
FIX_FINDINGS_CAP = 10_000_000


def _allowed_rules(
    only: Sequence[str] | None, unsafe: bool, dedupe: bool, redact: bool
) -> set[tuple[str, str]]:
    index = rule_index()
    chosen: set[tuple[str, str]] | None = None
    if only:
        unknown = [selector for selector in only if selector not in index]
        if unknown:
            raise FtqaError(f"unknown check or rule in --only: {', '.join(unknown)}")
        chosen = {pair for selector in only for pair in index[selector]}
    flagged = {
        check_id
        for flag, enabled in (("dedupe", dedupe), ("redact", redact))
        if enabled
        for check_id in FLAG_CHECKS[flag]
    }
    allowed: set[tuple[str, str]] = set()
    for check_id, cls in checkers().items():
        for rule in cls.rules:
            if rule.fix in ("none", "display"):
                continue
            family_flag = next((f for f, ids in FLAG_CHECKS.items() if check_id in ids), None)
            if family_flag is not None:
                if check_id not in flagged:
                    continue
            elif rule.fix == "unsafe" and not unsafe:
                continue
            if chosen is not None and (check_id, rule.slug) not in chosen:
                continue
            allowed.add((check_id, rule.slug))
    return allowed


def _fixers(report: Report, settings: Any, path: str) -> dict[str, Checker]:
    context = CheckContext(files=(path,))
    return {
        check_id: cls(settings.options_for(check_id), context)
        for check_id, cls in checkers().items()
        if check_id in {finding.check for finding in report.findings}
    }


def _plan(
    report: Report, allowed: set[tuple[str, str]]
) -> tuple[dict[int, list[Finding]], dict[tuple[int | None, str], Finding]]:
    by_row: dict[int, list[Finding]] = defaultdict(list)
    notices: dict[tuple[int | None, str], Finding] = {}
    for finding in report.findings:
        if (finding.check, finding.rule) not in allowed:
            continue
        if finding.file is not None and finding.file != report.dataset.path:
            continue
        rows = finding.rows or ([finding.row] if finding.row is not None else [])
        if not rows:
            notices[(finding.line, finding.rule)] = finding
        for row in rows:
            by_row[row].append(finding)
    _check_capped(report, allowed)
    return by_row, notices


def _check_capped(report: Report, allowed: set[tuple[str, str]]) -> None:
    """Fixes need every finding: refuse when the report listed only some of a fixable rule."""
    for run in report.checks:
        if not run.note or "findings listed" not in run.note:
            continue
        for part in run.note.split("; "):
            rule = part.split(":", 1)[0]
            if (run.id, rule) in allowed:
                raise FtqaError(
                    f"{run.id}/{rule} has more findings than max-findings-per-rule lists; "
                    "raise it in the configuration to fix them all"
                )


def _copy_notice(
    record: Record,
    clean: RowWriter,
    notices: dict[tuple[int | None, str], Finding],
    changes: Any,
    summary: FixSummary,
) -> None:
    """Blank lines and the BOM: dropped when their fix applies, copied otherwise."""
    if clean.kind != "jsonl":
        return
    rule = record.problems[0].rule if record.problems else ""
    if rule == "byte-order-mark":
        if (1, rule) in notices:
            _log(changes, summary, record, "format", rule, "edit", "BOM", "", "removed the BOM")
        else:
            clean.write_bytes(b"\xef\xbb\xbf")
    elif rule == "blank-line":
        if (record.line, rule) in notices:
            _log(changes, summary, record, "format", rule, "edit", "", "", "removed a blank line")
        elif isinstance(record.source, bytes):
            clean.write_bytes(record.source + b"\n")


def _fix_row(
    record: Record,
    findings: list[Finding],
    fixers: dict[str, Checker],
    clean: RowWriter,
    removed: RowWriter,
    changes: Any,
    summary: FixSummary,
) -> None:
    value = record.raw
    edited = False
    for finding in findings:
        checker = fixers.get(finding.check)
        if checker is None:
            continue
        result = checker.fix(value, finding, record.row)
        if isinstance(result, Drop):
            removed.write(record)
            summary.rows_quarantined += 1
            _log(
                changes,
                summary,
                record,
                finding.check,
                finding.rule,
                "drop",
                None,
                None,
                result.reason,
            )
            return
        if isinstance(result, Edit):
            value = result.value
            edited = True
            summary.edits += 1
            _log(
                changes,
                summary,
                record,
                finding.check,
                finding.rule,
                "edit",
                result.before,
                result.after,
                finding.message,
            )
    clean.write(record, value, edited)
    summary.rows_out += 1


def _log(
    changes: Any,
    summary: FixSummary,
    record: Record,
    check_id: str,
    rule: str,
    action: str,
    before: str | None,
    after: str | None,
    reason: str,
) -> None:
    key = f"{check_id}/{rule}"
    summary.by_rule[key] = summary.by_rule.get(key, 0) + 1
    entry = {
        "row": record.row if record.row >= 0 else None,
        "line": record.line,
        "check": check_id,
        "rule": rule,
        "action": action,
        "before": before,
        "after": after,
        "reason": reason,
    }
    changes.write(orjson.dumps(entry) + b"\n")
