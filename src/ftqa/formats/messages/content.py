"""Message content: a string, or a list of text, media and tool-call parts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ftqa.formats.base import Reading, type_name
from ftqa.formats.messages.keys import MEDIA_PART_TYPES, TEXT_PART_TYPES
from ftqa.formats.messages.tools import _read_call_part
from ftqa.records import ToolCall


def _read_content(
    item: Mapping[str, Any],
    role: str,
    has_calls: bool,
    field: str,
    reading: Reading,
    part_calls: list[ToolCall],
) -> str:
    content_field = f"{field}.content"
    if "content" not in item:
        if not has_calls and "function_call" not in item:
            reading.add("missing-key", f"`{field}` has no `content`", content_field)
        return ""
    content = item["content"]
    if content is None:
        if not (role == "assistant" and (has_calls or "function_call" in item)):
            reading.add("empty-content", f"`{content_field}` is null", content_field)
        return ""
    if isinstance(content, str):
        if not content.strip() and not (role == "assistant" and has_calls):
            reading.add(
                "empty-content",
                f"`{content_field}` is empty or whitespace only",
                content_field,
                content,
            )
        reading.invisible(content, content_field)
        return content
    if isinstance(content, list):
        return _read_parts(content, content_field, reading, part_calls)
    reading.add(
        "wrong-type",
        f"`{content_field}` must be a string or a list of content parts, not {type_name(content)}",
        content_field,
        content,
    )
    return ""


def _read_parts(parts: list[Any], field: str, reading: Reading, part_calls: list[ToolCall]) -> str:
    texts: list[str] = []
    has_media = False
    if not parts:
        reading.add("empty-content", f"`{field}` is an empty list", field)
        return ""
    for index, part in enumerate(parts):
        part_field = f"{field}[{index}]"
        if not isinstance(part, Mapping):
            reading.add(
                "wrong-type",
                f"`{part_field}` must be an object, not {type_name(part)}",
                part_field,
                part,
            )
            continue
        kind = part.get("type")
        if kind is not None and not isinstance(kind, str):
            reading.add(
                "wrong-type", f"`{part_field}.type` must be a string", f"{part_field}.type", kind
            )
            continue
        if kind in TEXT_PART_TYPES:
            text = part.get("text", part.get("value"))
            if not isinstance(text, str):
                reading.add("wrong-type", f"`{part_field}` has no text string", part_field, part)
                continue
            reading.invisible(text, f"{part_field}.text")
            texts.append(text)
        elif kind in MEDIA_PART_TYPES:
            has_media = True
        elif kind == "tool_call":
            call = _read_call_part(
                part.get("value", part.get("text")), f"{part_field}.value", reading
            )
            if call is not None:
                part_calls.append(call)
        elif kind is None:
            reading.add("missing-key", f"`{part_field}` has no `type`", f"{part_field}.type")
        else:
            reading.add(
                "unknown-content-part",
                f"unknown content part type `{kind}`",
                f"{part_field}.type",
                kind,
            )
    joined = "\n".join(texts)
    if not has_media and not part_calls and not joined.strip():
        reading.add("empty-content", f"`{field}` has no text", field)
    return joined
