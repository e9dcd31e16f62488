"""Open an input (a path or in-memory data) and stream its records.

Everything that makes a path unreadable *as a whole* (missing, a directory, a FIFO, permission
denied, a binary file, an unknown type) is an `InputError` raised before the first record.
Everything wrong *inside* a readable file arrives as a record problem.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from ftqa.errors import InputError
from ftqa.load.csv_reader import read_csv
from ftqa.load.json_array import read_json_array
from ftqa.load.jsonl import read_jsonl
from ftqa.load.limits import Limits
from ftqa.load.memory import MEMORY_PATH, read_memory
from ftqa.load.raw import drain
from ftqa.load.stream import BoundedGzip, DecompressionBomb, HashingReader
from ftqa.load.tabular import parquet_batches, rows_from_table
from ftqa.load.values import parse_json
from ftqa.records import Problem, Record

GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
BINARY_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a ZIP archive",
    b"\x7fELF": "an executable",
    b"7z\xbc\xaf": "a 7-Zip archive",
    b"SQLite format 3": "an SQLite database",
    b"BZh": "a bzip2 archive",
    b"\xfd7zXZ": "an xz archive",
    b"\x28\xb5\x2f\xfd": "a zstd archive",
}
KINDS = ("jsonl", "json", "csv", "tsv", "parquet")
_EXTENSIONS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".jsonlines": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
}

ProgressCallback = Callable[[int], None]


class Source:
    """One input. Iterate `records()` once; `sha256` is complete when iteration ends."""

    def __init__(
        self, path: str, kind: str, size: int | None, limits: Limits | None = None
    ) -> None:
        self.path = path
        self.kind = kind
        self.size = size
        self.limits = limits  # set for files, so the file can be opened again
        self._hasher = hashlib.sha256()
        self._reader: HashingReader | None = None
        self._records: Callable[[], Iterator[Record]] = iter
        self.progress: ProgressCallback | None = None

    @property
    def sha256(self) -> str:
        hasher = self._reader.sha256 if self._reader is not None else self._hasher
        return hasher.hexdigest()

    @property
    def bytes_read(self) -> int:
        return self._reader.bytes_read if self._reader is not None else 0

    def records(self) -> Iterator[Record]:
        return self._records()


def open_memory(data: Any, name: str = MEMORY_PATH) -> Source:
    source = Source(name, "memory", None)

    def records() -> Iterator[Record]:
        for record in read_memory(data, name):
            source._hasher.update(_row_bytes(record.raw))
            yield record

    source._records = records
    return source


def _row_bytes(value: Any) -> bytes:
    """Stable bytes of an in-memory row for the dataset hash, whatever the row holds."""
    try:
        return orjson.dumps(
            value, default=str, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
        )
    except (TypeError, orjson.JSONEncodeError):
        return repr(value).encode("utf-8", "backslashreplace")


def open_path(
    path: str | os.PathLike[str], limits: Limits | None = None, kind: str | None = None
) -> Source:
    """A file input. Its kind (jsonl, json, json-object, csv, tsv, parquet) comes from its name
    and first bytes, unless `kind` says it (reading back a file ftqa wrote). An fsspec URL
    (`s3://…`, `memory://…`, `file://…`) is read through fsspec (`ftqa.load.remote`)."""
    limits = limits or Limits()
    name = os.fspath(path)
    if is_url(name):
        from ftqa.load.remote import open_url

        return open_url(name, limits, kind)
    info = _stat_regular_file(name)
    compressed, head = _sniff(name, limits)
    kind = kind or sniff_kind(name, head, compressed)

    def opener() -> BinaryIO:
        try:
            return open(name, "rb", buffering=0)
        except OSError as error:
            raise InputError(name, error.strerror or str(error)) from error

    return stream_source(name, kind, info.st_size, limits, compressed, opener)


def is_url(name: str) -> bool:
    """An fsspec URL other than a Hugging Face dataset (`hf://`, read by `ftqa.load.hf`)."""
    scheme, sep, _ = name.partition("://")
    return bool(sep) and scheme.isidentifier() and scheme.lower() != "hf" and len(scheme) > 1


def stream_source(
    name: str,
    kind: str,
    size: int,
    limits: Limits,
    compressed: bool,
    opener: Callable[[], BinaryIO],
    parquet: Callable[[], Any] | None = None,
) -> Source:
    """A source that reads the bytes `opener` gives (hashed, decompressed, bounded)."""
    source = Source(name, kind, size, limits)

    def records() -> Iterator[Record]:
        reader = HashingReader(opener())
        source._reader = reader
        stream: Any = BoundedGzip(reader, limits) if compressed else reader
        buffered: BinaryIO = _buffer(stream)
        try:
            if size == 0:
                yield _notice(name, 1, "empty-file", "the file is empty")
                return
            if kind == "parquet":
                while buffered.read(1 << 20):
                    pass
                yield from _read_parquet(name, parquet() if parquet is not None else name)
                return
            yield from _read_kind(name, kind, buffered, limits)
            if isinstance(stream, BoundedGzip) and stream.error is not None:
                yield _notice(name, None, "read-error", f"stopped reading: {stream.error}")
            drain(reader)
        except DecompressionBomb as error:
            yield _notice(name, None, "decompression-limit", f"stopped reading: {error}")
        except OSError as error:
            yield _notice(name, None, "read-error", f"stopped reading: {error}")
        finally:
            buffered.close()

    source._records = records
    return source


def _buffer(stream: Any) -> BinaryIO:
    import io

    return io.BufferedReader(stream, 1 << 20)


def _notice(path: str, line: int | None, rule: str, message: str) -> Record:
    return Record(file=path, row=-1, line=line, problems=[Problem(rule, message)])


def _read_kind(path: str, kind: str, stream: BinaryIO, limits: Limits) -> Iterator[Record]:
    if kind == "jsonl":
        yield from read_jsonl(path, stream, limits)
    elif kind == "json":
        yield from read_json_array(path, stream, limits)
    elif kind == "json-object":
        yield from _read_json_object(path, stream, limits)
    else:
        yield from read_csv(path, stream, limits, "\t" if kind == "tsv" else ",")


def _read_parquet(path: str, handle: Any) -> Iterator[Record]:
    try:
        yield from rows_from_table(path, parquet_batches(handle))
    except Exception as error:  # noqa: BLE001 - pyarrow raises many types on corrupt files
        detail = " ".join(str(error).split())
        yield _notice(path, None, "read-error", f"unreadable Parquet data: {detail}")


def _first_line_is_json(head: bytes) -> bool:
    """A `.json` file starting with `{` is JSON Lines when its first line is a whole value (or too
    long to tell from the sniffed bytes); otherwise it is one pretty-printed object."""
    end = head.find(b"\n")
    if end < 0:
        return True
    try:
        orjson.loads(head[:end])
    except orjson.JSONDecodeError:
        return False
    return True


def _read_json_object(path: str, stream: BinaryIO, limits: Limits) -> Iterator[Record]:
    """A file holding one JSON object written over several lines: one row, at line 1."""
    data = stream.read(limits.max_line_bytes + 1)
    if len(data) > limits.max_line_bytes:
        size = len(data)
        while more := stream.read(1 << 20):
            size += len(more)
        message = f"a single JSON value longer than {limits.max_line_bytes} bytes; not read"
        problem = Problem("line-too-long", message)
        yield Record(file=path, row=0, line=1, problems=[problem], span=(0, size))
        return
    value, problems = parse_json(data.removeprefix(b"\xef\xbb\xbf").strip())
    yield Record(
        file=path, row=0, line=1, raw=value, problems=problems, source=data, span=(0, len(data))
    )


def _stat_regular_file(name: str) -> os.stat_result:
    try:
        info = os.stat(name)
    except FileNotFoundError as error:
        raise InputError(name, "no such file") from error
    except PermissionError as error:
        raise InputError(name, "permission denied") from error
    except OSError as error:
        raise InputError(name, error.strerror or str(error)) from error
    if stat.S_ISDIR(info.st_mode):
        raise InputError(name, "is a directory, not a dataset file")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(name, "not a regular file (FIFO, socket or device); not read")
    if not os.access(name, os.R_OK):
        raise InputError(name, "permission denied")
    return info


def _sniff(name: str, limits: Limits) -> tuple[bool, bytes]:
    try:
        with open(name, "rb") as handle:
            start = handle.read(8192)
            compressed = start.startswith(GZIP_MAGIC)
            if not compressed:
                return False, start
            handle.seek(0)
            reader = HashingReader(handle)
            try:
                head = BoundedGzip(reader, limits).read(8192) or b""
            except DecompressionBomb as error:
                raise InputError(name, f"unreadable gzip data ({error})") from error
            return True, head
    except PermissionError as error:
        raise InputError(name, "permission denied") from error
    except OSError as error:
        raise InputError(name, error.strerror or str(error)) from error


def _refuse_binary(name: str, head: bytes) -> None:
    for magic, what in BINARY_MAGIC.items():
        if head.startswith(magic):
            raise InputError(name, f"binary file ({what}), not a dataset")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(
            name, "UTF-16 encoded; ftqa reads UTF-8 (convert with: iconv -f UTF-16 -t UTF-8)"
        )
    if head and head.count(b"\x00") > max(1, len(head) // 100):
        raise InputError(name, "binary file (contains NUL bytes), not a dataset")


def sniff_kind(name: str, head: bytes, compressed: bool) -> str:
    if head.startswith(PARQUET_MAGIC):
        if compressed:
            raise InputError(name, "gzip-compressed Parquet is not supported; decompress it")
        return "parquet"
    _refuse_binary(name, head)
    suffixes = [suffix.lower() for suffix in Path(name).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    kind = _EXTENSIONS.get(suffixes[-1]) if suffixes else None
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if kind == "json":
        if stripped.startswith(b"["):
            return "json"
        return "jsonl" if _first_line_is_json(stripped) else "json-object"
    if kind == "parquet":
        raise InputError(name, "not a Parquet file (no PAR1 header)")
    if kind is not None:
        return kind
    if stripped.startswith(b"["):
        return "json"
    if stripped.startswith(b"{") or not stripped:
        return "jsonl"
    raise InputError(
        name,
        "unrecognized file type: expected .jsonl, .json, .csv, .tsv or .parquet (optionally .gz)",
    )
