"""The `format` checker: every row that is not a valid example of its format, by file and line.

Reading and normalizing already found what is wrong with each row's shape (record problems);
this checker reports them, adds what needs the whole file (mixed formats, too few examples,
validation of table columns) and gathers role, turn and label statistics.

`map` reports what one row shows on its own (its problems, turn order, table columns) and returns
as features what the file-wide rules need (its format, mapping, label, roles, whether it could
be read, why no format matched, the required columns it lacks); `reduce` folds them into
counters and row arrays, and `finish` reports the rest.
"""

from __future__ import annotations

from array import array
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import Field

from ftqa.checker import Checker, Drop, Edit, Options
from ftqa.checks.format.rules import DROPPED, FIXES, RULES, UNREADABLE
from ftqa.finding import Finding
from ftqa.formats import FORMATS, closest
from ftqa.formats.suggest import suggest_map
from ftqa.formats.tables import row_failures
from ftqa.outbound import outbound
from ftqa.providers import Provided
from ftqa.records import Problem, Record
from ftqa.rowresult import RowKey, RowResult

# Undetectable rows are reported one by one unless there are at least UNDETECTED_MIN_ROWS of them
# and they are more than UNDETECTED_FILE_SHARE of their file's rows: then once, for the file, with
# the `--map` that would read them all (a layout ftqa does not know under those names).
UNDETECTED_FILE_SHARE = 0.5
UNDETECTED_MIN_ROWS = 20


class FormatOptions(Options):
    min_examples: int = Field(
        10, ge=0, description="Warn when the training data has fewer examples (OpenAI: 10)."
    )


