"""The row cache: each row's map results, kept in `.ftqa_cache/rows.sqlite3` so a re-check
after a small edit maps only the rows that changed (every reduce still runs, over cached
features, so the report is the same as a cold run's).

A row's key is a 128-bit BLAKE2b hash of the row as read (its bytes, or its parsed value for
Parquet and in-memory rows, plus everything the reader and normalizer decided about it: split,
format, field mapping, template, header, problems) and of the run's identity: ftqa's version,
each checker's id, version and options, the target model and the tokenizer and model files. A
row whose results name another place than the row itself (a header cell, another line) is not
cached. Findings are stored without their file, line and row, and placed on the row they are
read for, so a row that moved keeps its cached results.

SQLite in WAL mode: concurrent runs (pre-commit hooks in parallel) read and write safely. The
file is bounded: past `cache-max-mb`, the least recently written entries go. A cache that
cannot be opened or read is ignored (the run maps every row); one that decodes to nonsense is
a miss, never a crash and never code: values are MessagePack (`ftqa.engine.codec`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import lz4.block
import orjson

from ftqa._version import __version__
from ftqa.engine.codec import CodecError, decode, encode
from ftqa.finding import Finding
from ftqa.records import Record
from ftqa.rowresult import RowResult

FILE_NAME = "rows.sqlite3"
KEY_BYTES = 16
SCHEMA = 3
LOCATION = ("file", "line", "row")
MAX_VALUE_BYTES = 64 << 20


def run_identity(parts: Iterable[Any]) -> bytes:
    digest = hashlib.blake2b(digest_size=KEY_BYTES, person=b"ftqa-run")
    digest.update(f"{__version__}\0{SCHEMA}".encode())
    for part in parts:
        digest.update(b"\0" + orjson.dumps(part, default=str, option=orjson.OPT_SORT_KEYS))
    return digest.digest()


def row_key(record: Record, run: bytes, variant: Any = None) -> bytes:
    """The row's key; `variant`: what checkers' results depend on besides the row's content
    (`Checker.cache_variant`), None when nothing."""
    digest = hashlib.blake2b(run, digest_size=KEY_BYTES, person=b"ftqa-row")
    if variant is not None:
        digest.update(_value_bytes(variant))
    source = record.source
    if isinstance(source, bytes):
        digest.update(source)
    else:
        digest.update(_value_bytes(record.raw if source is None else source))
    header = record.header.cells if record.header is not None else None
    problems = [
        (p.rule, p.message, p.column, p.evidence, p.fatal, p.field, repr(p.shadowed))
        for p in record.problems
    ]
    digest.update(
        _value_bytes(
            [
                record.split,
                record.format,
                record.mapping,
                record.template,
                record.tabular,
                record.scan_text,
                header,
                problems,
                record.row < 0,
            ]
        )
    )
    return digest.digest()


def _value_bytes(value: Any) -> bytes:
    try:
        return b"\1" + orjson.dumps(
            value, default=repr, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
        )
    except (TypeError, orjson.JSONEncodeError):
        return b"\2" + repr(value).encode("utf-8", "backslashreplace")


def pack(record: Record, results: Sequence[tuple[int, RowResult]]) -> bytes | None:
    """The row's results without its location, or None when they cannot be moved to another
    place (a finding about another line, or naming the row's own place in its text)."""
    entries = []
    place = (record.file, record.line, record.row if record.row >= 0 else None)
    for index, result in results:
        findings = []
        for finding in result.findings:
            if (finding.file, finding.line, finding.row) != place:
                return None
            data = finding.model_dump(mode="json", exclude_none=True, exclude=set(LOCATION))
            if record.file and record.file in data.get("message", ""):
                return None
            if record.line is not None and f"line {record.line}" in data.get("message", ""):
                return None
            findings.append(data)
        entries.append([index, findings, result.features, result.measures])
    try:
        # Features hold short masked texts. LZ4 keeps the file at about 85% of the value's
        # size for 4 microseconds a row (zlib's fastest level: 70% for 140), and reads it back
        # in 3 (zlib: 18): on a warm re-check, reading the cache is most of the mapping.
        return lz4.block.compress(encode(entries))
    except CodecError:
        return None  # features that are not plain data: map this row again next time


def unpack(data: bytes, record: Record) -> list[tuple[int, RowResult]] | None:
    try:
        if len(data) < 4 or int.from_bytes(data[:4], "little") > MAX_VALUE_BYTES:
            return None  # a damaged (or foreign) entry must not allocate what it claims
        entries = decode(lz4.block.decompress(data))
        results = []
        place = {
            "file": record.file,
            "line": record.line,
            "row": record.row if record.row >= 0 else None,
        }
        for index, findings, features, measures in entries:
            results.append(
                (
                    int(index),
                    RowResult(
                        [Finding.model_validate({**item, **place}) for item in findings],
                        features,
                        measures,
                    ),
                )
            )
        return results
    except (CodecError, ValueError, TypeError, lz4.block.LZ4BlockError):
        return None  # a damaged entry is a miss


class RowCache:
    """One open cache database. Reads go in batches; writes are buffered and committed in one
    transaction per batch. The cache never fails a run: after any database or disk error
    (a full disk, a locked or damaged file) it is left alone for the rest of the run, and every
    row is mapped."""

    def __init__(self, folder: str | os.PathLike[str], max_bytes: int) -> None:
        Path(folder).mkdir(parents=True, exist_ok=True)
        ignore = Path(folder) / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# created by ftqa: the row cache is not part of the project\n*\n")
        self.path = Path(folder) / FILE_NAME
        self.max_bytes = max_bytes
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        # Before the first table (it cannot change after): a row's value, about 3 KB for a chat
        # row, fits a 16 KB page's b-tree cell, where 4 KB pages spill it to two overflow pages.
        self.db.execute("PRAGMA page_size=16384")
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS rows ("
            "key BLOB PRIMARY KEY, value BLOB NOT NULL, written INTEGER NOT NULL) WITHOUT ROWID"
        )
        self.pending: list[tuple[bytes, bytes, int]] = []
        self.hits = 0
        self.misses = 0
        self.broken: str | None = None  # why the cache was left alone mid-run

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, bytes]:
        found: dict[bytes, bytes] = {}
        if self.broken:
            return found
        try:
            for start in range(0, len(keys), 500):
                part = keys[start : start + 500]
                marks = ",".join("?" * len(part))
                query = f"SELECT key, value FROM rows WHERE key IN ({marks})"  # noqa: S608
                found.update(self.db.execute(query, part).fetchall())
        except (sqlite3.Error, OSError) as error:
            self._give_up(error)
        return found

    def put(self, key: bytes, value: bytes) -> None:
        if not self.broken:
            self.pending.append((key, value, time.time_ns()))

    def flush(self) -> None:
        if not self.pending or self.broken:
            return
        try:
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT OR REPLACE INTO rows (key, value, written) VALUES (?, ?, ?)",
                self.pending,
            )
            self.db.execute("COMMIT")
        except (sqlite3.Error, OSError) as error:
            self._give_up(error)
        self.pending.clear()

    def _give_up(self, error: BaseException) -> None:
        self.broken = f"{type(error).__name__}: {error}"
        self.pending.clear()
        with contextlib.suppress(sqlite3.Error):
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")

    def close(self) -> None:
        try:
            self.flush()
            if not self.broken:
                self._evict()
        except (sqlite3.Error, OSError) as error:
            self._give_up(error)
        finally:
            with contextlib.suppress(sqlite3.Error):
                self.db.close()

    def _evict(self) -> None:
        pages = self.db.execute("PRAGMA page_count").fetchone()[0]
        size = self.db.execute("PRAGMA page_size").fetchone()[0]
        if pages * size <= self.max_bytes:
            return
        count = self.db.execute("SELECT count(*) FROM rows").fetchone()[0]
        drop = max(1, count // 4)  # the oldest quarter: room for the next run's changes
        self.db.execute(
            "DELETE FROM rows WHERE key IN (SELECT key FROM rows ORDER BY written LIMIT ?)",
            (drop,),
        )
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.db.execute("VACUUM")


def open_cache(folder: str | os.PathLike[str], max_mb: int) -> RowCache | None:
    """The cache in `folder`, or None (with nothing raised) when it cannot be used."""
    try:
        return RowCache(folder, max_mb << 20)
    except (OSError, sqlite3.Error):
        return None
