"""Which fixes a `fix` run may apply, and which rows each finding asks to change."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from ftqa.checker import CheckContext, Checker
from ftqa.config import Settings
from ftqa.errors import FtqaError
from ftqa.finding import Finding
from ftqa.registry import checkers, rule_index
from ftqa.report import Report
from ftqa.rewrite.framing import is_header_finding

# Checkers whose fixes a flag switches on, whatever their safety.
FLAG_CHECKS = {
    "dedupe": ("duplicates", "near_duplicates"),
    "redact": ("secrets", "pii"),
}
# Findings kept per rule while fixing (the report cap would leave rows unfixed).
FIX_FINDINGS_CAP = 10_000_000
# Notices (no row) a fix acts on: the bytes of the notice are left out.
FRAMING_RULES = ("blank-line", "byte-order-mark")


def allowed_rules(
    only: Sequence[str] | None, unsafe: bool, dedupe: bool, redact: bool
) -> set[tuple[str, str]]:
    """(check, rule) pairs whose fixes this run applies."""
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


@dataclass
class Plan:
    """The fixable findings of one round: by row, the notices (blank lines, BOM) by line, and
    the findings about a CSV/TSV header (`fix --redact`)."""

    by_row: dict[int, list[Finding]] = field(default_factory=dict)
    framing: set[tuple[int | None, str]] = field(default_factory=set)
    header: list[Finding] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.by_row or self.framing or self.header)


def plan(report: Report, allowed: set[tuple[str, str]], path: str) -> Plan:
    by_row: dict[int, list[Finding]] = defaultdict(list)
    framing: set[tuple[int | None, str]] = set()
    header: list[Finding] = []
    _refuse_capped(report, allowed)
    for finding in report.findings:
        if (finding.check, finding.rule) not in allowed:
            continue
        if finding.file is not None and finding.file != path:
            continue
        rows = finding.rows or ([finding.row] if finding.row is not None else [])
        if not rows and finding.rule in FRAMING_RULES:
            framing.add((finding.line, finding.rule))
        if not rows and is_header_finding(finding):
            header.append(finding)
        for row in rows:
            by_row[row].append(finding)
    return Plan(dict(by_row), framing, header)


def _refuse_capped(report: Report, allowed: set[tuple[str, str]]) -> None:
    """Fixes need every finding: refuse when the report listed only some of a fixable rule."""
    counts = report.stats.get("findings_by_rule", {})
    listed: dict[str, int] = defaultdict(int)
    for finding in report.findings:
        listed[f"{finding.check}/{finding.rule}"] += 1
    for check_id, rule in allowed:
        key = f"{check_id}/{rule}"
        if counts.get(key, 0) > listed.get(key, 0):
            raise FtqaError(
                f"{key} has more findings than ftqa keeps while fixing ({FIX_FINDINGS_CAP}); "
                "split the file and fix the parts"
            )


def fixers(report: Report, settings: Settings, path: str) -> dict[str, Checker]:
    """An instance of each checker with a dataset-wide finding whose fix is computed as the
    row is written (a finding that carries no fixes of its own)."""
    context = CheckContext(files=(path,))
    found = {finding.check for finding in report.findings if not finding.fixes}
    return {
        check_id: cls(settings.options_for(check_id), context)
        for check_id, cls in checkers().items()
        if check_id in found
    }
