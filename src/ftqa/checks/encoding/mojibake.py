"""Mojibake: UTF-8 read with a single-byte codec, found by a byte-pair search and judged and
repaired by `ftfy`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from ftqa.checks.encoding.characters import C1

# UTF-8 read with a single-byte codec turns every multi-byte character into a lead character
# (bytes C2-F4) followed by continuation characters (bytes 80-BF) of that codec. One search for
# such a pair (or a C1 control) finds every candidate; ftfy then decides, on a small window
# first and on the whole text only when the window looks bad.
_CODECS = (
    "latin-1",
    "cp1252",
    "cp1251",
    "cp1250",
    "cp1253",
    "cp1254",
    "cp1257",
    "iso-8859-2",
    "mac_roman",
    "cp437",
)


def _decoded(codec: str, first: int, last: int) -> str:
    chars = set()
    for byte in range(first, last + 1):
        try:
            chars.add(bytes([byte]).decode(codec))
        except UnicodeDecodeError:
            continue
    return "".join(re.escape(char) for char in sorted(chars))


_LEADS = "".join(_decoded(codec, 0xC2, 0xF4) for codec in _CODECS)
_CONTINUATIONS = "".join(_decoded(codec, 0x80, 0xBF) for codec in _CODECS)
_MOJIBAKE_HINT = re.compile(f"[{_LEADS}][{_CONTINUATIONS}]|[{C1}]")


_CODEC_NAMES = {
    "latin-1": "Latin-1",
    "sloppy-windows-1252": "Windows-1252",
    "sloppy-windows-1251": "Windows-1251",
    "sloppy-windows-1250": "Windows-1250",
    "sloppy-windows-1253": "Windows-1253",
    "sloppy-windows-1254": "Windows-1254",
    "sloppy-windows-1257": "Windows-1257",
    "iso-8859-2": "ISO 8859-2",
    "macroman": "Mac Roman",
    "cp437": "code page 437",
}


@cache
def _ftfy() -> Any:
    import ftfy
    import ftfy.badness

    return ftfy


@dataclass(slots=True)
class Mojibake:
    fixed: str
    how: str
    start: int  # first differing character
    end: int  # end of the differing stretch in the original


def find_mojibake(text: str) -> Mojibake | None:
    """ftfy's verdict, asked only when a window around a lead/continuation pair looks bad."""
    ftfy = _ftfy()
    is_bad = ftfy.badness.is_bad
    suspicious = False
    for count, match in enumerate(_MOJIBAKE_HINT.finditer(text)):
        if count >= 200:
            break
        start = match.start()
        if is_bad(text[max(0, start - 6) : start + 8]):
            suspicious = True
            break
    if not suspicious:
        return None
    try:
        fixed, plan = ftfy.fix_encoding_and_explain(text)
    except (UnicodeError, ValueError, TypeError):  # e.g. lone surrogates: leave the text alone
        return None
    if fixed == text or not plan:
        return None
    return Mojibake(fixed, _explain(plan), *_difference(text, fixed))


def _explain(plan: list[Any]) -> str:
    steps = [(step[0], step[1]) for step in plan]
    encoded = [name for action, name in steps if action == "encode"]
    decoded = [name for action, name in steps if action == "decode"]
    if encoded and decoded and decoded[-1].startswith("utf-8"):
        return f"UTF-8 text decoded as {_CODEC_NAMES.get(encoded[0], encoded[0])}"
    if encoded and decoded:
        source = _CODEC_NAMES.get(decoded[-1].replace("windows", "sloppy-windows"), decoded[-1])
        return f"{source} text decoded as {_CODEC_NAMES.get(encoded[0], encoded[0])}"
    if any(name == "decode_inconsistent_utf8" for _, name in steps):
        return "UTF-8 text decoded with a single-byte codec in places"
    if any(name == "fix_c1_controls" for _, name in steps):
        return "Windows-1252 text decoded as Latin-1"
    return "text decoded with the wrong codec"


def _difference(text: str, fixed: str) -> tuple[int, int]:
    start = 0
    limit = min(len(text), len(fixed))
    while start < limit and text[start] == fixed[start]:
        start += 1
    end_text, end_fixed = len(text), len(fixed)
    while end_text > start and end_fixed > start and text[end_text - 1] == fixed[end_fixed - 1]:
        end_text -= 1
        end_fixed -= 1
    return start, max(end_text, start + 1)
