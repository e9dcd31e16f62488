"""The strings of one row as written (`record.raw`), shared by the checkers that scan raw text
(`secrets`, `pii`, `encoding`): every string value with its path, all of them joined by newlines
(row-level pre-filters test the joined text once, so a row with nothing to find costs one call)
and its UTF-8; and the row's keys and repeated-key values (`ftqa.detect.keys`)."""

from __future__ import annotations

from ftqa.detect.keys import Spot, row_spot_list
from ftqa.detect.scan import Path, iter_strings, utf8
from ftqa.providers import Provided, Provider


def _fields(provided: Provided) -> list[tuple[Path, str]]:
    return list(iter_strings(provided.record.raw))


def _joined(provided: Provided) -> str:
    return "\n".join(text for _, text in provided.get(TEXT_FIELDS))


def _joined_bytes(provided: Provided) -> bytes:
    return utf8(provided.get(JOINED_TEXT))


def _spots(provided: Provided) -> list[Spot]:
    return row_spot_list(provided.record)


def _spots_joined(provided: Provided) -> tuple[str, bytes]:
    text = "\n".join(spot.text for spot in provided.get(KEY_SPOTS))
    return text, utf8(text)


TEXT_FIELDS = Provider("text_fields", _fields, "every string value of the raw row with its path")
JOINED_TEXT = Provider("joined_text", _joined, "the row's strings joined by newlines")
JOINED_BYTES = Provider("joined_bytes", _joined_bytes, "UTF-8 of the joined strings")
KEY_SPOTS = Provider("key_spots", _spots, "the row's keys and earlier values of repeated keys")
SPOTS_JOINED = Provider("spots_joined", _spots_joined, "the key spots' texts joined, and UTF-8")
