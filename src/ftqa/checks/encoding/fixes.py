"""Repairs: the text of one string after the fix of one rule."""

from __future__ import annotations

import unicodedata

from ftqa.checks.encoding.analysis import analyse
from ftqa.checks.encoding.options import EncodingOptions


def _repaired(rule: str, text: str, options: EncodingOptions) -> str | None:
    if text.isascii():
        return None
    if rule == "mixed-normalization":
        return unicodedata.normalize("NFC", text)
    report = analyse(text, options)
    if report is None:
        return None
    if rule == "mojibake":
        return report.mojibake.fixed if report.mojibake is not None else None
    if rule == "invisible-character" and report.invisible:
        return _without(text, report.invisible)
    if rule == "bidi-control" and report.bidi:
        return _without(text, report.bidi)
    return None


def _without(text: str, positions: list[int]) -> str:
    drop = set(positions)
    return "".join(char for index, char in enumerate(text) if index not in drop)
