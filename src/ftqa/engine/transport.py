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

import time
from typing import Any

import msgpack

from ftqa.engine.mapping import MappedRow, Mapper
from ftqa.errors import is_crash
from ftqa.finding import Finding
from ftqa.rowresult import RowResult


class TransportError(ValueError):
    pass


Combined = tuple[int, list[int], Any]  # (checker index, positions in the job's rows, value)


def combined_features(mapper: Mapper, rows: list[MappedRow]) -> list[Combined]:
    """For each checker that combines its features (`Checker.combine`), its features of `rows`
    as one value, taken out of the rows' results. A checker whose `combine` fails keeps its
    features in the rows: the reduce side then meets the failure itself."""
    if not mapper.combining:
        return []
    wanted: dict[int, tuple[list[int], list[Any], list[RowResult]]] = {
        index: ([], [], []) for index in mapper.combining
    }
    for position, row in enumerate(rows):
        for index, result in row.results:
            if result.features is not None and index in wanted:
                positions, features, holders = wanted[index]
                positions.append(position)
                features.append(result.features)
                holders.append(result)
    out: list[Combined] = []
    timer = mapper.timer
    for index, (positions, features, holders) in wanted.items():
        state = mapper.states[index]
        if not positions or state.error is not None:
            continue
        started = time.perf_counter()
        timer.since = started + (len(positions) - 1) * (timer.seconds or 0.0)
        try:
            value = state.checker.combine(features)
            timer.since = None
        except BaseException as error:  # the reduce side meets it again, and reports it
            timer.since = None
            if not is_crash(error):
                raise
            continue
        finally:
            state.seconds += time.perf_counter() - started
        for result in holders:
            result.features = None
        out.append((index, positions, value))
    if out:  # results left with nothing need not travel
        for row in rows:
            row.results = [pair for pair in row.results if not pair[1].empty]
    return out


def pack_rows(
    rows: list[MappedRow], combined: list[Combined] | None = None
) -> tuple[bytes, list[Finding]] | None:
    """`rows` (and their combined features) as MessagePack and their findings in order, or
    None when their features are not plain data."""
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
        return msgpack.packb([entries, combined or []], use_bin_type=True), findings
    except (TypeError, ValueError, OverflowError):
        return None


def unpack_rows(data: bytes, findings: list[Finding]) -> tuple[list[MappedRow], list[Combined]]:
    try:
        entries, combined = msgpack.unpackb(data, raw=False, strict_map_key=False)
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
    return rows, [(index, positions, value) for index, positions, value in combined]


BOOKKEEPING = frozenset({combined_features.__code__})
