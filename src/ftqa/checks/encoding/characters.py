"""Character classes: the special characters the checker looks for, as regular expressions."""

from __future__ import annotations

import re

C0 = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
C1 = "\x80-\x9f"
# Invisible format characters. ZWNJ/ZWJ are judged by their neighbours (emoji sequences and
# Arabic, Persian and Indic orthography need them); LRM/RLM/ALM are ordinary in RTL text.
INVISIBLE = (
    "\u00ad\u115f\u1160\u180e\u200b\u200c\u200d\u2060-\u2064\u206a-\u206f\u3164\ufeff\uffa0"
    "\ufff9-\ufffb"
)
JOINERS = "\u200c\u200d"
BIDI_EMBEDDINGS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
BIDI_OVERRIDES = "\u202d\u202e"
BIDI_OPEN = "\u202a\u202b\u202d\u202e"
BIDI_ISOLATE_OPEN = "\u2066\u2067\u2068"
TAGS = "\U000e0000-\U000e007f"
PRIVATE_USE = "\ue000-\uf8ff\U000f0000-\U0010ffff"
SURROGATES = "\ud800-\udfff"

_SPECIAL = re.compile(
    f"[{C0}{C1}{INVISIBLE}{BIDI_EMBEDDINGS}{TAGS}{PRIVATE_USE}{SURROGATES}\ufffd]"
)
_ASCII_TEXT = bytes(range(0x20, 0x7F)) + b"\t\n\r"
# Deleting these bytes from UTF-8 leaves only C0 controls and DEL.
_NOT_C0 = _ASCII_TEXT + bytes(range(0x80, 0x100))
# Every ASCII byte becomes a space: what is left between spaces are runs of adjacent non-ASCII
# characters, still valid UTF-8.
_ASCII_TO_SPACE = b" " * 128 + bytes(range(0x80, 0x100))


def non_ascii_runs(data: bytes) -> str:
    """The runs of adjacent non-ASCII characters of a UTF-8 text, joined by spaces.

    Every mojibake pair (two non-ASCII characters side by side) and every special character
    except C0 controls survive, so one search over this short string replaces a search over
    the whole text when most of it is ASCII."""
    return b" ".join(data.translate(_ASCII_TO_SPACE).split()).decode("utf-8", "surrogatepass")


_RTL = re.compile(
    "[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefe\U00010800-\U00010fff\U0001e800-\U0001efff]"
)
_BLACK_FLAG = "\U0001f3f4"  # emoji tag sequences (subdivision flags) follow it
