"""The training gate: may a fine-tuning launch proceed on this report?

A launch proceeds only when no finding at or above the configured `fail-on` level remains, or
when each rule that still has such findings is named explicitly with `--accept RULE` (every
acceptance is recorded in the run manifest), and when no configuration that ftqa discovered on
its own (rather than one named with `--config`) disables or downgrades checks. The report
judged is always one computed from the files as they are now (`ftqa.train.saved` verifies a
saved report against it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ftqa.config import Change, Settings
from ftqa.errors import DatasetRejected, FtqaError
from ftqa.finding import Severity
from ftqa.registry import checkers, rule_index
from ftqa.report import Report
from ftqa.text import excerpt

CHECKER_FAILED = "checker-failed"


class TrainingRefused(DatasetRejected):
    """The gate refused the launch; `.decision` says why, `.report` is the report it judged."""

    def __init__(self, decision: GateDecision) -> None:
        FtqaError.__init__(self, decision.headline())
        self.report = decision.report
        self.decision = decision


@dataclass(frozen=True, slots=True)
class Blocker:
    """One rule (or a failed checker) with findings at or above the fail level."""

    check: str
    rule: str
    severity: Severity | None
    count: int
    example: str | None = None

    @property
    def key(self) -> str:
        return f"{self.check}/{self.rule}"


@dataclass(frozen=True, slots=True)
class Acceptance:
    """An `--accept` selector, the blocking rules it covered and how many findings they had."""

    selector: str
    rules: tuple[str, ...]
    findings: int


@dataclass
class GateDecision:
    report: Report
    fail_on: Severity
    blockers: list[Blocker]
    accepted: list[Acceptance] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)

    @property
    def refused(self) -> list[Blocker]:
        covered = {rule for acceptance in self.accepted for rule in acceptance.rules}
        return [blocker for blocker in self.blockers if blocker.key not in covered]

    @property
    def allowed(self) -> bool:
        return not self.refused

    @property
    def clean(self) -> bool:
        """Passed without any acceptance."""
        return not self.blockers

    def headline(self) -> str:
        refused = self.refused
        if not refused:
            return "training gate: passed"
        findings = sum(blocker.count for blocker in refused)
        return (
            f"training gate: refused, {findings} finding{'s' if findings != 1 else ''} at or "
            f"above `{self.fail_on.value}` in {len(refused)} rule{'s' if len(refused) != 1 else ''}"
        )

    def summary_lines(self, limit: int = 12) -> list[str]:
        """The blocking rules, most findings first, one line each, then how to proceed."""
        refused = sorted(self.refused, key=lambda blocker: (-blocker.count, blocker.key))
        lines = [self.headline()]
        for blocker in refused[:limit]:
            level = blocker.severity.value if blocker.severity else "failed"
            line = f"  {level:<8} {blocker.key} × {blocker.count}"
            if blocker.example:
                line += f"  {blocker.example}"
            lines.append(line)
        if len(refused) > limit:
            lines.append(f"  … and {len(refused) - limit} more rules")
        if refused:
            lines.append(
                "Fix the data (`ftqa check` lists every finding, `ftqa fix` repairs what is "
                "safe), or launch anyway by naming each rule: "
                + " ".join(f"--accept {blocker.key}" for blocker in refused[:4])
                + (" …" if len(refused) > 4 else "")
            )
        return lines


def decide(report: Report, fail_on: Severity, accept: Sequence[str] = ()) -> GateDecision:
    """Judge `report` under `fail_on`; each `accept` selector (`check/rule` or a bare rule
    slug, or `check/checker-failed`) lets that rule's blocking findings through."""
    blockers = blocking(report, fail_on)
    accepted: list[Acceptance] = []
    unused: list[str] = []
    for selector, pairs in resolve_accept(accept).items():
        keys = {f"{check}/{rule}" for check, rule in pairs}
        hit = [blocker for blocker in blockers if blocker.key in keys]
        if hit:
            accepted.append(
                Acceptance(
                    selector=selector,
                    rules=tuple(sorted(blocker.key for blocker in hit)),
                    findings=sum(blocker.count for blocker in hit),
                )
            )
        else:
            unused.append(selector)
    return GateDecision(report, fail_on, blockers, accepted, unused)


