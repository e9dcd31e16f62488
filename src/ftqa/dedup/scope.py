"""Which text of a canonical record is compared: the whole example, its prompt side or its
response side, and the stable keys and normalized texts built from it.

- **prompt side**: every turn that is not an assistant turn (system, developer, user, tool
  results, …) — for completion data the `prompt`, for Alpaca `instruction` + `input`, for
  preference data the shared prompt, for classification the `text`;
- **response side**: the assistant turns (their content and tool calls), the `chosen` and
  `rejected` responses of preference data, the `label` of classification data;
- **example**: both.

Checkers read them through the providers of `ftqa.providers.dedup`, which compute each once per
row; the `record.cache` helpers below (`cached_parts`, `scope_key`, `scope_text`, `normalized`)
remain for callers not yet ported to providers.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterator
from typing import Any, Literal

from ftqa.dedup.normalize import Normalization
from ftqa.records import Message, Record

Scope = Literal["example", "prompt", "response"]
SCOPES: tuple[Scope, ...] = ("example", "prompt", "response")
SYSTEM_ROLES = frozenset({"system", "developer"})
KEY_BYTES = 16
MAX_RAW_DEPTH = 64


def scope_parts(record: Record, scope: Scope, include_system: bool = True) -> list[tuple[str, str]]:
    """`(tag, text)` pairs of the record's `scope`, in order; tags are roles or field names."""
    parts: list[tuple[str, str]] = []
    if record.text is not None and not record.messages and record.chosen is None:
        if scope != "response":
            parts.append(("text", record.text))
        if scope != "prompt" and record.label is not None:
            parts.append(("label", record.label))
        return parts
    for message in record.messages:
        if message.role == "assistant":
            if scope != "prompt":
                parts.append(("assistant", _assistant_text(message)))
        elif scope != "response" and (include_system or message.role not in SYSTEM_ROLES):
            parts.append((message.role, message.content))
    if scope != "prompt":
        for tag, side in (("chosen", record.chosen), ("rejected", record.rejected)):
            for message in side or ():
                parts.append((tag, _assistant_text(message)))
    return parts


def _assistant_text(message: Message) -> str:
    if not message.tool_calls:
        return message.content
    calls = [f"{call.name or ''}({call.arguments or ''})" for call in message.tool_calls]
    return "\n".join([message.content, *calls]) if message.content else "\n".join(calls)


def raw_strings(value: Any) -> Iterator[str]:
    """Every string value inside a parsed row (keys excluded), depth-first, in order."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            yield item
        elif depth < MAX_RAW_DEPTH and isinstance(item, dict):
            stack.extend((child, depth + 1) for child in reversed(list(item.values())))
        elif depth < MAX_RAW_DEPTH and isinstance(item, (list, tuple)):
            stack.extend((child, depth + 1) for child in reversed(item))


_PARTS_NAMES = {
    (scope, system): f"dedup.parts:{scope}:{'s' if system else '-'}"
    for scope in SCOPES
    for system in (True, False)
}


def cached_parts(
    record: Record, scope: Scope, include_system: bool = True
) -> list[tuple[str, str]]:
    """`scope_parts`, cached in `record.cache["dedup.parts:<scope>:<s|->"]`."""
    name = _PARTS_NAMES[scope, include_system]
    parts = record.cache.get(name)
    if parts is None:
        parts = record.cache[name] = scope_parts(record, scope, include_system)
    return parts  # type: ignore[no-any-return]


def normalized(record: Record, text: str, norm: Normalization) -> str:
    """`norm(text)`, cached per record (`record.cache["dedup.norm"]`, keyed by settings and
    text) so checkers that normalize the same turn share the character-level work."""
    cache = record.cache.get("dedup.norm")
    if cache is None:
        cache = record.cache["dedup.norm"] = {}
    key = (norm.tag, text)
    out = cache.get(key)
    if out is None:
        if norm.character_level:
            out = norm.base_apply(text)
        else:
            out = norm.finish(normalized(record, text, norm.base))
        cache[key] = out
    return out  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=256)
def _cache_name(kind: str, scope: Scope, include_system: bool, tag: str) -> str:
    return f"dedup.{kind}:{scope}:{'s' if include_system else '-'}:{tag}"


def scope_text(
    record: Record, scope: Scope, norm: Normalization, include_system: bool = True
) -> str:
    """The normalized text of the scope, parts joined by newlines; '' when there is none.

    Cached in `record.cache["dedup.text:<scope>:<s|->:<norm tag>"]`.
    """
    name = _cache_name("text", scope, include_system, norm.tag)
    cached = record.cache.get(name)
    if cached is None:
        parts = cached_parts(record, scope, include_system)
        cached = "\n".join([normalized(record, text, norm) for _, text in parts])
        if cached.isspace():
            cached = ""
        record.cache[name] = cached
    return cached


def scope_key(
    record: Record,
    scope: Scope,
    norm: Normalization,
    include_system: bool = True,
    parts: list[tuple[str, str]] | None = None,
) -> bytes | None:
    """`key_of_parts` of the record's scope, memoised in `record.cache` (legacy callers)."""
    name = _cache_name("key", scope, include_system, norm.tag)
    if name in record.cache:
        return record.cache[name]  # type: ignore[no-any-return]
    if parts is None:
        parts = cached_parts(record, scope, include_system)
    key = record.cache[name] = key_of_parts(
        parts, norm, lambda text: normalized(record, text, norm.base)
    )
    return key


