"""Bytes for what crosses a process boundary or lands in the row cache: row features and
row results. MessagePack (C-accelerated, bytes native) — and unlike pickle or marshal, decoding
a corrupt or hostile cache file can only fail, never run code or corrupt memory.

Features are plain data (None, bool, int, float, str, bytes, lists and str-keyed dicts); tuples
come back as lists, so reduce steps read features as sequences."""

from __future__ import annotations

from typing import Any

import msgpack


class CodecError(ValueError):
    pass


def encode(value: Any) -> bytes:
    try:
        return msgpack.packb(value, use_bin_type=True)  # type: ignore[no-any-return]
    except (TypeError, ValueError, OverflowError) as error:
        raise CodecError(f"not plain data: {error}") from error


def decode(data: bytes) -> Any:
    try:
        return msgpack.unpackb(data, raw=False, strict_map_key=True)
    except (
        ValueError,
        TypeError,
        msgpack.ExtraData,
        msgpack.FormatError,
        msgpack.StackError,
    ) as error:
        raise CodecError(f"unreadable: {error}") from error


def plain(value: Any) -> Any:
    """`value` as `decode(encode(value))` gives it back (tuples as lists)."""
    return decode(encode(value))
