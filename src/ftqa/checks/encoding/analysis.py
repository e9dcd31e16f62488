"""Per-string analysis: everything the checker reports about one string (mojibake, replacement,
invisible and bidi characters, mostly non-printable text, normalization form)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ftqa.checks.encoding.characters import (
    _ASCII_TEXT,
    _BLACK_FLAG,
    _RTL,
    _SPECIAL,
    BIDI_EMBEDDINGS,
    BIDI_ISOLATE_OPEN,
    BIDI_OPEN,
    BIDI_OVERRIDES,
    INVISIBLE,
    JOINERS,
)
from ftqa.checks.encoding.mojibake import (
    _CONTINUATIONS,
    _LEADS,
    _MOJIBAKE_HINT,
    Mojibake,
    find_mojibake,
)
from ftqa.checks.encoding.normalization import _first_decomposed, _form
from ftqa.checks.encoding.options import EncodingOptions

# One pass over a non-ASCII text answers "anything to look at?" for both searches.
_ANYTHING = re.compile(f"[{_LEADS}][{_CONTINUATIONS}]|{_SPECIAL.pattern}")


@dataclass(slots=True)
class TextIssues:
    """What is wrong with one string (all offsets into it)."""

    mojibake: Mojibake | None = None
    replacement: list[int] | None = None
    invisible: list[int] | None = None
    bidi: list[int] | None = None
    non_printable: int = 0  # set only when the text is mostly non-printable
    form: str | None = None  # "nfd" (decomposed), "nfc" (precomposed) or None
    decomposed: str | None = None  # the first decomposed sequence, e.g. "e\u0301"

    @property
    def empty(self) -> bool:
        return (
            self.mojibake is None
            and not self.replacement
            and not self.invisible
            and not self.bidi
            and not self.non_printable
        )


def analyse(
    text: str, options: EncodingOptions, scan_controls: bool = True, normalization: bool = True
) -> TextIssues | None:
    """Everything the checker reports about `text`, or None when it is ASCII without control
    characters (`scan_controls=False`: the loader proved it holds none; `normalization=False`:
    the caller judges the normalization form itself)."""
    if text.isascii():
        if scan_controls and len(text) >= options.non_printable_min_length:
            # Deleting the printable bytes leaves the control characters (a fast C loop).
            count = len(text.encode().translate(None, _ASCII_TEXT))
            if count and count >= options.non_printable_ratio * len(text):
                return TextIssues(non_printable=count)
        return None
    report = TextIssues(form=_form(text) if normalization else None)
    if report.form == "nfd":
        report.decomposed = _first_decomposed(text)
    if _ANYTHING.search(text) is None:
        return report
    if _MOJIBAKE_HINT.search(text) is not None:
        report.mojibake = find_mojibake(text)
    if _SPECIAL.search(text) is not None:
        _classify(text, report, options)
    return report


def _classify(text: str, report: TextIssues, options: EncodingOptions) -> None:
    replacement: list[int] = []
    invisible: list[int] = []
    bidi: list[int] = []
    non_printable = 0
    mojibake = report.mojibake is not None
    for match in _SPECIAL.finditer(text):
        position = match.start()
        kind = _kind(match.group())
        # Invisible and tag characters are reported as such, whatever their number; only
        # controls, replacement, private-use characters and surrogates make binary-looking text.
        if kind == "replacement":
            replacement.append(position)
        elif kind == "bidi":
            bidi.append(position)
        elif kind == "tag":
            if not _in_flag_sequence(text, position):
                invisible.append(position)
        elif kind == "joiner":
            if _between_ascii(text, position):
                invisible.append(position)
        elif kind == "invisible" or (kind == "c1" and not mojibake):
            invisible.append(position)
        if kind in ("replacement", "c1", "other"):
            non_printable += 1
    long_enough = len(text) >= options.non_printable_min_length
    if long_enough and non_printable >= options.non_printable_ratio * len(text):
        report.non_printable = non_printable
        return
    report.replacement = replacement or None
    report.invisible = invisible or None
    if bidi and _suspicious_bidi(text, bidi):
        report.bidi = bidi


def _kind(char: str) -> str:
    code = ord(char)
    if char == "\ufffd":
        return "replacement"
    if char in BIDI_EMBEDDINGS:
        return "bidi"
    if 0xE0000 <= code <= 0xE007F:
        return "tag"
    if char in JOINERS:
        return "joiner"
    if 0x80 <= code <= 0x9F:
        return "c1"
    if char in INVISIBLE:
        return "invisible"
    return "other"  # C0 controls (the format checker reports them), private use, surrogates


def _between_ascii(text: str, position: int) -> bool:
    before = text[position - 1] if position else ""
    after = text[position + 1 : position + 2]
    return bool(before and after) and before.isascii() and after.isascii()


def _in_flag_sequence(text: str, position: int) -> bool:
    """Tag characters after U+1F3F4 form subdivision flags (England, Scotland, Wales)."""
    start = position
    while start > 0 and 0xE0000 <= ord(text[start - 1]) <= 0xE007F:
        start -= 1
    return start > 0 and text[start - 1] == _BLACK_FLAG


def _suspicious_bidi(text: str, positions: list[int]) -> bool:
    """Overrides always; embeddings and isolates when unbalanced or in text with no
    right-to-left script that could need them."""
    chars = [text[position] for position in positions]
    if any(char in BIDI_OVERRIDES for char in chars):
        return True
    if _RTL.search(text) is None:
        return True
    embeddings = sum(char in BIDI_OPEN for char in chars) - chars.count("\u202c")
    isolates = sum(char in BIDI_ISOLATE_OPEN for char in chars) - chars.count("\u2069")
    return embeddings != 0 or isolates != 0
