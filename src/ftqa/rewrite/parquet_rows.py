"""The row-conserving writer for Parquet: rows are taken from the input's own Arrow data.

Untouched rows are sliced out of the input's record batches, so their types and values (NaN,
nested and JSON-text columns, timestamps) are exactly the input's; an edited row is its original
slice with only the changed columns replaced, cast to the column's type. Every destination is
written with the input's schema. The same guarantees and checks as `ConservingWriter`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping
from typing import Any

import orjson

from ftqa.errors import FtqaError
from ftqa.load import Limits
from ftqa.records import Record
from ftqa.rewrite.writer_base import UNCHANGED, RowWriterBase, Tally

BATCH_ROWS = 4096  # as the loader reads, so a row's batch is found by its index


class ParquetRowWriter(RowWriterBase):
    def __init__(
        self,
        source_path: str,
        destinations: Mapping[str, str | os.PathLike[str]],
        primary: str,
        *,
        limits: Limits | None = None,
        expected_sha256: str | None = None,
        expected_rows: int | None = None,
    ) -> None:
        super().__init__(
            source_path,
            destinations,
            primary,
            limits=limits,
            expected_sha256=expected_sha256,
            expected_rows=expected_rows,
        )
        self._writers: dict[str, Any] = {}
        self._batches: Iterator[Any] | None = None
        self._batch: Any = None
        self._batch_start = 0
        self._pending: dict[str, list[Any]] = {name: [] for name in destinations}
        self._schema: Any = None

    def __enter__(self) -> ParquetRowWriter:
        import pyarrow.parquet as pq

        try:
            parquet = pq.ParquetFile(self.source_path)
        except Exception as error:
            raise self._unreadable(error) from error
        self._stack.callback(parquet.close)
        self._schema = parquet.schema_arrow
        self._batches = iter(parquet.iter_batches(batch_size=BATCH_ROWS))
        for name, stream in self._open_outputs():
            self._writers[name] = pq.ParquetWriter(stream, self._schema)
        return self

    def _unreadable(self, error: BaseException) -> FtqaError:
        detail = " ".join(str(error).split())
        return FtqaError(
            f"{self.source_path}: unreadable Parquet data ({detail}); nothing was written"
        )

    def _row(self, index: int) -> tuple[Any, int]:
        """The record batch holding row `index` and the row's position in it."""
        assert self._batches is not None
        while self._batch is None or index >= self._batch_start + self._batch.num_rows:
            self._flush()
            if self._batch is not None:
                self._batch_start += self._batch.num_rows
            try:
                self._batch = next(self._batches)
            except StopIteration as stop:
                raise FtqaError(
                    f"{self.source_path}: row {index} is not in the file any more: it changed "
                    "while ftqa was fixing it; nothing was written"
                ) from stop
            except Exception as error:
                raise self._unreadable(error) from error
        return self._batch, index - self._batch_start

    def put(self, record: Record, destination: str, value: Any = UNCHANGED) -> None:
        batch, position = self._row(record.row)
        row = batch.slice(position, 1)
        if value is not UNCHANGED:
            row = self._edited(record, row, value)
            self.tally.replaced += 1
        self._pending[destination].append(row)
        self.tally.rows_in += 1
        self.tally.rows[destination] += 1

    def omit(self, notice: Record) -> None:
        """Parquet has no framing to leave out."""

    def _edited(self, record: Record, row: Any, value: Any) -> Any:
        import pyarrow as pa

        previous = record.raw if isinstance(record.raw, dict) else {}
        if not isinstance(value, dict):
            raise FtqaError(f"{record.location}: an edit of a Parquet row must be a row")
        table = pa.Table.from_batches([row])
        for name, new in value.items():
            if name in previous and new == previous[name]:
                continue
            index = table.schema.get_field_index(name)
            if index < 0:
                raise FtqaError(f"{record.location}: an edit adds column `{name}`; not written")
            field = table.schema.field(index)
            if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
                new = new if isinstance(new, str) or new is None else orjson.dumps(new).decode()
            try:
                column = pa.array([new], type=field.type)
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as error:
                raise FtqaError(
                    f"{record.location}: the fixed value of column `{name}` does not fit its "
                    f"type {field.type} ({error}); nothing was written"
                ) from error
            table = table.set_column(index, field, column)
        return table

    def _flush(self) -> None:
        import pyarrow as pa

        for name, pieces in self._pending.items():
            if not pieces:
                continue
            tables = [p if isinstance(p, pa.Table) else pa.Table.from_batches([p]) for p in pieces]
            self._writers[name].write_table(pa.concat_tables(tables))
            pieces.clear()

    def finish(self) -> Tally:
        self._flush()
        assert self._batches is not None
        consumed = self._batch_start + (self._batch.num_rows if self._batch is not None else 0)
        try:
            left = sum(batch.num_rows for batch in self._batches)
        except Exception as error:
            raise self._unreadable(error) from error
        if consumed + left != self.tally.rows_in:
            raise FtqaError(
                f"{self.source_path}: {consumed + left} rows in the file, {self.tally.rows_in} "
                "rewritten: it changed while ftqa was fixing it; nothing was written"
            )
        for writer in self._writers.values():
            writer.close()
        digest = _sha256(self.source_path) if self.expected_sha256 is not None else None
        self._check_unchanged(digest)
        self._check_read_back("parquet")
        self._finished = True
        return self.tally


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
