"""The report of a run, from what the reduce side holds. Findings are sorted by a stable key
(file, line, row, rule, check), whatever order rows were mapped in."""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

from ftqa.config import Settings
from ftqa.engine.reduction import Reduction
from ftqa.finding import Finding, Severity
from ftqa.registry import checker_ids
from ftqa.report import CheckRun, Cost, DatasetInfo, FileInfo, Report, Summary


def dataset_info(files: list[FileInfo]) -> DatasetInfo:
    if len(files) == 1:
        only = files[0]
        return DatasetInfo(**only.model_dump(), files=[only])
    digest = hashlib.sha256()
    for info in files:
        digest.update(f"{info.sha256}  {info.path}\n".encode())
    formats = Counter({info.format: info.rows for info in files if info.format})
    sizes = [info.bytes for info in files]
    return DatasetInfo(
        path=files[0].path if files else "",
        sha256=digest.hexdigest(),
        rows=sum(info.rows for info in files),
        format=formats.most_common(1)[0][0] if formats else None,
        bytes=None if any(size is None for size in sizes) else sum(s or 0 for s in sizes),
        files=files,
    )


def build_report(
    reduction: Reduction,
    settings: Settings,
    stats: dict[str, Any],
    extras: dict[str, Any],
    notes: dict[str, str] | None = None,
) -> Report:
    infos = reduction.infos
    collector = reduction.collector
    collector.settle(
        {info.path: info.rows for split in ("train", "validation") for info in infos[split]}
    )
    fail_on = settings.globals.fail_on
    counts = collector.counts
    failing = sum(count for severity, count in counts.items() if severity.at_least(fail_on))
    states = reduction.states
    failed_checks = [state for state in states if state.error is not None]
    truncated = collector.truncated()
    runs = []
    for state in states:
        check_id = state.checker.id
        notes_of = [
            f"{rule}: {settings.globals.max_findings_per_rule} of {count} findings listed"
            for (check, rule), count in sorted(truncated.items())
            if check == check_id
        ]
        if notes and check_id in notes:
            notes_of.append(notes[check_id])
        if state.error is not None:
            notes_of.insert(0, f"checker failed: {state.error}")
        runs.append(
            CheckRun(
                id=check_id,
                status="failed" if state.error else "ran",
                seconds=round(state.seconds, 4),
                note="; ".join(notes_of) or None,
            )
        )
    ran = {state.checker.id for state in states}
    for check_id in checker_ids():
        if check_id not in ran:
            runs.append(CheckRun(id=check_id, status="skipped", seconds=0.0, note="not selected"))
    findings = sorted(collector.listed(), key=Finding.sort_key)
    stats["findings_by_rule"] = {
        f"{check}/{rule}": count for (check, rule), count in sorted(collector.per_rule.items())
    }
    report = Report(
        dataset=dataset_info(infos["train"]),
        validation=dataset_info(infos["validation"]) if infos["validation"] else None,
        summary=Summary(
            errors=counts[Severity.ERROR],
            warnings=counts[Severity.WARNING],
            infos=counts[Severity.INFO],
            passed=failing == 0 and not failed_checks,
            fail_on=fail_on,
        ),
        config=settings.report_info(),
        findings=findings,
        stats=stats,
        checks=runs,
        cost=Cost(**extras["cost"]) if extras.get("cost") else None,
        recommendations=list(extras.get("recommendations", [])),
    )
    if reduction.examples is not None:
        report.attach_examples(reduction.examples.columns)
    return report
