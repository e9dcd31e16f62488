"""Patterns and plausibility tests of the personal-data detector: where an address or a
number may start, and what tells a phone number from a date, a time, a version, an ISBN, a
list of digits, a sum or an amount (issue classes seen on real data)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator

# Patterns start with a character class (or a literal) so that the regex engine skips quickly
# to where a match can start; "not preceded by …" is checked on each match (`matches`).
LOCAL_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}\Z")
LOCAL_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._%+-")
DOMAIN = re.compile(
    r"((?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,24}))(?![A-Za-z0-9\-])"
)
DIGIT_RUN = re.compile(rb"d[d.]{5,}d")
CARD_HINT = re.compile(rb"d(?:\.?d){12}")
PHONE = re.compile(r"[+(\d][\d \u00a0().\-/]{5,25}\d(?![\w/]|[.\-]\d)")
CARD = re.compile(r"\d(?:[ \-]?\d){12,18}(?![ .\-]?\d)")
IBAN = re.compile(r"[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])")
IPV4 = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?!\w|\.\w|/\d)")
IPV6_HINT = re.compile(rb":[dAa]{1,4}:[dAa]{1,4}:")
IPV6 = re.compile(r"(?<![\w:.])(?=[0-9A-Fa-f:.]*:[0-9A-Fa-f.]*:)[0-9A-Fa-f:.]{2,45}(?![\w:/])")
IP_CONTEXT = re.compile(
    r"(?i:\bip\b|ipv4|address|addr\b|host|server|client|connect|ping|ssh|curl|wget|dns|proxy"
    r"|gateway|router|firewall|subnet|listen|bind|remote|login|logged|visitor|from\b|://)"
)
DATE_LIKE = re.compile(
    r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{1,2}:\d{2}"
)
NEGATIVE_CONTEXT = re.compile(
    r"(?i:\b(?:order|invoice|ticket|tracking|ref|reference|case|account|acct|id|sku|isbn"
    r"|serial|part|po|transaction|confirmation|booking|zip|postal|version|build|patent|lot)\b"
    r"|\bno\.|#)[^\n]{0,14}\s*$"
)
PHONE_CONTEXT = re.compile(
    r"(?i:phone|tel\b|tel:|tel\.|call|mobile|cell|fax|whatsapp|sms|text me|contact|reach|dial"
    r"|número|telefon|téléphone|teléfono|телефон|电话|電話|전화)"
)
# A whole word: "server 80.2.4.44" ends in "ver" but names a host, not a version.
VERSION_CONTEXT = re.compile(r"(?i:\b(?:v|ver|version|release|build|firmware))\.?\s*$")


def matches(
    pattern: re.Pattern[str], text: str, allowed_after: Callable[[str], bool]
) -> Iterator[re.Match[str]]:
    """Matches of `pattern` whose preceding character passes `allowed_after` (a left
    boundary checked here rather than with a look-behind, which would slow the search)."""
    position = 0
    while True:
        match = pattern.search(text, position)
        if match is None:
            return
        start = match.start()
        if start and not allowed_after(text[start - 1 : start + 1]):
            position = start + 1
            continue
        yield match
        position = match.end()


def after_word(pair: str) -> bool:
    return not pair[0].isalnum()


def after_word_or_dot(pair: str) -> bool:
    return not (pair[0].isalnum() or pair[0] in "_.-")


def after_number(pair: str) -> bool:
    return pair[0] not in "0123456789.-"


def after_number_or_word(pair: str) -> bool:
    return not (pair[0].isalnum() or pair[0] in "_.,+-")


def after_phone_char(pair: str) -> bool:
    return not (pair[0].isalnum() or pair[0] in "_+/.-")


_GROUPS = re.compile(r"[ .\-/()\u00a0]+")
_DECIMAL = re.compile(r"\+?\d+[.,]\d+")
# A calendar date anywhere in the candidate: `2025-11-07 23` is a timestamp, not a number.
_DATE_INSIDE = re.compile(
    r"(?<!\d)(?:(?:19|20)\d\d[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])"
    r"|(?:0?[1-9]|[12]\d|3[01])[-/.](?:0?[1-9]|[12]\d|3[01])[-/.](?:19|20)?\d\d)(?!\d)"
)
# What follows a time (`23:13`), an amount (`1 234,50`), a unit or an operator (`= 24`).
_AFTER_NOT_PHONE = re.compile(r"[:,]\d|\s*(?:[=+*×÷^%]|[-/]\s*\d)|\.\d")
# What precedes an amount, an operator or a number inside a list or a sum.
_BEFORE_NOT_PHONE = re.compile(r"(?:[$€£¥₹=+*×÷^]|(?<!\d)\d{1,3}\s*,)\s*$")
_SPACED_OPERATOR = re.compile(r"\d\s+[-/]\s+\d")


def phone_shaped(raw: str) -> bool:
    """7-15 digits, not a date, an IP address or a decimal number (`+35236450.6`), and a last
    group of 2+ digits (`+33 6 12 34 56 78`, not `…-7`)."""
    digits = sum(map(str.isdigit, raw))
    if not 7 <= digits <= 15 or DATE_LIKE.fullmatch(raw) or raw.count(".") == 3:
        return False
    if _DECIMAL.fullmatch(raw) or _DATE_INSIDE.search(raw) or _SPACED_OPERATOR.search(raw):
        return False
    groups = [group for group in _GROUPS.split(raw) if group]
    if len(groups[-1]) < 2:
        return False
    return not (_version_like(raw, groups) or _thousands(raw, groups) or _sequence(groups))


def phone_in_context(text: str, start: int, end: int) -> bool:
    """Not part of a time, a sum, an amount, a list of numbers or a longer dotted number."""
    if _AFTER_NOT_PHONE.match(text, end):
        return False
    return _BEFORE_NOT_PHONE.search(text, max(0, start - 12), start) is None


def _version_like(raw: str, groups: list[str]) -> bool:
    """Dotted numbers with a one-digit group (`10.0.19041.1234`, `1.2.3456789`): versions."""
    return "." in raw and len(groups) >= 3 and any(len(group) == 1 for group in groups)


def _thousands(raw: str, groups: list[str]) -> bool:
    """`1 234 567` or `12.345.678`: one short group, then groups of exactly three digits."""
    if raw[0] in "+(" or len(groups) < 3 or len(groups[0]) > 3:
        return False
    return all(len(group) == 3 for group in groups[1:])


def _sequence(groups: list[str]) -> bool:
    """`10 20 30 40`, `1 2 3 4 5 6 7 8`, `11 11 11 11`: numbers in a constant step."""
    if len(groups) < 4 or not all(group.isdigit() for group in groups):
        return False
    values = [int(group) for group in groups]
    steps = {b - a for a, b in itertools.pairwise(values)}
    return len(steps) == 1


def not_an_isbn(raw: str) -> bool:
    """Not an ISBN: an ISBN-13 (`978-3-16-148410-0`) passes its own checksum; a ten-digit
    number is an ISBN-10 only when also written like one (`0-306-40615-2`: four groups, a
    one-character check group), since one phone number in eleven passes the ISBN-10 sum."""
    compact = raw.replace("-", "").replace(" ", "")
    if len(compact) == 13 and compact.startswith(("978", "979")):
        from stdnum import isbn

        return not isbn.is_valid(compact)
    groups = [group for group in re.split(r"[- ]", raw) if group]
    if len(compact) == 10 and len(groups) == 4 and len(groups[-1]) == 1:
        from stdnum import isbn

        return not isbn.is_valid(compact)
    return True


def valid_iban_prefix(compact: str, is_valid: Callable[[str], bool]) -> int | None:
    """Length of the longest prefix of `compact` that is a valid IBAN (the regex may run into
    a following word)."""
    for length in range(min(len(compact), 34), 14, -1):
        if is_valid(compact[:length]):
            return length
    return None


def end_of_prefix(text: str, start: int, length: int) -> int:
    """End offset in `text` of the first `length` non-space characters from `start`."""
    seen = 0
    position = start
    while position < len(text) and seen < length:
        if text[position] != " ":
            seen += 1
        position += 1
    return position
