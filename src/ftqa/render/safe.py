"""Neutralize untrusted dataset text for each output medium.

The outbound layer (`ftqa.outbound`) has already masked secrets and personal data and made
hidden characters visible in what a report holds; these functions add each format's escaping
on top, and show hidden characters again (the same `ftqa.text.show_hidden`) for strings that
did not come through a report, such as file names.
"""

from __future__ import annotations

import html
import re

from ftqa.text import show_hidden


def terminal_text(text: str) -> str:
    """Control, escape, zero-width and bidi characters shown as visible placeholders."""
    return show_hidden(text.replace("\n", "⏎"))


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#!~])")
# Things a Markdown renderer turns into links or notifications even without markup: `@user`
# and `@org/team` mentions, `#123` references (escaped above), bare URLs and `www.` hosts.
_MENTION = re.compile(r"@(?=[A-Za-z0-9])")
_AUTOLINK = re.compile(r"(?i)(?<=[a-z0-9+.-])(:)(?=//)|\b(www)(\.)(?=[a-z0-9])")
_ZWJ = "\u2060"  # WORD JOINER: invisible, and no renderer links or mentions across it


def markdown_text(text: str) -> str:
    """Dataset text as plain text in a Markdown table cell: syntax escaped, inline HTML escaped,
    mentions and autolinks broken with an invisible word joiner, so a pull-request comment
    neither links, nor notifies, nor renders markup from the data."""
    flat = terminal_text(text)
    flat = _MARKDOWN_SPECIAL.sub(r"\\\1", flat).replace("&", "&amp;")
    flat = _MENTION.sub("@" + _ZWJ, flat)
    return _AUTOLINK.sub(_break_link, flat)


def _break_link(match: re.Match[str]) -> str:
    if match.group(1):
        return ":" + _ZWJ
    return f"{match.group(2)}{_ZWJ}."


def markdown_code(text: str) -> str:
    """Dataset text inside an inline code span: a fence longer than any backtick run inside,
    padded when the text starts or ends with a backtick (CommonMark 6.1)."""
    flat = terminal_text(text)
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith(("`", " ")) or flat.endswith(("`", " ")) else ""
    return f"{fence}{pad}{flat}{pad}{fence}".replace("|", "\\|")


def html_text(text: str) -> str:
    return html.escape(terminal_text(text), quote=True)


def sarif_text(text: str) -> str:
    """A SARIF `message.text`: hidden characters visible, and `[` `]` escaped with a backslash
    (SARIF 2.1.0 §3.11.6), so dataset text cannot form an embedded link."""
    return terminal_text(text).replace("[", "\\[").replace("]", "\\]")


# JSON writers emit these raw (only `"`, `\` and C0 must be escaped): C1 controls, bidi and
# zero-width characters, line and paragraph separators. Written as \uXXXX they cannot reorder,
# hide or break lines in a terminal, an editor or a JavaScript consumer.
_JSON_HIDDEN = re.compile(
    "[\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2069\\ufeff"
    "\\U000e0000-\\U000e007f]"
)


def json_escape_hidden(document: str) -> str:
    """A serialized JSON document with every hidden character written as a `\\uXXXX` escape
    (such characters only occur inside strings, so the document means the same)."""
    return _JSON_HIDDEN.sub(_json_escape, document)


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code > 0xFFFF:  # a UTF-16 surrogate pair, as JSON spells characters beyond the BMP
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"
