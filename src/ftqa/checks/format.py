"""The `format` checker: every row that is not a valid example of its format, by file and line.

Reading and normalizing already found what is wrong with each row's shape (record problems);
this checker reports them, adds what needs the whole file (mixed formats, too few examples,
column-wise validation of tables) and gathers role, turn and label statistics.
"""

from __future__ import annotations

from array import array
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import Field

from ftqa.checker import Checker, Drop, Edit, Options, Rule
from ftqa.finding import Finding, Severity
from ftqa.formats import FORMATS, closest
from ftqa.formats.suggest import suggest_map
from ftqa.records import Problem, Record

E, W = Severity.ERROR, Severity.WARNING

RULES = (
    Rule("invalid-json", E, "A line (or array element) is not valid JSON.", "unsafe"),
    Rule("invalid-utf8", E, "Bytes that are not valid UTF-8.", "unsafe"),
    Rule("truncated-last-line", E, "The file ends in the middle of an example.", "unsafe"),
    Rule("line-too-long", E, "A line longer than the configured limit; not read.", "unsafe"),
    Rule("blank-line", W, "A blank line between examples.", "safe"),
    Rule("byte-order-mark", W, "The file starts with a UTF-8 byte order mark.", "safe"),
    Rule("duplicate-key", E, "A JSON object repeats a key; parsers disagree on which value wins."),
    Rule("non-standard-number", E, "NaN or Infinity, which JSON does not allow.", "unsafe"),
    Rule(
        "lone-surrogate",
        E,
        "Text with a lone surrogate (U+D800-U+DFFF without its pair).",
        "unsafe",
    ),
    Rule("invalid-csv", E, "A CSV record the CSV parser cannot read."),
    Rule("wrong-column-count", E, "A CSV row with more or fewer cells than the header."),
    Rule("empty-file", E, "The file has no bytes."),
    Rule("read-error", E, "The file stopped being readable part-way."),
    Rule("decompression-limit", E, "Decompressed data exceeded the size or ratio limit."),
    Rule("not-an-object", E, "A row that is not a JSON object.", "unsafe"),
    Rule("undetectable-format", E, "A row that matches no known dataset format.", "unsafe"),
    Rule("mixed-formats", E, "Rows of another format than the rest of the file.", "unsafe"),
    Rule("missing-key", E, "A required key (or column) is missing or null."),
    Rule("wrong-type", E, "A value of the wrong type."),
    Rule("unexpected-key", W, "A key the format does not define."),
    Rule("unknown-role", E, "A message role (or ShareGPT tag) the format does not know."),
    Rule("missing-assistant-message", E, "A conversation with no assistant message.", "unsafe"),
    Rule("last-turn-not-assistant", W, "A conversation that ends on a non-assistant turn."),
    Rule("consecutive-same-role", W, "Two user or two assistant messages in a row."),
    Rule("system-message-not-first", W, "A system message after the conversation started."),
    Rule("empty-content", E, "Empty or whitespace-only content."),
    Rule("invalid-weight", E, "A message `weight` other than 0 or 1."),
    Rule("nothing-to-learn", E, "Every assistant message has weight 0.", "unsafe"),
    Rule("unknown-content-part", E, "A content part of an unknown type."),
    Rule("duplicate-tool-call-id", E, "Two tool calls share an id."),
    Rule("orphan-tool-message", E, "A tool message that answers no earlier tool call."),
    Rule("unanswered-tool-call", W, "A tool call that never gets a tool result."),
    Rule("invalid-tool-arguments", E, "Tool-call arguments that are not a JSON object."),
    Rule("undeclared-tool", E, "A call to a function that is not in the declared `tools`."),
    Rule("unpaired-turns", E, "Turns that do not alternate prompt / response as required."),
    Rule(
        "identical-preference-pair",
        E,
        "A preference pair whose two responses are the same.",
        "unsafe",
    ),
    Rule("control-character", W, "NUL, escape or other control characters inside text."),
    Rule("too-few-examples", W, "Fewer examples than the provider minimum."),
    Rule(
        "field-mapping",
        Severity.INFO,
        "Rows read through a field mapping (an alias, --map or dataset_info.json).",
    ),
)

# Rows these rules mark cannot be trained on as they are: the unsafe fix moves them, untouched,
# to the quarantine file.
DROPPED = frozenset(rule.slug for rule in RULES if rule.fix == "unsafe")

