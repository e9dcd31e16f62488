"""Evidence: hidden characters made visible, named and counted; excerpts with secrets and
personal data masked."""

from __future__ import annotations

import unicodedata
from collections import Counter

from ftqa.checks.encoding.characters import _SPECIAL
from ftqa.detect.scan import span_excerpt
from ftqa.outbound import sensitive_spans
from ftqa.text import excerpt


def visible(text: str) -> str:
    """`text` with every special character written as `<U+XXXX>` and tag characters decoded
    (`<tags:hidden text>`), so evidence shows what the eye cannot."""
    out: list[str] = []
    tags: list[str] = []
    for char in text:
        code = ord(char)
        if 0xE0020 <= code <= 0xE007E:
            tags.append(chr(code - 0xE0000))
            continue
        if tags:
            out.append(f"<tags:{''.join(tags)}>")
            tags = []
        if _SPECIAL.match(char) and char not in "\t\n\r":
            out.append(f"<U+{code:04X}>")
        else:
            out.append(char)
    if tags:
        out.append(f"<tags:{''.join(tags)}>")
    return "".join(out)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _names(text: str, positions: list[int]) -> str:
    counts = Counter(text[position] for position in positions)
    parts = []
    for char, count in counts.most_common(3):
        name = unicodedata.name(char, "")
        if 0xE0000 <= ord(char) <= 0xE007F:
            name = "TAG CHARACTER"
        label = f"U+{ord(char):04X} {name}".strip()
        parts.append(f"{label} ×{count}" if count > 1 else label)
    if len(counts) > 3:
        parts.append("…")
    return ", ".join(parts)


def _word(text: str, position: int, limit: int = 30) -> str:
    """The whitespace-delimited word around `position`, shortened, secrets and personal data
    masked."""
    start = position
    while start > 0 and not text[start - 1].isspace() and position - start < limit:
        start -= 1
    end = position
    while end < len(text) and not text[end].isspace() and end - position < limit:
        end += 1
    lo, hi = max(0, start - 200), min(len(text), end + 200)
    for a, b, _ in sensitive_spans(text[lo:hi]):
        if a + lo < end and start < b + lo:
            return "[secret]"
    return excerpt(visible(text[start:end]), limit)


def _evidence(text: str, start: int, end: int) -> str:
    """Excerpt around `text[start:end]`, hidden characters made visible, secrets and personal
    data masked (before the excerpt is cut)."""
    lo, hi = max(0, start - 200), min(len(text), end + 200)
    window = text[lo:hi]
    hidden = [(a + lo, b + lo) for a, b, _ in sensitive_spans(window)]
    return excerpt(visible(span_excerpt(text, start, end, hidden, width=25)), 100)
