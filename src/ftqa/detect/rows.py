"""The strings of one row, computed once and shared by the checkers that scan raw text
(`secrets`, `pii`, `encoding`).

They read the row as it was written (`record.raw`), not the normalized messages, so every text
a model could be trained on is covered whatever the format: message contents, content parts,
`chosen`/`rejected`, `text`/`label`, tool-call arguments (JSON strings) and any other string
value. The list of strings is kept in `record.cache[TEXT_FIELDS]` for the others.
"""

from __future__ import annotations

from ftqa.detect.scan import Path, iter_strings, utf8
from ftqa.records import Record

# `record.cache` keys: the list of (path, text) for every string value of the raw row, in
# document order; all those texts joined by newlines, and its UTF-8 encoding. Row-level
# pre-filters test the joined text once, so a row with nothing to find costs one call.
TEXT_FIELDS = "text_fields"
TEXT_JOINED = "text_joined"
TEXT_BLOB = "text_blob"


def text_fields(record: Record) -> list[tuple[Path, str]]:
    """Every string of the row with its path; computed once per row and shared."""
    cached = record.cache.get(TEXT_FIELDS)
    if cached is None:
        cached = list(iter_strings(record.raw))
        record.cache[TEXT_FIELDS] = cached
    return cached


def joined_text(record: Record) -> str:
    """Every text of the row joined by newlines (no search pattern crosses a newline)."""
    cached = record.cache.get(TEXT_JOINED)
    if cached is None:
        cached = "\n".join(text for _, text in text_fields(record))
        record.cache[TEXT_JOINED] = cached
    return cached


def joined_bytes(record: Record) -> bytes:
    """UTF-8 of `joined_text(record)`, computed once per row and shared."""
    cached = record.cache.get(TEXT_BLOB)
    if cached is None:
        cached = utf8(joined_text(record))
        record.cache[TEXT_BLOB] = cached
    return cached
