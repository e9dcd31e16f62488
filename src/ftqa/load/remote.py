"""Inputs named by fsspec URLs (`s3://`, `gs://`, `az://`, `https://`, `file://`, `memory://`):
the same readers as local files, over the bytes fsspec streams. Credentials come from the
environment as fsspec's backends read them; ftqa never prints a URL's query or user part (the
outbound layer masks what looks like a credential in any message)."""

from __future__ import annotations

import gzip
import io
from typing import Any, BinaryIO

from ftqa.errors import InputError
from ftqa.load.limits import Limits
from ftqa.load.source import GZIP_MAGIC, Source, sniff_kind, stream_source

HEAD_BYTES = 8192


def filesystem(url: str) -> tuple[Any, str]:
    try:
        import fsspec
    except ImportError as error:  # pragma: no cover - fsspec comes with the base install
        raise InputError(url, "reading URLs needs fsspec (pip install fsspec)") from error
    try:
        return fsspec.core.url_to_fs(url)  # type: ignore[no-any-return]
    except (ImportError, ValueError) as error:
        raise InputError(url, f"cannot read this URL: {error}") from error


def open_url(url: str, limits: Limits, kind: str | None = None) -> Source:
    fs, path = filesystem(url)
    try:
        info = fs.info(path)
    except FileNotFoundError as error:
        raise InputError(url, "no such file") from error
    except PermissionError as error:
        raise InputError(url, "permission denied") from error
    except OSError as error:
        raise InputError(url, str(error) or type(error).__name__) from error
    if info.get("type") == "directory":
        raise InputError(url, "is a directory, not a dataset file")
    size = int(info.get("size") or 0)

    def opener() -> BinaryIO:
        try:
            return fs.open(path, "rb")  # type: ignore[no-any-return]
        except OSError as error:
            raise InputError(url, str(error) or type(error).__name__) from error

    with opener() as handle:
        start = handle.read(HEAD_BYTES)
    compressed = start.startswith(GZIP_MAGIC)
    head = start
    if compressed:
        try:
            head = gzip.GzipFile(fileobj=io.BytesIO(start)).read(HEAD_BYTES)
        except (OSError, EOFError):
            head = b""  # a short gzip head: the reader reports what it finds
    kind = kind or sniff_kind(url, head, compressed)
    return stream_source(url, kind, size, limits, compressed, opener, parquet=opener)
