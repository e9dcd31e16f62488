"""The `encoding` checker class: row-level gates, per-string findings, the dataset-wide NFD/NFC
verdict and fixes.

`map` judges one row: its findings, and as features the row's normalization form (with the
first decomposed field and sequence when NFD, masked like any output) and the rules it fired.
`reduce` keeps the NFD rows in arrays; `finish` reports them when other rows are NFC."""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterator
from typing import Any

from ftqa.checker import Checker, Drop, Edit
from ftqa.checks.encoding.analysis import _ANYTHING, TextIssues, analyse
from ftqa.checks.encoding.characters import _NOT_C0, non_ascii_runs
from ftqa.checks.encoding.evidence import _count, _evidence, _names, _word, visible
from ftqa.checks.encoding.fixes import _repaired
from ftqa.checks.encoding.mojibake import _difference
from ftqa.checks.encoding.normalization import _first_decomposed_field, _form, _spelled
from ftqa.checks.encoding.options import RULES, EncodingOptions
from ftqa.detect.scan import Path, format_path, rewrite_strings, span_excerpt
from ftqa.finding import Finding
from ftqa.outbound import outbound
from ftqa.providers import Provided
from ftqa.providers.text import JOINED_BYTES, JOINED_TEXT, TEXT_FIELDS
from ftqa.records import Record
from ftqa.rowresult import RowKey, RowResult
from ftqa.text import excerpt