class FormatChecker(Checker):
    id = "format"
    summary = "Rows that are not valid examples of their format."
    rules = RULES
    Options = FormatOptions
    sees_unreadable_rows = True
    pure_map = True
    options: FormatOptions

    def __init__(self, options: FormatOptions, context: Any) -> None:
        super().__init__(options, context)
        self._rows: Counter[str] = Counter()
        self._by_format: dict[tuple[str, str], tuple[array[int], array[int]]] = {}
        self._roles: Counter[str] = Counter()
        self._turns: Counter[int] = Counter()
        self._labels: Counter[str] = Counter()
        self._missing_columns: dict[tuple[str, str], None] = {}
        self._unreadable = 0  # training rows or files that could not be read at all
        self._file_rows: Counter[str] = Counter()
        self._undetected: dict[str, _Undetected] = {}
        self._mappings: Counter[tuple[str, str]] = Counter()

    def map(self, record: Record, provided: Provided) -> RowResult | None:
        if record.split == "reference":
            return None
        findings = [self._problem(record, problem) for problem in record.problems]
        features: dict[str, Any] = {}
        if record.split == "train":
            unreadable = sum(problem.rule in UNREADABLE for problem in record.problems)
            if unreadable:
                features["unreadable"] = unreadable
        if record.row >= 0:
            features["row"] = True
            if record.readable:
                self._readable_row(record, features, findings)
        return RowResult(findings, features=features or None)

    def _readable_row(
        self, record: Record, features: dict[str, Any], findings: list[Finding]
    ) -> None:
        if record.format is None:
            if isinstance(record.raw, Mapping):
                features["undetected"] = outbound(_explain(record.raw))
            return
        features["format"] = record.format
        if record.mapping is not None:
            features["mapping"] = outbound(record.mapping)
        if record.label is not None:
            features["label"] = outbound(record.label)
        if record.messages or record.chosen:
            features["turns"] = len(record.messages) + (1 if record.chosen else 0)
            features["roles"] = [outbound(message.role) for message in record.messages]
        findings.extend(self._turn_order(record))
        if record.tabular:
            findings.extend(self._table_row(record, features))

    def reduce(self, key: RowKey, features: dict[str, Any]) -> None:
        self._unreadable += features.get("unreadable", 0)
        if not features.get("row"):
            return
        if key.split == "train":
            self._rows[key.file] += 1
        self._file_rows[key.file] += 1
        undetected = features.get("undetected")
        if undetected is not None:
            self._undetected_row(key, undetected)
        fmt = features.get("format")
        if fmt is None:
            return
        mapping = features.get("mapping")
        if mapping is not None:
            self._mappings[(key.file, mapping)] += 1
        columns = self._by_format.get((key.file, fmt))
        if columns is None:
            columns = self._by_format[(key.file, fmt)] = (array("q"), array("q"))
        rows, lines = columns
        rows.append(key.row)
        lines.append(key.line if key.line is not None else -1)
        label = features.get("label")
        if label is not None:
            self._labels[label] += 1
        turns = features.get("turns")
        if turns is not None:
            self._turns[turns] += 1
            self._roles.update(features["roles"])
        for column in features.get("missing", ()):
            self._missing_columns.setdefault((key.file, column), None)

    def finish(self) -> Iterator[Finding]:
        for file, column in self._missing_columns:
            message = f"required column `{column}` is missing"
            yield self.finding("missing-key", message, file=file, field=column)
        yield from self._mixed_formats()
        yield from self._undetected_findings()
        for (file, mapping), count in sorted(self._mappings.items()):
            yield self.finding(
                "field-mapping",
                f"{count:,} {'row' if count == 1 else 'rows'} read with the mapping {mapping}",
                file=file,
            )
        total = sum(self._rows.values())
        if self.context.files and total == 0 and not self._unreadable:
            yield self.finding(
                "empty-dataset",
                "the dataset holds no example: the file is blank, only a CSV header or an "
                "empty list",
                file=self.context.files[0],
                fix="point ftqa at the file that holds the training examples",
            )
        elif self.context.files and total < self.options.min_examples:
            yield self.finding(
                "too-few-examples",
                f"{total} training examples; providers require at least "
                f"{self.options.min_examples} (OpenAI's minimum is 10) and results usually "
                "need 50-100 or more",
                file=self.context.files[0],
            )

    def stats(self) -> dict[str, Any]:
        turns = sorted(self._turns.elements())
        stats: dict[str, Any] = {"roles": dict(self._roles.most_common())}
        if turns:
            stats["turns"] = {
                "min": turns[0],
                "max": turns[-1],
                "mean": round(sum(turns) / len(turns), 3),
                "histogram": {str(k): v for k, v in sorted(self._turns.items())},
            }
        if self._labels:
            stats["labels"] = dict(self._labels.most_common())
        return stats

    def fix(self, raw: Any, finding: Finding, row: int) -> Edit | Drop | None:
        if finding.rule in DROPPED:
            return Drop(finding.message)
        return None

    def _turn_order(self, record: Record) -> Iterator[Finding]:
        """A conversation's turns: a reply with no user message, or one before the first."""
        messages = record.messages
        if record.chosen is not None or not messages or record.problems:
            return  # a row with a problem of its own is reported for that first
        if record.format == "completion":
            return  # an empty prompt is unconditional generation, a layout of its own
        roles = [message.role for message in messages]
        if "assistant" not in roles:
            return
        if "user" not in roles:
            yield self.finding(
                "missing-user-message",
                "the conversation has an assistant message but no user message: the model "
                "learns a reply to nothing",
                record,
                fix="add the user message the reply answers, or drop the row",
            )
            return
        first = next(i for i, role in enumerate(roles) if role in ("user", "assistant"))
        if roles[first] == "assistant" and messages[first].weight != 0:
            yield self.finding(
                "assistant-before-user",
                f"{messages[first].field} is an assistant turn before the first user turn",
                record,
                field=messages[first].field,
                evidence=messages[first].content,
                fix="start the conversation with the user (or mark the greeting with weight 0)",
            )

    def _problem(self, record: Record, problem: Problem) -> Finding:
        message = problem.message
        if problem.column is not None and problem.rule == "invalid-json":
            message = (
                f"{message} (line {record.line}, column {problem.column})"
                if record.line is not None and "column" not in message
                else message
            )
        return self.finding(
            problem.rule,
            message,
            record,
            field=problem.field,
            evidence=problem.evidence,
            fix=FIXES.get(problem.rule),
        )

    def _undetected_row(self, key: RowKey, explanation: str) -> None:
        seen = self._undetected.get(key.file)
        if seen is None:
            seen = self._undetected[key.file] = _Undetected()
        seen.add(key.row, key.line, explanation)

    def _undetected_findings(self) -> Iterator[Finding]:
        for file, seen in self._undetected.items():
            count, total = len(seen.rows), self._file_rows[file]
            if count >= UNDETECTED_MIN_ROWS and count > UNDETECTED_FILE_SHARE * total:
                first = seen.lines[0]
                yield self.finding(
                    "undetectable-format",
                    f"{count:,} of {total:,} rows match no known format; the first has "
                    f"{seen.explanation(0)}",
                    file=file,
                    line=first if first >= 0 else None,
                )
                continue
            texts = list(seen.texts)
            for row, line, text in zip(seen.rows, seen.lines, seen.ids, strict=True):
                yield self.finding(
                    "undetectable-format",
                    f"the row matches no known format ({texts[text]})",
                    file=file,
                    line=line if line >= 0 else None,
                    row=row,
                )

    def _mixed_formats(self) -> Iterator[Finding]:
        per_file: dict[str, dict[str, int]] = defaultdict(dict)
        for (file, fmt), (rows, _) in self._by_format.items():
            per_file[file][fmt] = len(rows)
        for file, counts in per_file.items():
            if len(counts) < 2:
                continue
            dominant = max(counts, key=lambda name: (counts[name], name))
            for fmt in sorted(counts):
                if fmt == dominant:
                    continue
                rows, lines = self._by_format[(file, fmt)]
                for row, line in zip(rows, lines, strict=True):
                    yield self.finding(
                        "mixed-formats",
                        f"{_article(FORMATS[fmt].title)} {FORMATS[fmt].title} row in a file of "
                        f"{FORMATS[dominant].title} "
                        f"rows ({counts[dominant]} of {sum(counts.values())})",
                        file=file,
                        line=line if line >= 0 else None,
                        row=row,
                    )

    def _table_row(self, record: Record, features: dict[str, Any]) -> Iterator[Finding]:
        """Column checks of a table row; a required column it lacks is missing from the file,
        reported once in `finish` (the feature names it)."""
        missing: list[str] = []
        for failure in row_failures(FORMATS[record.format or ""], record.raw, record.row):
            if failure.index is None:
                missing.append(failure.column)
                continue
            yield self.finding(
                failure.rule,
                failure.message,
                record,
                field=failure.column,
                evidence=None if failure.value is None else str(failure.value),
            )
        if missing:
            features["missing"] = [outbound(column) for column in missing]


