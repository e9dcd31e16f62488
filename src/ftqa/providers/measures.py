"""Per-row measures of the examples table that more than one checker needs: the row's language,
its task/category, what its responses look like (`balance` reports their distributions,
`constraints` evaluates them), and the hash of its system prompt (`leakage`'s measure).

Each follows the options of the checker that owns the idea, read from `RunContext.options`
(`balance`: `language-keys`, `detect-language`, `category-keys`, `refusal-phrases`), with that
checker's defaults when the run has none, so a measure is the same whichever checker asks.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ftqa.detect.language import SAMPLE_CHARS, guess_language
from ftqa.providers import Provided, Provider, RunContext
from ftqa.records import Message, Record

# Phrases that mark a response as a refusal when they occur in its first REFUSAL_WINDOW
# characters (case-insensitive, curly apostrophes read as straight ones). Deliberately specific:
# a support answer that starts "I'm sorry, but I can't find that invoice" is not a refusal.
DEFAULT_REFUSAL_PHRASES = (
    "i can't help with",
    "i cannot help with",
    "i can't assist with",
    "i cannot assist with",
    "i can't provide",
    "i cannot provide",
    "i can't comply",
    "i cannot comply",
    "i can't do that",
    "i cannot do that",
    "i won't be able to help",
    "i won't help",
    "i will not help",
    "i'm not able to help",
    "i am not able to help",
    "i'm unable to help",
    "i am unable to help",
    "i'm unable to assist",
    "i am unable to assist",
    "i must decline",
    "i'm not comfortable",
    "as an ai language model",
    "as an ai, i cannot",
    "against my guidelines",
    "against my programming",
)
REFUSAL_WINDOW = 300
DEFAULT_CATEGORY_KEYS = ("category", "task", "source")
DEFAULT_LANGUAGE_KEYS = ("language", "lang")

_SURROGATES = re.compile("[\ud800-\udfff]")


def fold(text: str) -> str:
    return text.lower().replace("\u2019", "'").replace("\u2018", "'")


def clean(text: str, limit: int = 100) -> str:
    """A dataset value safe to count, report and serialize: lone surrogates replaced, bounded."""
    return _SURROGATES.sub("\ufffd", text[:limit])


def dig(raw: Any, path: str) -> Any:
    if "." not in path:
        return raw.get(path) if isinstance(raw, dict) else None
    value = raw
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def scalar(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        text = str(value).strip()
        return clean(text) if text else None
    return None


def system_prompt(messages: list[Message]) -> str | None:
    """The first system (or developer) message, stripped."""
    for message in messages:
        if message.role in ("system", "developer"):
            return message.content.strip()
    return None


def variant(prompt: str) -> str:
    """The template variant: a short hash of the system prompt."""
    return hashlib.blake2b(prompt.encode("utf-8", "surrogatepass"), digest_size=4).hexdigest()


def responses(record: Record) -> list[Message]:
    if record.chosen:
        return [message for message in record.chosen if message.role == "assistant"]
    return [message for message in record.messages if message.role == "assistant"]


def refusal(replies: list[Message], phrases: Sequence[str]) -> str | None:
    """The refusal phrase in the opening of the last response, if any."""
    if not replies:
        return None
    opening = fold(replies[-1].content[:REFUSAL_WINDOW])
    for phrase in phrases:
        if phrase in opening:
            return phrase
    return None


def _balance(run: RunContext, name: str, default: Any) -> Any:
    options = run.options.get("balance")
    return default if options is None else getattr(options, name)


def _language(provided: Provided) -> tuple[str | None, bool]:
    record = provided.record
    for key in _balance(provided.run, "language_keys", DEFAULT_LANGUAGE_KEYS):
        value = scalar(dig(record.raw, key))
        if value is not None:
            return value.lower(), True
    if not _balance(provided.run, "detect_language", True):
        return None, False
    if record.format == "classification":
        return guess_language(record.text or ""), False
    parts: list[str] = []
    size = 0
    for message in (*record.messages, *(record.chosen or ())):
        if message.role in ("system", "developer") or not message.content:
            continue
        part = message.content[: SAMPLE_CHARS - size]
        parts.append(part)
        size += len(part) + 1
        if size >= SAMPLE_CHARS:
            break
    return guess_language("\n".join(parts)), False


def _category(provided: Provided) -> tuple[str | None, str | None]:
    for key in _balance(provided.run, "category_keys", DEFAULT_CATEGORY_KEYS):
        value = scalar(dig(provided.record.raw, key))
        if value is not None:
            return value, key
    return None, None


@dataclass(frozen=True, slots=True)
class ResponseMeasures:
    """What a conversation's responses look like: the system prompt's variant (None without
    one), the responses' characters, the refusal phrase opening the last one (None when it is
    no refusal), and whether the row calls or answers tools."""

    variant: str | None
    chars: int
    refusal: str | None
    tool_use: bool


def _responses(provided: Provided) -> ResponseMeasures | None:
    record = provided.record
    if record.format is None or record.format == "classification":
        return None
    prompt = system_prompt(record.messages)
    replies = responses(record)
    phrases = _balance(provided.run, "refusal_phrases", DEFAULT_REFUSAL_PHRASES)
    return ResponseMeasures(
        variant=variant(prompt) if prompt is not None else None,
        chars=sum(len(message.content) for message in replies),
        refusal=refusal(replies, phrases),
        tool_use=any(
            message.tool_calls or message.role == "tool"
            for message in (*record.messages, *(record.chosen or ()))
        ),
    )


LANGUAGE = Provider("language", _language, "(language, declared by the row?)")
CATEGORY = Provider("category", _category, "(task/category value, the key it came from)")
RESPONSES = Provider("responses", _responses, "ResponseMeasures of a conversation, else None")