class EncodingChecker(Checker):
    id = "encoding"
    summary = "Mojibake, replacement, invisible and bidi characters, mixed Unicode forms."
    rules = RULES
    Options = EncodingOptions
    needs = (TEXT_FIELDS, JOINED_TEXT, JOINED_BYTES)
    pure_map = True
    options: EncodingOptions

    def __init__(self, options: EncodingOptions, context: Any) -> None:
        super().__init__(options, context)
        self._files: dict[str, int] = {}
        self._nfd_file = array("l")
        self._nfd_row = array("q")
        self._nfd_line = array("q")
        self._nfd_field: list[str] = []
        self._nfd_example: list[str] = []
        self._nfc_rows = 0
        self._counts: Counter[str] = Counter()
        self._rows = 0

    def map(self, record: Record, provided: Provided) -> RowResult | None:
        # Row-level gates first: most rows are settled by a few tests on all their text joined.
        joined = provided(JOINED_TEXT)
        data = provided(JOINED_BYTES)
        controls = record.scan_text and bool(data.translate(None, _NOT_C0))
        form: str | None = None
        field = example = ""
        findings: list[Finding] = []
        if joined.isascii():
            if controls:
                findings = list(self._per_string(record, provided))
        else:
            form = _form(joined)
            if form == "nfd":
                field, example = _first_decomposed_field(provided(TEXT_FIELDS))
            if controls or _ANYTHING.search(non_ascii_runs(data)) is not None:
                findings = list(self._per_string(record, provided))
        if form is None and not findings:
            return None
        rules = tuple(finding.rule for finding in findings)
        return RowResult(findings, features=(form, outbound(field), outbound(example), rules))

    def reduce(self, key: RowKey, features: tuple[str | None, str, str, tuple[str, ...]]) -> None:
        form, field, example, rules = features
        if form == "nfd":
            self._remember_nfd(key, field, example)
        elif form == "nfc":
            self._nfc_rows += 1
        if rules:
            self._rows += 1
            self._counts.update(rules)

    def _per_string(self, record: Record, provided: Provided) -> Iterator[Finding]:
        options = self.options
        for path, text in provided(TEXT_FIELDS):
            report = analyse(text, options, record.scan_text, normalization=False)
            if report is None or report.empty:
                continue
            yield from self._findings(record, path, text, report)

    def _findings(
        self, record: Record, path: Path, text: str, report: TextIssues
    ) -> Iterator[Finding]:
        field = format_path(path)
        if report.non_printable:
            share = report.non_printable / len(text)
            yield self.finding(
                "mostly-non-printable",
                f"{share:.0%} of the {len(text)} characters of `{field}` are control, "
                "private-use or replacement characters; this looks like binary data",
                record,
                field=field,
                evidence=_evidence(text, 0, min(len(text), 20)),
                fix="drop the row or re-extract the text from its source",
            )
            return
        if report.mojibake is not None:
            bad = report.mojibake
            before, after = _word(text, bad.start), _word(bad.fixed, bad.start)
            yield self.finding(
                "mojibake",
                f"`{field}` looks like {bad.how} (mojibake): “{before}” should read “{after}”",
                record,
                field=field,
                evidence=_evidence(text, bad.start, bad.end),
                fix="re-decode the source as UTF-8, or repair with ftfy (`ftqa fix --unsafe`)",
            )
        if report.replacement:
            count = len(report.replacement)
            first = report.replacement[0]
            yield self.finding(
                "replacement-character",
                f"`{field}` contains {_count(count, 'U+FFFD replacement character')}: the "
                "original bytes were lost when the text was decoded",
                record,
                field=field,
                evidence=_evidence(text, first, first + 1),
                fix="re-extract the text from its source with the right encoding",
            )
        if report.invisible:
            first = report.invisible[0]
            kind = (
                "hidden tag character"
                if any(0xE0000 <= ord(text[p]) <= 0xE007F for p in report.invisible)
                else "invisible character"
            )
            last = first
            for position in report.invisible[1:]:
                if position != last + 1:
                    break
                last = position
            yield self.finding(
                "invisible-character",
                f"`{field}` contains {_count(len(report.invisible), kind)}: "
                f"{_names(text, report.invisible)}",
                record,
                field=field,
                evidence=_evidence(text, first, last + 1),
                fix="delete them (`ftqa fix` removes them)",
            )
        if report.bidi:
            first = report.bidi[0]
            yield self.finding(
                "bidi-control",
                f"`{field}` contains bidirectional control characters "
                f"({_names(text, report.bidi)}) that display text in another order than it "
                "is stored",
                record,
                field=field,
                evidence=_evidence(text, first, first + 1),
                fix="delete them unless the text is right-to-left and needs them",
            )

    def _remember_nfd(self, key: RowKey, field: str, example: str) -> None:
        index = self._files.setdefault(key.file, len(self._files))
        self._nfd_file.append(index)
        self._nfd_row.append(key.row)
        self._nfd_line.append(key.line if key.line is not None else -1)
        self._nfd_field.append(field)
        self._nfd_example.append(example)

    def finish(self) -> Iterator[Finding]:
        decomposed = len(self._nfd_row)
        if not decomposed or (not self._nfc_rows and not self.options.require_nfc):
            return
        files = {index: name for name, index in self._files.items()}
        if self._nfc_rows:
            others = (
                "1 other row uses" if self._nfc_rows == 1 else f"{self._nfc_rows} other rows use"
            )
            why = (
                f"while {others} precomposed characters (NFC); the same word is then two "
                "different token sequences"
            )
        else:
            why = "and `require-nfc` is set"
        for position in range(decomposed):
            line = self._nfd_line[position]
            field = self._nfd_field[position]
            example = self._nfd_example[position]
            shown = f", e.g. {_spelled(example)}," if example else ""
            self._counts["mixed-normalization"] += 1
            yield self.finding(
                "mixed-normalization",
                f"`{field}` uses decomposed characters (NFD){shown} {why}",
                file=files[self._nfd_file[position]],
                line=line if line >= 0 else None,
                row=self._nfd_row[position],
                field=field,
                fix="normalize to NFC (`ftqa fix` does it)",
            )

    def stats(self) -> dict[str, Any]:
        return {
            "rows_with_problems": self._rows,
            "by_rule": dict(self._counts.most_common()),
            "rows_nfc": self._nfc_rows,
            "rows_nfd": len(self._nfd_row),
        }

    # -- fixes --------------------------------------------------------------------------------

    def fix(self, raw: Any, finding: Finding, row: int) -> Edit | Drop | None:
        """Repair every string of the row that the finding's rule applies to."""
        rule = finding.rule
        if rule == "mostly-non-printable":
            return Drop("mostly non-printable text")
        options = self.options
        changed_fields: list[tuple[str, str, str]] = []

        def change(path: Path, text: str) -> str | None:
            new = _repaired(rule, text, options)
            if new is None or new == text:
                return None
            changed_fields.append((format_path(path), text, new))
            return new

        value, changed = rewrite_strings(raw, change)
        if not changed:
            return None
        field, old, new = changed_fields[0]
        start, end = _difference(old, new)
        more = f" (+{len(changed_fields) - 1} more fields)" if len(changed_fields) > 1 else ""
        return Edit(
            value,
            before=f"{field}: " + _evidence(old, start, end) + more,
            after=f"{field}: " + excerpt(visible(span_excerpt(new, start, start + 1)), 100),
        )
