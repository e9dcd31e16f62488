"""`ftqa fix`: apply the fixes checkers offer, writing a new dataset and a quarantine file.

The input is never touched and no row is lost: everything is written by the row-conserving writer
(`ftqa.rewrite.conserving`), so rows in = rows written + rows quarantined, untouched rows are
byte-identical and quarantined rows are exactly as written.

Fixes run in rounds until nothing is left to fix, so `fix(fix(x)) == fix(x)`: removing an
invisible character may leave whitespace to trim, trimming may make two rows duplicates. Round 1
reads the input; each later round checks the previous round's output. When a later round changed
something, one last pass over the input writes the final files, so quarantined rows are always the
input's own bytes. Every change is logged with the row and line of the input.
"""

from __future__ import annotations

import os
import tempfile
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftqa.api import check
from ftqa.checker import Checker
from ftqa.config import discover, load_settings
from ftqa.errors import FtqaError
from ftqa.formats.mapping import map_table
from ftqa.load import Limits, open_path
from ftqa.records import Record
from ftqa.report import Report
from ftqa.rewrite.changelog import ChangeLog
from ftqa.rewrite.conserving import UNCHANGED, open_writer
from ftqa.rewrite.decide import decide
from ftqa.rewrite.framing import HeaderRedaction, as_original_columns, notice
from ftqa.rewrite.plan import FIX_FINDINGS_CAP, Plan, allowed_rules, fixers, plan
from ftqa.rewrite.targets import OutputFile, guard_target, promote

MAX_ROUNDS = 5
ENDINGS = (
    ".jsonl.gz",
    ".json.gz",
    ".csv.gz",
    ".tsv.gz",
    ".ndjson.gz",
    ".jsonl",
    ".json",
    ".csv",
    ".tsv",
    ".parquet",
    ".ndjson",
)


@dataclass
class FixSummary:
    rows_in: int = 0
    rows_out: int = 0
    rows_quarantined: int = 0
    edits: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    dropped_by_rule: dict[str, int] = field(default_factory=dict)
    rounds: int = 0
    settled: bool = True
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
            "dropped_by_rule": dict(sorted(self.dropped_by_rule.items())),
            "rounds": self.rounds,
            "settled": self.settled,
            "output": self.output,
            "quarantine": self.quarantine,
            "log": self.log,
        }


def default_sidecar(output: str, suffix: str) -> str:
    path = Path(output)
    name = path.name
    for ending in ENDINGS:
        if name.endswith(ending):
            return str(path.with_name(name[: -len(ending)] + f".{suffix}" + ending))
    return str(path.with_name(name + f".{suffix}"))


def _ending(name: str) -> str:
    return next((ending for ending in ENDINGS if name.endswith(ending)), "")


@dataclass
class _Origin:
    """Where each row of the current round's input came from in the original input."""

    rows: array[int] | None = None  # None: the current input is the original
    lines: array[int] | None = None

    def of(self, record: Record) -> tuple[int, int | None]:
        if self.rows is None or self.lines is None:
            return record.row, record.line
        line = self.lines[record.row]
        return self.rows[record.row], (line if line >= 0 else None)


@dataclass
class _Outcome:
    """What all rounds decided, by original row."""

    dropped: set[int] = field(default_factory=set)
    edited: set[int] = field(default_factory=set)
    omitted: set[tuple[int | None, str]] = field(default_factory=set)  # framing left out, round 1
    header: HeaderRedaction | None = None  # the input's header, redacted in round 1


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
    inputs = [source_path] + ([os.fspath(config)] if isinstance(config, (str, os.PathLike)) else [])
    for target, what in ((output, "output"), (quarantine, "quarantine"), (log, "change log")):
        guard_target(target, inputs, what)
    if len({os.path.realpath(p) for p in (output, quarantine, log)}) < 3:
        raise FtqaError("output, quarantine and log must be three different files")
    settings = load_settings(
        config, Path(source_path) if config is None else None, {"map": map_table(mapping)}
    )
    settings_source = config if config is not None else (discover(Path(source_path)) or {})
    allowed = {
        pair for pair in allowed_rules(only, unsafe, dedupe, redact) if settings.rule_active(*pair)
    }
    kind = open_path(source_path, limits).kind
    selectors = sorted(f"{check_id}/{rule}" for check_id, rule in allowed) or ["format"]

    def checked(current: str) -> Report:
        return check(
            current,
            config=settings_source,
            limits=limits,
            map=mapping,
            select=selectors,
            max_findings_per_rule=FIX_FINDINGS_CAP,
            dataset_level_findings=False,  # a fix needs the finding of every row
            fixes=True,  # each finding brings its fixes, computed in the same pass
        )

    summary = FixSummary(output=output, quarantine=quarantine, log=log)
    for target in (output, quarantine, log):
        _make_parent(target)
    work = tempfile.mkdtemp(prefix=".ftqa-fix-", dir=Path(output).parent)
    try:
        with OutputFile(Path(work) / "changes.log.jsonl", "change log") as log_stream:
            changes = ChangeLog(log_stream)
            final = _rounds(source_path, kind, work, checked, allowed, settings, changes, summary)
            final_output, final_quarantine = final
        summary.edits = changes.edits
        summary.by_rule = dict(changes.by_rule)
        summary.dropped_by_rule = dict(changes.dropped_by_rule)
        promote(final_output, output)
        promote(final_quarantine, quarantine)
        promote(Path(work) / "changes.log.jsonl", log)
    finally:
        _remove_tree(work)
    return summary


