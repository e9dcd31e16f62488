"""What one row is measured by: declared keys, the system prompt, responses, token counts."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from ftqa.records import Message, Record

# The key token_length stores per-row token counts under (a dict); see its module.
TOKENS_CACHE_KEY = "tokens"


def _dig(raw: Any, path: str) -> Any:
    if "." not in path:
        return raw.get(path) if isinstance(raw, dict) else None
    value = raw
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


_SURROGATES = re.compile("[\ud800-\udfff]")


def _clean(text: str, limit: int = 100) -> str:
    """A dataset value safe to count, report and serialize: lone surrogates replaced, bounded."""
    return _SURROGATES.sub("\ufffd", text[:limit])


def _scalar(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        text = str(value).strip()
        return _clean(text) if text else None
    return None


def _system_prompt(messages: list[Message]) -> str | None:
    for message in messages:
        if message.role in ("system", "developer"):
            return message.content.strip()
    return None


def _variant(prompt: str) -> str:
    return hashlib.blake2b(prompt.encode("utf-8", "surrogatepass"), digest_size=4).hexdigest()


def _responses(record: Record) -> list[Message]:
    if record.chosen:
        return [message for message in record.chosen if message.role == "assistant"]
    return [message for message in record.messages if message.role == "assistant"]


def _response_tokens(record: Record) -> int | None:
    """Trainable (response) tokens counted by token_length, when it ran earlier on this row."""
    counts = record.cache.get(TOKENS_CACHE_KEY)
    if isinstance(counts, Mapping):
        value = counts.get("trainable")
        if isinstance(value, int):
            return value
    return None
