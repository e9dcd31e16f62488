"""Run the selected checkers over every input in one streaming pass and build the report.

Rows are read, normalized and handed to every checker one at a time; nothing keeps the rows.
A checker that raises, or whose call runs longer than `checker-timeout` (`ftqa.timelimit`), is
marked `failed` in the report and the others carry on.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ftqa.checker import CheckContext, Checker, Rule
from ftqa.collector import Collector
from ftqa.config import Settings
from ftqa.errors import is_crash
from ftqa.finding import Finding, Severity
from ftqa.load import Source
from ftqa.normalize import Normalizer
from ftqa.providers import Provided, Provider, RunContext
from ftqa.records import Record
from ftqa.registry import checker_ids
from ftqa.report import CheckRun, Cost, DatasetInfo, FileInfo, Report, Summary
from ftqa.rowresult import RowKey
from ftqa.text import clean_text
from ftqa.timelimit import CallTimer, CheckerTimedOut

ProgressHook = Callable[[Source, int], None]
PROGRESS_EVERY = 2048


@dataclass
class _Running:
    checker: Checker
    timer: CallTimer
    needs: frozenset[Provider[Any]] = frozenset()
    seconds: float = 0.0
    error: str | None = None


@dataclass
class Inputs:
    """Everything one run reads: the dataset, its validation split, reference files."""

    train: list[Source]
    validation: list[Source] = field(default_factory=list)
    references: list[Source] = field(default_factory=list)
    model: str | None = None
    epochs: int | None = None
    collect_examples: bool = False


def run(
    inputs: Inputs,
    settings: Settings,
    progress: ProgressHook | None = None,
    *,
    only: frozenset[str] | None = None,
    skip: frozenset[str] = frozenset(),
) -> Report:
    """One pass over `inputs` with every active checker (restricted to the ids in `only`, minus
    those in `skip`, when given: `ftqa.parallel` runs isolated checkers in a worker process)."""
    context = CheckContext(
        files=tuple(source.path for source in inputs.train),
        validation_files=tuple(source.path for source in inputs.validation),
        reference_files=tuple(source.path for source in inputs.references),
        forced_format=settings.forced_format,
        model=inputs.model,
        epochs=inputs.epochs,
    )
    selected = [
        cls
        for cls in settings.candidates()
        if settings.checker_active(cls) and (only is None or cls.id in only) and cls.id not in skip
    ]
    timer = CallTimer(settings.globals.checker_timeout, _BOOKKEEPING)
    running = [
        _Running(cls(settings.options_for(cls.id), context), timer, frozenset(cls.needs))
        for cls in sorted(selected, key=lambda cls: (cls.order, cls.id))
    ]
    run_context = RunContext(
        model=inputs.model,
        options={cls.id: settings.options_for(cls.id) for cls in settings.candidates()},
    )
    rules: dict[tuple[str, str], Rule] = {
        (entry.checker.id, rule.slug): rule for entry in running for rule in entry.checker.rules
    }
    collector = Collector(settings, lambda check, slug: rules.get((check, slug)))
    normalizer = Normalizer(settings.read_options, settings.forced_format)
    examples = _Examples() if inputs.collect_examples else None
    infos: dict[str, list[FileInfo]] = {"train": [], "validation": [], "reference": []}
    row_formats: Counter[str] = Counter()
    stats: dict[str, Any] = {}
    extras: dict[str, Any] = {}
    with timer:
        for split, sources in (
            ("train", inputs.train),
            ("validation", inputs.validation),
            ("reference", inputs.references),
        ):
            for source in sources:
                info, formats = _scan(
                    source, split, normalizer, running, collector, progress, examples, run_context
                )
                infos[split].append(info)
                if split == "train":
                    row_formats.update(formats)
        stats["rows"] = sum(info.rows for info in infos["train"])
        stats["formats"] = dict(row_formats.most_common())
        for entry in running:
            _guard(entry, entry.checker.finish, collector)
        for entry in running:
            checker_stats = _guarded_call(entry, entry.checker.stats)
            if checker_stats:
                stats[entry.checker.id] = checker_stats
            extra = _guarded_call(entry, entry.checker.extras)
            if "cost" in extra:
                extras["cost"] = extra["cost"]
            extras.setdefault("recommendations", []).extend(extra.get("recommendations", []))
    if infos["reference"]:
        stats["references"] = [info.model_dump() for info in infos["reference"]]
    report = _report(infos, settings, running, collector, stats, extras)
    if examples is not None:
        report.attach_examples(examples.columns)
    return report


def _scan(
    source: Source,
    split: str,
    normalizer: Normalizer,
    running: list[_Running],
    collector: Collector,
    progress: ProgressHook | None,
    examples: _Examples | None,
    run_context: RunContext,
) -> tuple[FileInfo, Counter[str]]:
    rows = 0
    formats: Counter[str] = Counter()
    for record in source.records():
        record.split = split
        normalizer.normalize(record)
        if record.row >= 0:
            rows += 1
            if record.format is not None:
                formats[record.format] += 1
        _dispatch(record, running, collector, run_context)
        if examples is not None and record.row >= 0 and split != "reference":
            examples.add(record)
        if progress is not None and rows % PROGRESS_EVERY == 0:
            progress(source, source.bytes_read)
    if progress is not None:
        progress(source, source.bytes_read)
    info = FileInfo(
        path=clean_text(source.path),
        sha256=source.sha256,
        rows=rows,
        format=formats.most_common(1)[0][0] if formats else None,
        bytes=source.size,
    )
    return info, formats


class _Examples:
    """The per-example table, kept column-wise: fixed columns plus every checker's measures."""

    FIXED = ("split", "file", "row", "line", "format", "turns", "label")

    def __init__(self) -> None:
        self.columns: dict[str, list[Any]] = {name: [] for name in self.FIXED}
        self.count = 0

    def add(self, record: Record) -> None:
        columns = self.columns
        columns["split"].append(record.split)
        columns["file"].append(record.file)
        columns["row"].append(record.row)
        columns["line"].append(record.line)
        columns["format"].append(record.format)
        columns["turns"].append(len(record.messages) if record.format else None)
        columns["label"].append(record.label)
        for name, value in record.measures.items():
            column = columns.get(name)
            if column is None:
                column = columns[name] = [None] * self.count
            column.append(value)
        self.count += 1
        for column in columns.values():
            if len(column) < self.count:
                column.append(None)