FIXES = {
    "blank-line": "delete the blank line",
    "byte-order-mark": "save the file as UTF-8 without BOM",
    "duplicate-key": "keep one of the repeated keys",
    "wrong-column-count": "quote cells that contain the delimiter",
}

TABLE_CHUNK = 4096
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
    order = 0
    rules = RULES
    Options = FormatOptions
    sees_unreadable_rows = True
    options: FormatOptions

    def __init__(self, options: FormatOptions, context: Any) -> None:
        super().__init__(options, context)
        self._rows: Counter[str] = Counter()
        self._by_format: dict[tuple[str, str], tuple[array[int], array[int]]] = {}
        self._roles: Counter[str] = Counter()
        self._turns: Counter[int] = Counter()
        self._labels: Counter[str] = Counter()
        self._table: dict[tuple[str, str], list[Record]] = defaultdict(list)
        self._missing_columns: set[tuple[str, str]] = set()
        self._file_rows: Counter[str] = Counter()
        self._undetected: dict[str, _Undetected] = {}
        self._mappings: Counter[tuple[str, str]] = Counter()

    def check_record(self, record: Record) -> Iterator[Finding]:
        if record.split == "reference":
            return
        for problem in record.problems:
            yield self._problem(record, problem)
        if record.row < 0:
            return
        if record.split == "train":
            self._rows[record.file] += 1
        self._file_rows[record.file] += 1
        if not record.readable:
            return
        if record.format is None:
            if isinstance(record.raw, Mapping):
                self._undetected_row(record)
            return
        if record.mapping is not None:
            self._mappings[(record.file, record.mapping)] += 1
        key = (record.file, record.format)
        columns = self._by_format.get(key)
        if columns is None:
            columns = self._by_format[key] = (array("q"), array("q"))
        rows, lines = columns
        rows.append(record.row)
        lines.append(record.line if record.line is not None else -1)
        self._count(record)
        if record.tabular:
            chunk = self._table[(record.file, record.format)]
            chunk.append(record)
            if len(chunk) >= TABLE_CHUNK:
                yield from self._validate_table(record.file, record.format)

    def finish(self) -> Iterator[Finding]:
        for file, fmt in list(self._table):
            yield from self._validate_table(file, fmt)
        yield from self._mixed_formats()
        yield from self._undetected_findings()
        for (file, mapping), count in sorted(self._mappings.items()):
            yield self.finding(
                "field-mapping",
                f"{count:,} {'row' if count == 1 else 'rows'} read with the mapping {mapping}",
                file=file,
            )
        total = sum(self._rows.values())
        if self.context.files and total < self.options.min_examples:
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

    def _count(self, record: Record) -> None:
        if record.label is not None:
            self._labels[record.label] += 1
        if record.messages or record.chosen:
            self._turns[len(record.messages) + (1 if record.chosen else 0)] += 1
            for message in record.messages:
                self._roles[message.role] += 1

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

    def _undetected_row(self, record: Record) -> None:
        seen = self._undetected.get(record.file)
        if seen is None:
            seen = self._undetected[record.file] = _Undetected()
        seen.add(record.row, record.line, _explain(record.raw))

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

    def _validate_table(self, file: str, fmt_name: str) -> Iterator[Finding]:
        import pandas as pd

        from ftqa.formats.tables import validate_table

        chunk = self._table.pop((file, fmt_name), [])
        if not chunk:
            return
        fmt = FORMATS[fmt_name]
        names = [column.name for column in fmt.columns]
        frame = pd.DataFrame(
            [
                {name: record.raw.get(name) for name in names if name in record.raw}
                for record in chunk
            ],
            index=[record.row for record in chunk],
            dtype=object,
        )
        for name in names:
            if name not in frame.columns and any(name in record.raw for record in chunk):
                frame[name] = None
        by_row = {record.row: record for record in chunk}
        missing_reported = self._missing_columns
        for failure in validate_table(fmt, frame):
            if failure.index is None:
                if (file, failure.column) in missing_reported:
                    continue
                missing_reported.add((file, failure.column))
                yield self.finding(failure.rule, failure.message, file=file, field=failure.column)
                continue
            record = by_row.get(failure.index)
            yield self.finding(
                failure.rule,
                failure.message,
                record,
                field=failure.column,
                evidence=None if failure.value is None else str(failure.value),
            )


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
