"""The one row-conserving writer: everything that rewrites a dataset writes through it.

    with open_writer(path, kind, {"output": clean, "quarantine": removed}, "output") as writer:
        for record in source.records():            # the same loader the check used
            writer.put(record, "output")            # copied byte for byte
            writer.put(record, "output", new_value) # rewritten in the input's format
            writer.put(record, "quarantine")        # moved, exactly as written
            writer.omit(notice)                     # a blank line or BOM a fix removes
        tally = writer.finish()

Every record of the input goes to exactly one destination. Records are copied from the file's own
bytes (their spans), so untouched records, and quarantined ones of any size or encoding, are
byte-identical; the framing between records (a CSV header, a JSON array's brackets) stays in the
primary destination. Before any file appears, the writer proves it: rows in = the sum of rows
written to every destination, every input byte was copied, omitted or replaced by an edit, the file
hashes to what the check read (`expected_sha256`), and each destination of well-formed records
reads back with as many rows as were written to it. Any failure removes every temporary file and
raises `FtqaError`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from ftqa.errors import FtqaError
from ftqa.load import Limits
from ftqa.load.csv_reader import BOM, parse_cells
from ftqa.load.raw import RawBytes
from ftqa.records import Record
from ftqa.rewrite.layouts import CsvLayout, JsonArrayLayout, LineLayout, encode_csv_record
from ftqa.rewrite.targets import OutputFile
from ftqa.rewrite.verify import count_rows

UNCHANGED: Any = object()


@dataclass
class Tally:
    rows_in: int = 0
    rows: dict[str, int] = field(default_factory=dict)  # per destination
    replaced: int = 0
    notices_omitted: int = 0
    bytes_in: int = 0


class ConservingWriter:
    """Rewrites a text dataset (JSON Lines, a JSON array or object, CSV/TSV) record by record."""

    def __init__(
        self,
        source_path: str,
        kind: str,
        destinations: Mapping[str, str | os.PathLike[str]],
        primary: str,
        *,
        limits: Limits | None = None,
        expected_sha256: str | None = None,
        expected_rows: int | None = None,
    ) -> None:
        if primary not in destinations:
            raise ValueError(f"primary destination {primary!r} is not among the destinations")
        self.source_path = source_path
        self.kind = kind
        self.paths = {name: Path(path) for name, path in destinations.items()}
        self.primary = primary
        self.limits = limits
        self.expected_sha256 = expected_sha256
        self.expected_rows = expected_rows
        self.tally = Tally(rows=dict.fromkeys(destinations, 0))
        self._stack = ExitStack()
        self._files: dict[str, OutputFile] = {}
        self._layouts: dict[str, Any] = {}
        self._raw: RawBytes | None = None
        self._prologue: list[bytes] | None = []
        self._header: list[str] | None = None
        self._record_bytes = 0
        self._framing_bytes = 0
        self._omitted_bytes = 0
        self._finished = False
        self._malformed: set[str] = set()  # destinations holding records that did not parse

    def __enter__(self) -> ConservingWriter:
        self._raw = RawBytes(self.source_path, self.limits)
        self._stack.callback(self._raw.close)
        layout_class = {"json": JsonArrayLayout, "csv": CsvLayout, "tsv": CsvLayout}.get(
            self.kind, LineLayout
        )
        for name, path in self.paths.items():
            output = OutputFile(path, name, make_parents=True)
            stream = self._stack.enter_context(output)
            self._files[name] = output
            self._layouts[name] = layout_class(stream.write, name == self.primary)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is None and not self._finished:
            failure = FtqaError("internal: the writer was closed without finish()")
            self._stack.__exit__(type(failure), failure, None)
            raise failure
        self._stack.__exit__(kind, error, trace)

    # -- records --------------------------------------------------------------------------

    def put(self, record: Record, destination: str, value: Any = UNCHANGED) -> None:
        """Send row `record` (in file order) to `destination`, as written or as `value`."""
        if record.row < 0:
            raise ValueError("put() takes rows; notices are framing (see omit())")
        if record.span is None:
            raise FtqaError(
                f"{record.location}: this record cannot be located in the file, so it cannot be "
                "rewritten safely; nothing was written"
            )
        raw = self._require_raw()
        start, end = record.span
        self._framing(raw.read_until(start))
        self._open_prologue()
        layout = self._layouts[destination]
        if value is UNCHANGED:
            raw.copy_until(end, layout.record)
        else:
            original = raw.read_until(end)
            layout.record(self._encode(record, value, original))
            self.tally.replaced += 1
        self._record_bytes += end - start
        if destination != self.primary and self.kind == "json":
            self._layouts[self.primary].skipped()
        if not record.readable:
            self._malformed.add(destination)
        self.tally.rows_in += 1
        self.tally.rows[destination] += 1

    def omit(self, notice: Record) -> None:
        """Leave out a notice's bytes (a blank line, a byte order mark) that a fix removes."""
        if notice.span is None:
            return
        raw = self._require_raw()
        start, end = notice.span
        self._framing(raw.read_until(start))
        raw.copy_until(end)
        self._omitted_bytes += end - start
        self.tally.notices_omitted += 1

    def _framing(self, data: bytes) -> None:
        if not data:
            return
        self._framing_bytes += len(data)
        if self._prologue is not None:
            self._prologue.append(data)
        else:
            self._layouts[self.primary].framing(data)

    def _open_prologue(self) -> None:
        if self._prologue is None:
            return
        data = b"".join(self._prologue)
        self._prologue = None
        for layout in self._layouts.values():
            layout.prologue(data)
        if self.kind in ("csv", "tsv"):
            self._header = _header_names(data, "\t" if self.kind == "tsv" else ",")

    def _require_raw(self) -> RawBytes:
        if self._raw is None:
            raise RuntimeError("use the writer as a context manager")
        return self._raw

    def _encode(self, record: Record, value: Any, original: bytes) -> bytes:
        if self.kind in ("csv", "tsv"):
            if not isinstance(value, dict) or not isinstance(record.source, list):
                raise FtqaError(f"{record.location}: an edit of a CSV row must be a row of cells")
            header = self._header or list(value)
            delimiter = "\t" if self.kind == "tsv" else ","
            previous = record.raw if isinstance(record.raw, dict) else {}
            return encode_csv_record(value, previous, record.source, header, original, delimiter)
        if self.kind == "json":
            return JsonArrayLayout.encode(value, original, self.kind)
        return LineLayout.encode(value, original, self.kind)

    # -- the end ----------------------------------------------------------------------------

    def finish(self) -> Tally:
        """Copy the trailing framing, prove conservation, and let the files appear."""
        raw = self._require_raw()
        self._open_prologue()
        trailing: list[bytes] = []
        raw.copy_rest(trailing.append)
        data = b"".join(trailing)
        self._framing_bytes += len(data)
        for layout in self._layouts.values():
            layout.finish(data if layout.primary else b"")
        self.tally.bytes_in = raw.position
        self._verify(raw)
        self._finished = True
        return self.tally

    def _verify(self, raw: RawBytes) -> None:
        tally = self.tally
        accounted = self._record_bytes + self._framing_bytes + self._omitted_bytes
        if accounted != raw.position:
            raise FtqaError(
                f"{self.source_path}: internal check failed while rewriting: {raw.position} bytes "
                f"read, {accounted} accounted for; nothing was written"
            )
        if tally.rows_in != sum(tally.rows.values()):
            raise FtqaError(f"{self.source_path}: internal check failed: rows do not add up")
        if self.expected_rows is not None and tally.rows_in != self.expected_rows:
            raise FtqaError(
                f"{self.source_path}: changed while ftqa was fixing it ({self.expected_rows} rows "
                f"when checked, {tally.rows_in} now); nothing was written"
            )
        digest = raw.sha256()
        if self.expected_sha256 is not None and digest != self.expected_sha256:
            raise FtqaError(
                f"{self.source_path}: changed while ftqa was reading it (sha256 differs from the "
                "checked file); nothing was written"
            )
        for name, output in self._files.items():
            if name in self._malformed:
                # A malformed record (a broken quote, a cut-off element) can read differently
                # beside other neighbours; its bytes are accounted for above.
                continue
            written = count_rows(output.flushed_path(), self.kind, self.limits)
            if written != tally.rows[name]:
                raise FtqaError(
                    f"{self.paths[name]}: internal check failed: {tally.rows[name]} rows written, "
                    f"{written} read back; nothing was written"
                )


def _header_names(prologue: bytes, delimiter: str) -> list[str] | None:
    data = prologue.removeprefix(BOM)
    try:
        return [name.strip() for name in parse_cells(data, delimiter)]
    except Exception:  # noqa: BLE001 - a header that does not parse: edits fall back to keys
        return None


def open_writer(
    source_path: str,
    kind: str,
    destinations: Mapping[str, str | os.PathLike[str]],
    primary: str,
    *,
    limits: Limits | None = None,
    expected_sha256: str | None = None,
    expected_rows: int | None = None,
) -> Any:
    """The row-conserving writer for a file of `kind` (a context manager; see the module doc)."""
    if kind == "parquet":
        from ftqa.rewrite.parquet_rows import ParquetRowWriter

        return ParquetRowWriter(
            source_path,
            destinations,
            primary,
            limits=limits,
            expected_sha256=expected_sha256,
            expected_rows=expected_rows,
        )
    return ConservingWriter(
        source_path,
        kind,
        destinations,
        primary,
        limits=limits,
        expected_sha256=expected_sha256,
        expected_rows=expected_rows,
    )