def blocking(report: Report, fail_on: Severity) -> list[Blocker]:
    """Rules with findings at or above `fail_on`, and checkers that failed to run."""
    exact: Mapping[str, Any] = report.stats.get("findings_by_rule") or {}
    groups: dict[str, list[Any]] = {}
    for finding in report.findings:
        if finding.severity.at_least(fail_on):
            groups.setdefault(f"{finding.check}/{finding.rule}", []).append(finding)
    blockers = []
    for key, findings in sorted(groups.items()):
        first = findings[0]
        count = exact.get(key)
        where = first.file or ""
        if first.line is not None:
            where += f":{first.line}"
        elif first.row is not None:
            where += f"[{first.row}]"
        example = f"{where}: {first.message}" if where else first.message
        blockers.append(
            Blocker(
                check=first.check,
                rule=first.rule,
                severity=max((f.severity for f in findings), key=lambda s: s.rank),
                count=count if isinstance(count, int) and count >= len(findings) else len(findings),
                example=excerpt(example, 160),
            )
        )
    for run in report.checks:
        if run.status == "failed":
            blockers.append(
                Blocker(run.id, CHECKER_FAILED, None, 1, excerpt(run.note or "", 160) or None)
            )
    return blockers


def check_accept_selectors(selectors: Iterable[str]) -> None:
    """Refuse, before any work, an `--accept` that names no installed rule (exit 2)."""
    resolve_accept(selectors)


def resolve_accept(selectors: Iterable[str]) -> dict[str, set[tuple[str, str]]]:
    """Each selector's (check, rule) pair: `check/rule`, an unambiguous bare rule slug, or
    `check/checker-failed`. A whole check id is refused: rules are accepted one at a time."""
    index = rule_index()
    registered = checkers()
    resolved: dict[str, set[tuple[str, str]]] = {}
    for raw in selectors:
        selector = raw.strip()
        check, _, rule = selector.partition("/")
        if selector in registered:
            rules = ", ".join(f"{selector}/{item.slug}" for item in registered[selector].rules)
            raise FtqaError(
                f"--accept {selector}: accept rules one at a time, not a whole check "
                f"(its rules: {rules or 'none'})"
            )
        if rule == CHECKER_FAILED and check in registered:
            resolved[selector] = {(check, CHECKER_FAILED)}
        elif selector in index:
            pairs = set(index[selector])
            if len(pairs) > 1:
                names = ", ".join(sorted(f"{c}/{r}" for c, r in pairs))
                raise FtqaError(f"--accept {selector}: ambiguous, name one of {names}")
            resolved[selector] = pairs
        else:
            raise FtqaError(
                f"--accept {selector or repr(raw)}: unknown rule; name it as check/rule, as "
                "`ftqa checks` lists them (e.g. --accept pii/email-address)"
            )
    return resolved


class DiscoveredConfigRefused(FtqaError):
    """A configuration file found near the data (not named with `--config`) disables or
    downgrades checks; `.lines` explain it and how to proceed."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__(lines[0])
        self.lines = lines


def refuse_relaxing_discovery(settings: Settings) -> None:
    """Raise `DiscoveredConfigRefused` when a discovered configuration file relaxes the checks
    (disabled checkers, ignored rules, a narrower select, lowered severities, changed checker
    options, extra accepted keys or roles). Naming the same file with `--config` accepts it."""
    discovered = [item for item in settings.files if item.discovered]
    if not discovered:
        return
    relaxing: list[Change] = [
        change for change in settings.changes() if change.relaxes and not _from_flag(change)
    ]
    if not relaxing:
        return
    path = discovered[0].path
    lines = [
        f"training gate: refused, the configuration {path} was found near the data (not named "
        f"with --config) and relaxes the checks in {len(relaxing)} way"
        + ("s" if len(relaxing) != 1 else "")
    ]
    lines += [f"  {change.text}" for change in relaxing[:12]]
    if len(relaxing) > 12:
        lines.append(f"  … and {len(relaxing) - 12} more")
    lines.append(
        f"Launch under it by naming it: --config {path}; or check with the defaults: --no-config"
    )
    raise DiscoveredConfigRefused(lines)


def _from_flag(change: Change) -> bool:
    return change.source.startswith("-")