def _rounds(
    source_path: str,
    kind: str,
    work: str,
    checked: Any,
    allowed: set[tuple[str, str]],
    settings: Any,
    changes: ChangeLog,
    summary: FixSummary,
) -> tuple[Path, Path]:
    ending = _ending(Path(summary.output).name) or _ending(source_path)
    current, origin, outcome = source_path, _Origin(), _Outcome()
    first: Report | None = None
    for number in range(1, MAX_ROUNDS + 2):
        report = checked(current)
        first = first or report
        todo = plan(report, allowed, current)
        if number > 1 and not todo:
            break
        if number > MAX_ROUNDS:
            summary.settled = False  # still something to fix: say so rather than loop on
            break
        paths = (Path(work) / f"round{number}{ending}", Path(work) / f"round{number}.q{ending}")
        origin, changed = _round(
            current,
            kind,
            report,
            todo,
            fixers(report, settings, current),
            paths,
            origin,
            outcome,
            changes,
            number,
        )
        summary.rounds = number
        current = str(paths[0])
        if not changed:
            break
    assert first is not None
    summary.report = first
    summary.rows_in = first.dataset.rows
    summary.rows_quarantined = len(outcome.dropped)
    summary.rows_out = summary.rows_in - summary.rows_quarantined
    if summary.rounds == 1:
        return Path(work) / f"round1{ending}", Path(work) / f"round1.q{ending}"
    return _compose(source_path, kind, first, current, outcome, Path(work), ending)


def _round(
    current: str,
    kind: str,
    report: Report,
    todo: Plan,
    checkers: dict[str, Checker],
    paths: tuple[Path, Path],
    origin: _Origin,
    outcome: _Outcome,
    changes: ChangeLog,
    number: int,
) -> tuple[_Origin, bool]:
    """One round: fix `current` into paths[0] (and its drops into paths[1])."""
    rows, lines = array("q"), array("q")
    changed = False
    source = open_path(current, None, kind)
    destinations = {"output": paths[0], "quarantine": paths[1]}
    header = HeaderRedaction(todo.header, changes) if todo.header else None
    if number == 1:
        outcome.header = header
    with open_writer(
        current,
        kind,
        destinations,
        "output",
        expected_sha256=report.dataset.sha256,
        expected_rows=report.dataset.rows,
        header_fix=header,
    ) as writer:
        for record in source.records():
            if record.row < 0:
                changed |= notice(record, writer, todo.framing, changes, outcome.omitted, number)
                continue
            original_row, original_line = origin.of(record)
            decision = decide(record, todo.by_row.get(record.row, ()), checkers)
            for finding, fix in decision.changes:
                dropped = fix.action == "drop"
                changes.add(
                    row=original_row,
                    line=original_line,
                    check=finding.check,
                    rule=finding.rule,
                    action="drop" if dropped else "edit",
                    reason=fix.value if dropped else finding.message,
                    before=None if dropped else fix.before,
                    after=None if dropped else fix.after,
                    round_=number,
                )
            if decision.drop is not None:
                writer.put(record, "quarantine")
                outcome.dropped.add(original_row)
                changed = True
                continue
            if decision.value is UNCHANGED:
                writer.put(record, "output")
            else:
                writer.put(record, "output", decision.value)
                outcome.edited.add(original_row)
                changed = True
            rows.append(original_row)
            lines.append(original_line if original_line is not None else -1)
        writer.finish()
    changed |= header is not None and header.cells is not None
    return _Origin(rows, lines), changed


def _compose(
    source_path: str,
    kind: str,
    first: Report,
    last: str,
    outcome: _Outcome,
    work: Path,
    ending: str,
) -> tuple[Path, Path]:
    """Write the final files from the input itself: dropped rows (in any round) to the
    quarantine exactly as written, edited rows as the last round left them, the rest copied."""
    final = (work / f"final{ending}", work / f"final.q{ending}")
    fixed_rows = (r for r in open_path(last, None, kind).records() if r.row >= 0)
    with open_writer(
        source_path,
        kind,
        {"output": final[0], "quarantine": final[1]},
        "output",
        expected_sha256=first.dataset.sha256,
        expected_rows=first.dataset.rows,
        header_fix=outcome.header,
    ) as writer:
        for record in open_path(source_path, None, kind).records():
            if record.row < 0:
                rule = record.problems[0].rule if record.problems else ""
                if (record.line, rule) in outcome.omitted:
                    writer.omit(record)
                continue
            if record.row in outcome.dropped:
                writer.put(record, "quarantine")
                continue
            fixed = as_original_columns(record, next(fixed_rows).raw)
            # A row with a repeated key is written again even when its value is the same: the
            # earlier value (what the fix removed) is only in the input's bytes.
            repeated = any(problem.shadowed for problem in record.problems)
            if record.row in outcome.edited and (fixed != record.raw or repeated):
                writer.put(record, "output", fixed)
            else:
                writer.put(record, "output")
        writer.finish()
    return final


def _make_parent(target: str) -> None:
    try:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise FtqaError(f"{target}: cannot write ({error.strerror or error})") from error


def _remove_tree(directory: str) -> None:
    import shutil

    shutil.rmtree(directory, ignore_errors=True)
