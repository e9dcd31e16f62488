"""Small text helpers shared by every layer: excerpts, surrogate cleaning, character tables."""

from __future__ import annotations

import re

EXCERPT_CHARS = 80

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"

# Control characters (C0 except tab/newline/carriage return, and DEL) have no place in training
# text; zero-width, bidirectional and other invisible characters are the `encoding` checker's.
_CANDIDATES = re.compile("[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]")


def clean_text(text: str) -> str:
    """`text` with lone surrogates (from broken escapes or undecodable file names) replaced by
    U+FFFD, so it can always be written as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join("\ufffd" if 0xD800 <= ord(char) <= 0xDFFF else char for char in text)
    return text


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """A one-line excerpt of at most `limit` characters, surrogates replaced. A cut never
    leaves part of a token behind (`… sk-proj-Ab3…`): a word of key characters that the cut
    would split is dropped whole, so no fragment of a credential outlives the cut."""
    flat = text.replace("\r\n", "\n")
    if len(flat) > limit:
        flat = flat[: token_safe_cut(flat, limit - 1)] + "…"
    if any(0xD800 <= ord(char) <= 0xDFFF for char in flat):
        flat = "".join("\ufffd" if 0xD800 <= ord(char) <= 0xDFFF else char for char in flat)
    return flat


# Characters of keys, tokens, addresses and formatted numbers: a cut inside a run of them backs
# off to where the run starts.
_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+/=.@%:-")
_NUMBER_GLUE = frozenset(" -.()")


def token_safe_cut(text: str, position: int) -> int:
    """The largest cut point <= `position` that does not split a run of key characters (nor a
    number written in groups, `4111 1111 1111 1111`). A run that starts the text is cut where
    asked: there is nothing earlier to keep."""
    if position <= 0 or position >= len(text):
        return max(0, min(position, len(text)))
    cut = position
    while cut > 0 and _joined(text, cut):
        cut -= 1
    return cut if cut > 0 else position


def token_safe_start(text: str, position: int) -> int:
    """The smallest start point >= `position` that does not begin inside a run (the mirror of
    `token_safe_cut`); a run that reaches the end of the text starts where asked."""
    if position <= 0 or position >= len(text):
        return max(0, min(position, len(text)))
    start = position
    while start < len(text) and _joined(text, start):
        start += 1
    return start if start < len(text) else position


def _joined(text: str, cut: int) -> bool:
    """`text[cut - 1]` and `text[cut]` belong to the same run."""
    left, right = text[cut - 1], text[cut]
    if left in _KEY_CHARS and right in _KEY_CHARS:
        return True
    if left.isdigit() and right in _NUMBER_GLUE:
        return cut + 1 < len(text) and text[cut + 1].isdigit()
    if left in _NUMBER_GLUE and right.isdigit():
        return cut >= 2 and text[cut - 2].isdigit()
    return False


# Characters that must never reach an output raw: C0 controls but tab and line feed (a carriage
# return can overwrite a terminal line), DEL, C1 controls (U+0085 NEXT LINE, U+009B CSI),
# zero-width and bidirectional controls, line and paragraph separators, soft hyphen, the
# Mongolian vowel separator, invisible operators and tag characters.
HIDDEN_CHARACTERS = re.compile(
    f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f{ZERO_WIDTH}{BIDI_CONTROLS}\\u2028\\u2029"
    "\\u00ad\\u180e\\u2060-\\u2064\\U000e0000-\\U000e007f]"
)
_NAMED = {"\r": "␍", "\x1b": "␛", "\x00": "␀", "\x07": "␇"}


def _shown(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or f"<U+{ord(char):04X}>"


def show_hidden(text: str) -> str:
    """`text` with every control, zero-width, bidi and separator character written visibly
    (`<U+202E>`, `␛`); tab and line feed are kept. The one copy of this logic: the outbound
    layer and every renderer use it."""
    if text.isascii() and text.isprintable():
        return text
    return HIDDEN_CHARACTERS.sub(_shown, text)


def find_suspicious(text: str) -> re.Match[str] | None:
    """First control character (NUL, ESC, DEL, …; not tab or line breaks) in `text`, if any."""
    return _CANDIDATES.search(text)


def describe_char(char: str) -> str:
    return f"U+{ord(char):04X}"


# The same characters as they can appear in valid JSON source: raw C0 controls cannot appear in
# valid JSON, so only DEL (raw) and escapes (\b, \f, \u0000-\u001f, \u007f) can carry them.
_ESCAPED_CONTROL = re.compile(rb"\\(?:[bf]|u00[01][0-9a-fA-F]|u007[fF])")


def source_may_hide_characters(data: bytes) -> bool:
    """False when valid JSON source bytes provably hold no character `find_suspicious` looks
    for, so the per-string scan can be skipped."""
    if b"\x7f" in data:
        return True
    return b"\\" in data and _ESCAPED_CONTROL.search(data) is not None