def key_of_parts(
    parts: list[tuple[str, str]], norm: Normalization, base: Callable[[str], str]
) -> bytes | None:
    """A 128-bit BLAKE2b key of the normalized scope `parts` (roles included), or None when the
    scope has no text. Equal keys mean equal normalized scopes; stable across processes.
    `base` applies `norm.base` (callers share that character-level work between checkers)."""
    # One string per row, parts as `tag NUL text NUL …`, normalized in one go; the whitespace
    # next to a separator is dropped so each part is stripped on its own.
    pieces: list[str] = []
    empty = True
    for tag, text in parts:
        value = base(text)
        if empty and value and not value.isspace():
            empty = False
        pieces += (tag, value)
    data = norm.finish_bytes("\x00".join(pieces))
    if norm.whitespace:
        data = data.replace(b" \x00", b"\x00").replace(b"\x00 ", b"\x00")
    digest = hashlib.blake2b(data, digest_size=KEY_BYTES, person=b"ftqa-dedup")
    return None if empty else digest.digest()


def text_of_parts(parts: list[tuple[str, str]], normalize: Callable[[str], str]) -> str:
    """The normalized text of scope `parts` joined by newlines; '' when there is none."""
    text = "\n".join([normalize(part) for _, part in parts])
    return "" if text.isspace() else text


def excerpt_of(parts: list[tuple[str, str]], limit: int = 120) -> str:
    """The start of the first non-system part with text, for evidence (not normalized)."""
    return shown_part(parts)[:limit]


def shown_part(parts: list[tuple[str, str]]) -> str:
    """The first non-system part with text (else the first part with text): what evidence
    shows the start of."""
    fallback = ""
    for tag, text in parts:
        if not text or text.isspace():
            continue
        if tag not in SYSTEM_ROLES:
            return text
        fallback = fallback or text
    return fallback


def reference_text(record: Record, norm: Normalization) -> str:
    """The normalized text of a row of a reference (benchmark) file: its canonical fields when it
    has a known format, else every string value in the row as written."""
    example = scope_text(record, "example", norm) if record.format is not None else ""
    return reference_text_of(example, record.raw, norm)


def reference_text_of(example: str, raw: Any, norm: Normalization) -> str:
    """`reference_text` from the row's normalized example text ('' when the row has no known
    format) and its parsed value."""
    if example:
        return example
    return "\n".join(norm(text) for text in raw_strings(raw) if text.strip())
