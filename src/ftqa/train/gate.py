"""The training gate: may a fine-tuning launch proceed on this report?

A launch proceeds only when no finding at or above the configured `fail-on` level remains, or
when each rule that still has such findings is named explicitly with `--accept RULE` (every
acceptance is recorded in the run manifest). A saved report is used only when it belongs to the
files given (their current sha256 equals the report's) and to the configuration in force.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ftqa.config import Settings
from ftqa.errors import DatasetRejected, FtqaError, InputError
from ftqa.finding import Severity
from ftqa.registry import checkers, rule_index
from ftqa.report import SCHEMA_VERSION, FileInfo, Report
from ftqa.text import excerpt

CHECKER_FAILED = "checker-failed"
CONFIG_KEY = "config_sha256"
CHUNK = 1 << 20


class StaleReport(FtqaError):
    """A saved report that does not belong to the files or the configuration given."""


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


# --- configuration fingerprint -------------------------------------------------------------


def _canonical(value: Any) -> Any:
    """Plain JSON data with a stable order: sets become sorted lists (their iteration order
    changes between processes), models become dicts, other objects their `str`."""
    if isinstance(value, BaseModel):
        return _canonical(value.model_dump(mode="python"))
    if isinstance(value, Mapping):
        return {str(key): _canonical(item) for key, item in value.items()}
    if isinstance(value, (set, frozenset)):
        items = [_canonical(item) for item in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, default=str))
    if isinstance(value, (list, tuple)):
        return [_canonical(item) for item in value]
    if isinstance(value, Enum):
        return _canonical(value.value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def config_document(settings: Settings) -> dict[str, Any]:
    """The resolved configuration as plain JSON data: global settings, then per installed
    checker its version, `enabled`, severity overrides and validated options."""
    glob = _canonical(settings.globals)
    for key in ("select", "ignore", "extra_roles", "extra_keys"):
        if isinstance(glob.get(key), list):
            glob[key] = sorted(glob[key])
    tables = {}
    for check_id, cls in sorted(checkers().items()):
        table = settings.tables.get(check_id)
        options = settings.options_for(check_id)
        tables[check_id] = {
            "version": str(cls.version),
            "enabled": table.enabled if table is not None else True,
            "severity": {
                rule: level.value
                for rule, level in sorted((table.severity if table else {}).items())
            },
            "options": _canonical(options) if options is not None else {},
        }
    return {"globals": glob, "checkers": tables}


def config_fingerprint(settings: Settings) -> str:
    """sha256 of `config_document` as canonical JSON (sorted keys, no whitespace)."""
    text = json.dumps(
        config_document(settings), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- saved reports -------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedReport:
    report: Report
    path: str
    data: bytes
    sha256: str
    raw: Mapping[str, Any]


def load_report(path: str | os.PathLike[str]) -> LoadedReport:
    """Read a JSON report written by `ftqa check --format json`."""
    name = os.fspath(path)
    try:
        data = Path(name).read_bytes()
    except FileNotFoundError as error:
        raise InputError(name, "no such report file") from error
    except IsADirectoryError as error:
        raise InputError(name, "is a directory, not a JSON report") from error
    except OSError as error:
        raise InputError(name, f"cannot read the report ({error.strerror or error})") from error
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise InputError(
            name, "not a JSON report (write one with `ftqa check --format json`)"
        ) from error
    if not isinstance(raw, dict) or "summary" not in raw or "dataset" not in raw:
        raise InputError(name, "not an ftqa JSON report (no `dataset` / `summary`)")
    version = raw.get("schema_version")
    if version != SCHEMA_VERSION:
        raise StaleReport(
            f"{name}: report schema version {version!r}, this ftqa reads {SCHEMA_VERSION}; "
            "re-run `ftqa check --format json`"
        )
    try:
        report = Report.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InputError(name, f"not a valid ftqa report (`{where}`: {first['msg']})") from error
    return LoadedReport(report, name, data, hashlib.sha256(data).hexdigest(), raw)


def file_sha256(path: str | os.PathLike[str]) -> tuple[str, int]:
    """(sha256, size) of a file's bytes as stored (compressed files are not decompressed)."""
    name = os.fspath(path)
    digest = hashlib.sha256()
    size = 0
    try:
        with open(name, "rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
    except FileNotFoundError as error:
        raise InputError(name, "no such file") from error
    except IsADirectoryError as error:
        raise InputError(name, "is a directory, not a dataset file") from error
    except OSError as error:
        raise InputError(name, error.strerror or str(error)) from error
    return digest.hexdigest(), size


def verify_report(
    loaded: LoadedReport,
    train: str | os.PathLike[str],
    validation: str | os.PathLike[str] | None,
    settings: Settings,
) -> str:
    """Refuse (`StaleReport`) a report made for other files or another configuration.

    Returns how the configuration was verified: "fingerprint" when the report carries
    `config_sha256`, else "structural" (fail-on level, the set of checks that ran, and each
    reported rule's enabled state and severity under the configuration in force).
    """
    report = loaded.report
    problems = _file_problems("training", report.dataset.files or [report.dataset], train)
    if validation is None and report.validation is not None:
        problems.append(
            f"it also checked the validation file {report.validation.path}; pass it with "
            "--validation (train/validation overlap was judged on that pair)"
        )
    elif validation is not None and report.validation is None:
        problems.append(f"it did not check the validation file {os.fspath(validation)}")
    elif validation is not None and report.validation is not None:
        files = report.validation.files or [report.validation]
        problems.extend(_file_problems("validation", files, validation))
    recorded = loaded.raw.get(CONFIG_KEY) or (loaded.raw.get("stats") or {}).get(CONFIG_KEY)
    if recorded:
        mode = "fingerprint"
        current = config_fingerprint(settings)
        if recorded != current:
            problems.append(
                f"it was made under another configuration (config sha256 {recorded[:12]}…, "
                f"now {current[:12]}… from {settings.origin})"
            )
    else:
        mode = "structural"
        problems.extend(_config_problems(report, settings))
    if problems:
        raise StaleReport(
            f"{loaded.path}: this report does not belong to the files and configuration given: "
            + "; ".join(problems)
            + ". Re-run `ftqa check --format json`, or drop --report to check now."
        )
    return mode


def _file_problems(what: str, files: Sequence[FileInfo], path: str | os.PathLike[str]) -> list[str]:
    name = os.fspath(path)
    if len(files) != 1:
        return [f"it covers {len(files)} {what} files; ftqa train takes exactly one"]
    sha, _ = file_sha256(name)
    recorded = files[0]
    if sha != recorded.sha256:
        return [
            f"the {what} file {name} has sha256 {sha[:12]}…, the report checked "
            f"{recorded.path} with sha256 {recorded.sha256[:12]}… (changed since, or another file)"
        ]
    return []


def _config_problems(report: Report, settings: Settings) -> list[str]:
    problems: list[str] = []
    fail_on = settings.globals.fail_on
    if report.summary.fail_on != fail_on:
        problems.append(
            f"it was judged with fail-on `{report.summary.fail_on.value}`, the configuration "
            f"({settings.origin}) says `{fail_on.value}`"
        )
    registered = checkers()
    ran = {run.id for run in report.checks if run.status != "skipped"}
    active = {cls.id for cls in registered.values() if settings.checker_active(cls)}
    if ran - active:
        problems.append(
            f"it ran checks the configuration disables: {', '.join(sorted(ran - active))}"
        )
    if active - ran:
        problems.append(f"it did not run checks now enabled: {', '.join(sorted(active - ran))}")
    seen: set[str] = set()
    for finding in report.findings:
        key = f"{finding.check}/{finding.rule}"
        if key in seen:
            continue
        seen.add(key)
        cls = registered.get(finding.check)
        if cls is None or finding.rule not in cls._rules_by_slug:
            problems.append(f"it reports {key}, which no installed checker declares")
            continue
        if not settings.rule_active(finding.check, finding.rule):
            problems.append(f"it reports {key}, which the configuration disables")
            continue
        expected = settings.severity(finding.check, finding.rule, cls.rule(finding.rule).severity)
        if expected is not finding.severity:
            problems.append(
                f"{key} is `{finding.severity.value}` in the report, `{expected.value}` under "
                "the configuration"
            )
    return problems
