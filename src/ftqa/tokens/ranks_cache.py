"""Parsed tokenizer ranks kept in the user cache directory, so a run does not re-hash and
re-parse a multi-megabyte vocabulary file every time.

An entry is written once, right after its source file's SHA-256 was checked against the hash
tiktoken expects, and is named after that source's identity: the encoding's expected hash, the
source's path, size and modification time, and the Python and marshal versions. A later run
that finds its source unchanged (one `stat`, no hashing of the source) loads the entry instead
of the source. The entry carries the SHA-256 of its own payload, checked on every load (a few
milliseconds) so a truncated or damaged entry is ignored and rewritten, never trusted. When the
source changes or disappears the entry no longer matches and is not used: the source is read and
verified again, as without the cache.

Layout: `<cache>/tokenizers/<encoding>-<key>.ranks`, one header line of JSON
(`{"payload_sha256", "count", "source"}`), then `marshal` bytes of the rank dictionary.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import marshal
import os
import sys
from pathlib import Path

FORMAT = "ftqa-ranks-1"


def entry_path(root: Path, name: str, expected_sha256: str, source: Path) -> Path | None:
    """The cache entry for `source` as it is now, or None when `source` cannot be stat'ed."""
    try:
        stat = source.stat()
    except OSError:
        return None
    identity = json.dumps(
        [
            FORMAT,
            expected_sha256,
            str(source.resolve()),
            stat.st_size,
            stat.st_mtime_ns,
            sys.version_info[:2],
            marshal.version,
        ]
    )
    key = hashlib.sha256(identity.encode()).hexdigest()[:24]
    return root / "tokenizers" / f"{name}-{key}.ranks"


def read(path: Path) -> tuple[memoryview, int, str] | None:
    """The verified payload stored at `path`, its rank count and source description, or None
    if absent or damaged. Cheap (one read and one hash); `decode` turns it into ranks."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    newline = data.find(b"\n")
    try:
        header = json.loads(data[:newline])
        payload = memoryview(data)[newline + 1 :]
        if hashlib.sha256(payload).hexdigest() != header["payload_sha256"]:
            return None
        count = int(header["count"])
    except (ValueError, KeyError, TypeError):
        return None
    return payload, count, str(header.get("source", ""))


def decode(payload: memoryview, count: int) -> dict[bytes, int] | None:
    """The ranks of a payload `read` verified, or None if it does not hold `count` ranks."""
    try:
        # Our own bytes, in the user's own cache directory, checked against their hash first:
        # trusted as Python trusts its bytecode cache.
        ranks = marshal.loads(payload)  # noqa: S302
    except (ValueError, TypeError, EOFError):
        return None
    if not isinstance(ranks, dict) or len(ranks) != count:
        return None
    return ranks


def load(path: Path) -> tuple[dict[bytes, int], str] | None:
    """The ranks and source description stored at `path`, or None if absent or damaged."""
    found = read(path)
    if found is None:
        return None
    payload, count, source = found
    ranks = decode(payload, count)
    return (ranks, source) if ranks is not None else None


def store(path: Path, ranks: dict[bytes, int], source: str) -> None:
    """Write an entry atomically; a cache that cannot be written is simply not used."""
    payload = marshal.dumps(ranks)
    header = {
        "payload_sha256": hashlib.sha256(payload).hexdigest(),
        "count": len(ranks),
        "source": source,
    }
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(json.dumps(header).encode() + b"\n" + payload)
        os.replace(tmp, path)
    with contextlib.suppress(OSError):
        tmp.unlink(missing_ok=True)
