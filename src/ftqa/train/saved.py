"""Saved reports (`ftqa train --report REPORT.json`): load one, check that it belongs to the
files and the configuration given, and that it says what the checks find on those files now.

The gate never trusts a saved report's verdict: the checks run again on the files as they are
and the saved report must agree with the fresh one (same files by sha256, same configuration
files and changes, same counts per rule, same failed checkers). An edited report (findings
deleted, the dataset renamed to another file) therefore never opens the gate.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ftqa.config import Settings
from ftqa.errors import FtqaError, InputError
from ftqa.finding import Finding
from ftqa.registry import checkers
from ftqa.report import SCHEMA_VERSION, FileInfo, Report
from ftqa.train.fingerprint import config_fingerprint

CONFIG_KEY = "config_sha256"
CHUNK = 1 << 20


class StaleReport(FtqaError):
    """A saved report that does not belong to the files or the configuration given, or that
    does not say what the checks find on them now."""


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
            f"the {what} file {name} has sha256 {sha[:12]} (first 12 digits), the report checked "
            f"{recorded.path} with sha256 {recorded.sha256[:12]} (changed since, or another file)"
        ]
    return []


def _config_problems(report: Report, settings: Settings) -> list[str]:
    problems = _config_file_problems(report, settings)
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


def _config_file_problems(report: Report, settings: Settings) -> list[str]:
    """The configuration files (by sha256) and the changes the report records must be the
    ones in force now."""
    recorded = {item.sha256: item.path for item in report.config.files}
    current = {item.sha256: item.path for item in settings.files}
    if recorded.keys() != current.keys():
        then = ", ".join(f"{path} ({sha[:12]}…)" for sha, path in recorded.items()) or "none"
        now = ", ".join(f"{path} ({sha[:12]}…)" for sha, path in current.items()) or "none"
        return [f"it was made with the configuration file(s) {then}, now {now}"]
    changes = [change.describe(len(settings.files)) for change in settings.changes()]
    if sorted(report.config.changes) != sorted(changes):
        then = "; ".join(report.config.changes) or "the defaults"
        now = "; ".join(changes) or "the defaults"
        return [f"it was made with {then}; the configuration now: {now}"]
    return []


def recorded_inputs(report: Report) -> tuple[str | None, list[str]]:
    """What the saved report's check used besides the files and the configuration: the token
    profile (`stats.token_length.model`) and the `--reference` files, to check again alike."""
    tokens = report.stats.get("token_length")
    profile = tokens.get("model") if isinstance(tokens, Mapping) else None
    references = report.stats.get("references") or []
    paths = [item["path"] for item in references if isinstance(item, Mapping) and "path" in item]
    return (profile if isinstance(profile, str) else None), paths


def verify_reproduced(loaded: LoadedReport, fresh: Report) -> None:
    """Refuse (`StaleReport`) a saved report that does not say what the checks, run again on
    the files as they are now, found: other file bytes, other counts per rule, other listed
    findings, another verdict or other failed checkers. This catches an edited report as well
    as a file changed between the report and now."""
    saved = loaded.report
    problems = []
    for label, then, now in (
        ("training data", saved.dataset, fresh.dataset),
        ("validation data", saved.validation, fresh.validation),
    ):
        if (then and then.sha256) != (now and now.sha256):
            problems.append(f"the {label} checked now is not the data it describes (sha256)")
    if saved.summary != fresh.summary:
        problems.append(f"it says {_verdict(saved)}, the checks now find {_verdict(fresh)}")
    then_rules = saved.stats.get("findings_by_rule") or {}
    now_rules = fresh.stats.get("findings_by_rule") or {}
    for key in sorted(set(then_rules) | set(now_rules)):
        if then_rules.get(key) != now_rules.get(key):
            problems.append(f"{key}: {then_rules.get(key, 0)} in it, {now_rules.get(key, 0)} now")
    if Counter(map(_identity, saved.findings)) != Counter(map(_identity, fresh.findings)):
        problems.append("its list of findings differs from the findings now")
    failed_then = sorted(run.id for run in saved.checks if run.status == "failed")
    failed_now = sorted(run.id for run in fresh.checks if run.status == "failed")
    if failed_then != failed_now:
        problems.append(
            f"failed checkers: {failed_then or 'none'} in it, {failed_now or 'none'} now"
        )
    if problems:
        shown = problems[:8] + ([f"… and {len(problems) - 8} more"] if len(problems) > 8 else [])
        raise StaleReport(
            f"{loaded.path}: this report does not say what the checks find on these files now "
            f"(edited, or made by another ftqa version): {'; '.join(shown)}. Re-run "
            "`ftqa check --format json`, or drop --report."
        )


def _verdict(report: Report) -> str:
    summary = report.summary
    outcome = "passed" if summary.passed else "failed"
    return (
        f"{outcome} ({summary.errors} errors, {summary.warnings} warnings, {summary.infos} infos)"
    )


def _identity(finding: Finding) -> tuple[object, ...]:
    """A finding as the same check finds it again, whatever path the file was given by."""
    return (finding.check, finding.rule, finding.severity, finding.line, finding.row)