class _Undetected:
    """Rows of one file that match no format: where they are, and what the first one lacks."""

    __slots__ = ("ids", "lines", "rows", "texts")

    def __init__(self) -> None:
        self.rows: array[int] = array("q")
        self.lines: array[int] = array("q")
        self.ids: array[int] = array("l")
        self.texts: dict[str, int] = {}  # each distinct explanation once (rows share key sets)

    def add(self, row: int, line: int | None, explanation: str) -> None:
        self.rows.append(row)
        self.lines.append(line if line is not None else -1)
        self.ids.append(self.texts.setdefault(explanation, len(self.texts)))

    def explanation(self, index: int) -> str:
        return list(self.texts)[self.ids[index]]  # ids count up in insertion order


def _explain(raw: Mapping[str, Any]) -> str:
    """The row's keys, then the `--map` that would read it, else the closest format's needs."""
    keys = ", ".join(f"`{key}`" for key in list(raw)[:8]) or "none"
    suggestion = suggest_map(raw)
    if suggestion is not None:
        return f"keys {keys}: try {suggestion}"
    near = closest(raw)
    if near is not None:
        missing = [c.name for c in near.columns if c.required and c.name not in raw]
        if missing:
            needs = ", ".join(f"`{name}`" for name in missing)
            return f"keys {keys}; closest format is {near.name}, which needs {needs}"
    return f"keys {keys}"


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"