def _dispatch(
    record: Record, running: list[_Running], collector: Collector, run_context: RunContext
) -> None:
    """Map one record with every checker that wants it and reduce its features. The per-row
    twin of `_guard`, inlined because it runs once per row and checker."""
    readable = record.readable and record.row >= 0
    reference = record.split == "reference"
    clock = time.perf_counter
    provided = Provided(record, run_context)
    key = RowKey(record.split, record.file, record.row, record.line)
    for entry in running:
        checker = entry.checker
        if entry.error is not None or (reference and not checker.sees_references):
            continue
        if not readable and not checker.sees_unreadable_rows:
            continue
        started = entry.timer.since = clock()
        try:
            result = checker.map(record, provided.allow(entry.needs))
            if result is not None:
                for finding in result.findings:
                    collector.add(finding)
                if result.features is not None:
                    checker.reduce(key, result.features)
                if result.measures:
                    record.measures.update(result.measures)
            entry.timer.since = None
        except BaseException as error:  # a faulty checker must not stop the others
            entry.timer.since = None
            if not is_crash(error):
                raise
            entry.error = _failure(error)
        entry.seconds += clock() - started


def _guard(
    entry: _Running,
    produce: Callable[..., Iterable[Finding]],
    collector: Collector,
    *args: Any,
) -> None:
    """Run one checker call; an exception marks the checker failed and the run goes on."""
    if entry.error is not None:
        return
    started = entry.timer.since = time.perf_counter()
    try:
        for finding in produce(*args):
            collector.add(finding)
        entry.timer.since = None
    except BaseException as error:  # a faulty checker must not stop the others
        entry.timer.since = None
        if not is_crash(error):
            raise
        entry.error = _failure(error)
    finally:
        entry.seconds += time.perf_counter() - started


def _guarded_call(entry: _Running, call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    if entry.error is not None:
        return {}
    entry.timer.since = time.perf_counter()
    try:
        result = dict(call())
        entry.timer.since = None
        return result
    except BaseException as error:  # a faulty checker must not stop the others
        entry.timer.since = None
        if not is_crash(error):
            raise
        entry.error = _failure(error)
        return {}


def _failure(error: BaseException) -> str:
    if isinstance(error, CheckerTimedOut):
        return str(error)
    return f"{type(error).__name__}: {error}"


def _dataset(files: list[FileInfo]) -> DatasetInfo:
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


def _report(
    infos: dict[str, list[FileInfo]],
    settings: Settings,
    running: list[_Running],
    collector: Collector,
    stats: dict[str, Any],
    extras: dict[str, Any],
) -> Report:
    collector.settle(
        {info.path: info.rows for split in ("train", "validation") for info in infos[split]}
    )
    fail_on = settings.globals.fail_on
    counts = collector.counts
    failing = sum(count for severity, count in counts.items() if severity.at_least(fail_on))
    failed_checks = [entry for entry in running if entry.error is not None]
    truncated = collector.truncated()
    runs = []
    ran_ids = {entry.checker.id for entry in running}
    for entry in running:
        notes = [
            f"{rule}: {settings.globals.max_findings_per_rule} of {count} findings listed"
            for (check, rule), count in sorted(truncated.items())
            if check == entry.checker.id
        ]
        if entry.error is not None:
            notes.insert(0, f"checker failed: {entry.error}")
        runs.append(
            CheckRun(
                id=entry.checker.id,
                status="failed" if entry.error else "ran",
                seconds=round(entry.seconds, 4),
                note="; ".join(notes) or None,
            )
        )
    for check_id in checker_ids():
        if check_id not in ran_ids:
            runs.append(CheckRun(id=check_id, status="skipped", seconds=0.0, note="not selected"))
    findings = sorted(collector.findings, key=Finding.sort_key)
    stats["findings_by_rule"] = {
        f"{check}/{rule}": count for (check, rule), count in sorted(collector.per_rule.items())
    }
    return Report(
        dataset=_dataset(infos["train"]),
        validation=_dataset(infos["validation"]) if infos["validation"] else None,
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


# The engine's own code between checker calls, where a timeout must never be raised.
_BOOKKEEPING = frozenset(
    function.__code__ for function in (_dispatch, _guard, _guarded_call, Collector.add, _scan)
)
