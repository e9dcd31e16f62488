"""Small pure helpers on texts and field paths shared by the leakage rules."""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from ftqa.detect.scan import replace_spans
from ftqa.outbound import sensitive_spans
from ftqa.records import Message, Record
from ftqa.text import clean_text

_COLON = re.compile(r"[ \t]*:")
_FENCE = re.compile(r"^[ \t]*(?:```|~~~)", re.M)
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_PATH = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
# An ending read backwards: whitespace, punctuation/symbol runs, `Label:` (1-3 capitalised
# words before a colon), tags such as `<|endoftext|>`, `</s>`, `[END]`, and a final capitalised


def occurrences(text: str, needle: str, stop: int, skip_code: bool) -> int:
    """Occurrences of `needle` in `text[:stop]`, outside fenced code blocks when `skip_code`."""
    if not needle or stop <= 0:
        return 0
    count = text.count(needle, 0, stop)
    if not count or not skip_code or ("```" not in text and "~~~" not in text):
        return count
    fences = [match.start() for match in _FENCE.finditer(text)]
    count = 0
    position = text.find(needle, 0, stop)
    while position != -1:
        if bisect.bisect_right(fences, position) % 2 == 0:
            count += 1
        position = text.find(needle, position + len(needle), stop)
    return count


def in_code_block(text: str, position: int) -> bool:
    return len(_FENCE.findall(text, 0, position)) % 2 == 1


def show(text: str) -> str:
    """A token or separator as it is shown in messages: backticks, newlines escaped."""
    return "`" + json.dumps(text, ensure_ascii=False)[1:-1] + "`"


def quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def share(part: int, whole: int) -> str:
    return f"{part} of {whole} ({100 * part / whole:.0f}%)" if whole else "0"


@lru_cache(maxsize=1 << 13)  # rows repeat system prompts, scaffolds and endings
def masked(text: str) -> str:
    """`text` with credentials and personal data masked and lone surrogates replaced, and
    nothing else changed (line endings and markers stay comparable): for the texts per-row
    features carry (markers, tails, prompt heads, evidence), which are cached and sent between
    processes; what they become in a report passes the outbound layer again."""
    text = clean_text(text)
    spans = sensitive_spans(text)
    return replace_spans(text, spans) if spans else text


def _common_suffix(current: str, text: str) -> str:
    if text.endswith(current):
        return current
    low, high = 0, len(current)
    while low < high:  # longest k with text.endswith(current[-k:])
        middle = (low + high + 1) // 2
        if text.endswith(current[len(current) - middle :]):
            low = middle
        else:
            high = middle - 1
    return current[len(current) - low :] if low else ""


def _common_prefix(current: str, text: str) -> str:
    if text.startswith(current):
        return current
    low, high = 0, len(current)
    while low < high:
        middle = (low + high + 1) // 2
        if text.startswith(current[:middle]):
            low = middle
        else:
            high = middle - 1
    return current[:low]


def _context(text: str, start: int, end: int) -> str:
    return text[max(0, start - 30) : end + 30]


PLAIN_FIELDS = frozenset(
    {"prompt", "completion", "instruction", "output", "chosen", "rejected", "text", "system"}
)


def where(message: Message) -> str:
    """How a message's text is named in findings: `the prompt`, or `assistant content`."""
    if message.field in PLAIN_FIELDS:
        return f"the {message.field}"
    return f"{message.role} content"


def _plain_completion(record: Record) -> bool:
    raw = record.raw
    return (
        record.format == "completion"
        and isinstance(raw, Mapping)
        and isinstance(raw.get("prompt"), str)
        and isinstance(raw.get("completion"), str)
    )


def _resolve(raw: Any, path: str) -> Any:
    value = raw
    for name, index in _PATH.findall(path):
        if name:
            if not isinstance(value, Mapping):
                return None
            value = value.get(name)
        else:
            if not isinstance(value, list) or int(index) >= len(value):
                return None
            value = value[int(index)]
    return value


def content_field(raw: Any, message_field: str) -> str:
    """The field path of a message's text: `messages[1].content`, `conversations[0].value`,
    `prompt`, …"""
    value = _resolve(raw, message_field)
    if isinstance(value, Mapping):
        if "content" in value:
            return f"{message_field}.content"
        if "value" in value:
            return f"{message_field}.value"
    return message_field
