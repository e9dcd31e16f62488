"""Unicode normalization forms: decomposed (NFD) against precomposed (NFC) text."""

from __future__ import annotations

import unicodedata

from ftqa.detect.scan import Path, format_path


def _form(text: str) -> str | None:
    if not unicodedata.is_normalized("NFC", text):
        if len(unicodedata.normalize("NFC", text)) < len(text):
            return "nfd"
        return None  # only reordered marks or singletons: not a decomposition
    if not unicodedata.is_normalized("NFD", text):
        return "nfc"
    return None


def _first_decomposed(text: str) -> str | None:
    """The first base letter + combining marks that NFC would compose into one character."""
    for index, char in enumerate(text):
        if index and unicodedata.combining(char):
            start = index - 1
            end = index + 1
            while end < len(text) and unicodedata.combining(text[end]):
                end += 1
            sequence = text[start:end]
            if len(unicodedata.normalize("NFC", sequence)) < len(sequence):
                return sequence
    return None


def _first_decomposed_field(fields: list[tuple[Path, str]]) -> tuple[str, str]:
    """Path and first decomposed sequence of the first decomposed text of a row."""
    for path, text in fields:
        if not text.isascii() and _form(text) == "nfd":
            return format_path(path), _first_decomposed(text) or ""
    return "", ""


def _spelled(sequence: str) -> str:
    """`e\u0301` -> "`é` written as `e` + U+0301"."""
    marks = " + ".join(f"U+{ord(char):04X}" for char in sequence[1:])
    return f"`{unicodedata.normalize('NFC', sequence)}` written as `{sequence[0]}` + {marks}"
