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
primary destination. The one change to framing: `fix --redact` may rewrite the cells of a CSV/TSV
header that hold a credential or personal data (`ftqa.rewrite.framing`), in every destination.
Before any file appears, the writer proves it: rows in = the sum of rows
written to every destination, every input byte was copied, omitted or replaced by an edit, the file
hashes to what the check read (`expected_sha256`), and each destination of well-formed records
reads back with as many rows as were written to it. Any failure removes every temporary file and
raises `FtqaError`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ftqa.errors import FtqaError
from ftqa.load import Limits
from ftqa.load.csv_reader import BOM, parse_cells
from ftqa.load.raw import RawBytes
from ftqa.records import Record
from ftqa.rewrite.framing import HeaderRedaction, rewrite_header
from ftqa.rewrite.layouts import CsvLayout, JsonArrayLayout, LineLayout, encode_csv_record
from ftqa.rewrite.writer_base import UNCHANGED, RowWriterBase, Tally

__all__ = ["UNCHANGED", "ConservingWriter", "Tally", "open_writer"]


class ConservingWriter(RowWriterBase):
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
        header_fix: HeaderRedaction | None = None,
    ) -> None:
        super().__init__(
            source_path,
            destinations,
            primary,
            limits=limits,
            expected_sha256=expected_sha256,
            expected_rows=expected_rows,
        )
        self.kind = kind
        self.header_fix = header_fix
        self._layouts: dict[str, Any] = {}
        self._raw: RawBytes | None = None
        self._prologue: list[bytes] | None = []
        self._header: list[str] | None = None
        self._record_bytes = 0
        self._framing_bytes = 0
        self._omitted_bytes = 0
        self._malformed: set[str] = set()  # destinations holding records that did not parse

    def __enter__(self) -> ConservingWriter:
        self._raw = RawBytes(self.source_path, self.limits)
        self._stack.callback(self._raw.close)
        layout_class = {"json": JsonArrayLayout, "csv": CsvLayout, "tsv": CsvLayout}.get(
            self.kind, LineLayout
        )
        for name, stream in self._open_outputs():
            self._layouts[name] = layout_class(stream.write, name == self.primary)
        return self

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
        if self.kind in ("csv", "tsv"):
            delimiter = "\t" if self.kind == "tsv" else ","
            # Edited rows are keyed by the input's names, even when the header is redacted.
            self._header = _header_names(data, delimiter)
            if self.header_fix is not None:
                data = rewrite_header(data, delimiter, self.header_fix, self.source_path)
        for layout in self._layouts.values():
            layout.prologue(data)

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
        self._check_unchanged(raw.sha256())
        # A malformed record (a broken quote, a cut-off element) can read differently beside
        # other neighbours; its bytes are accounted for above.
        self._check_read_back(self.kind, skip=self._malformed)


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
    header_fix: HeaderRedaction | None = None,
) -> Any:
    """The row-conserving writer for a file of `kind` (a context manager; see the module doc).
    `header_fix`: new cells for a CSV/TSV header (the bytes of the header line are replaced in
    every destination; the input's bytes are still all accounted for)."""
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
        header_fix=header_fix,
    )
