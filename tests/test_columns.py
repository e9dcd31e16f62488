"""`IntColumn` keeps 32-bit values until one does not fit, then every value in 64 bits."""

from __future__ import annotations

import numpy as np

from ftqa.columns import IntColumn
from ftqa.dedup import RowLog
from ftqa.rowresult import RowKey


def test_values_widen_when_one_does_not_fit_32_bits():
    column = IntColumn()
    for value in (0, -1, 2**31 - 1):
        column.append(value)
    assert column.numpy().dtype == np.int32
    column.append(2**31)
    column.append(-(2**40))
    assert column.numpy().dtype == np.int64
    assert list(column) == [0, -1, 2**31 - 1, 2**31, -(2**40)]
    assert column[3] == 2**31
    assert len(column) == 5
    assert column.numpy().tolist() == list(column)


def test_a_row_log_places_rows_past_two_billion():
    log = RowLog(excerpts=False)
    log.add(RowKey("train", "a.jsonl", 3, 4))
    log.add(RowKey("train", "a.jsonl", 2**33, None))
    log.add(RowKey("train", "a.jsonl", 5, 2**32 + 7))
    assert log.where(0) == "a.jsonl:4"
    assert log.where(1) == f"a.jsonl[{2**33}]"
    assert log.line_of(2) == 2**32 + 7
    assert log.row[1] == 2**33
