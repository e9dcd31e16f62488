"""How a job's mapped rows travel from a worker (a `process` worker or a Dask task) to the
reduce side: MessagePack for the rows' places, features and measures, pickle for the few
findings.

Pickling every row's results made a memo entry and a constructor call per object: measured on
100,000 generator rows, 3.7 s to pickle in the workers and 3.5 s to unpickle in the main
process, which reduces alone. MessagePack moves the same rows in about a tenth of that. Features
are plain data (`ftqa.rowresult`), so nothing is lost but tuples, which come back as lists, as
they do from the row cache. A job whose features MessagePack cannot carry (a plugin's numpy
value, an int past 64 bits) travels as pickles, as before; one that cannot be read back on the
reduce side raises `TransportError`, and its job is mapped again there.
"""

from __future__ import annotations

import msgpack

from ftqa.engine.mapping import MappedRow
from ftqa.finding import Finding
from ftqa.rowresult import RowResult


class TransportError(ValueError):
    pass


def pack_rows(rows: list[MappedRow]) -> tuple[bytes, list[Finding]] | None:
    """`rows` as MessagePack and their findings in order, or None when their features are not
    plain data."""
    findings: list[Finding] = []
    entries = []
    for row in rows:
        results = []
        for index, result in row.results:
            found = result.findings
            if found:
                findings.extend(found)
            results.append((index, len(found), result.features, result.measures))
        entries.append((row.row, row.line, row.format, row.example, results))
    try:
        return msgpack.packb(entries, use_bin_type=True), findings
    except (TypeError, ValueError, OverflowError):
        return None


def unpack_rows(data: bytes, findings: list[Finding]) -> list[MappedRow]:
    try:
        entries = msgpack.unpackb(data, raw=False, strict_map_key=False)
    except (ValueError, TypeError, msgpack.ExtraData, msgpack.FormatError) as error:
        raise TransportError(f"mapped rows could not be read back: {error}") from error
    rows = []
    taken = 0
    try:
        for row, line, format_, example, packed in entries:
            results: list[tuple[int, RowResult]] = []
            for index, count, features, measures in packed:
                if count:
                    result = RowResult(findings[taken : taken + count], features, measures)
                    taken += count
                else:
                    result = RowResult((), features, measures)
                results.append((index, result))
            rows.append(MappedRow(row, line, format_, results, tuple(example) if example else None))
    except (ValueError, TypeError) as error:
        raise TransportError(f"mapped rows could not be read back: {error}") from error
    if taken != len(findings):
        raise TransportError(f"{len(findings)} findings sent, {taken} placed")
    return rows
