"""One message and a list of them: role, content, name, weight, tool calls."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ftqa.formats.base import Reading, as_json_text, type_name
from ftqa.formats.messages.content import _read_content
from ftqa.formats.messages.conversation import check_conversation
from ftqa.formats.messages.keys import LLAMAFACTORY_KEYS, MESSAGE_KEYS, STANDARD_ROLES
from ftqa.formats.messages.tools import _read_tool_calls
from ftqa.records import Message, ToolCall
from ftqa.text import find_suspicious


def read_messages(
    value: Any, field: str, reading: Reading, *, need_assistant: bool = True
) -> list[Message]:
    """Validate and normalize a list of messages; conversation-level rules included."""
    if not isinstance(value, list):
        if value is not None:
            reading.add(
                "wrong-type",
                f"`{field}` must be a list of messages, not {type_name(value)}",
                field,
                value,
            )
        return []
    if not value:
        reading.add("empty-content", f"`{field}` is an empty list", field)
        return []
    messages = [
        message
        for index, item in enumerate(value)
        if (message := read_message(item, f"{field}[{index}]", reading)) is not None
    ]
    check_conversation(messages, field, reading, need_assistant=need_assistant)
    return messages


_PLAIN_ROLES = STANDARD_ROLES - {"tool"}


def read_message(item: Any, field: str, reading: Reading) -> Message | None:
    if type(item) is dict and len(item) == 2:
        # Fast path for the common `{"role": ..., "content": "..."}` message with nothing to report.
        role, content = item.get("role"), item.get("content")
        if (
            type(role) is str
            and type(content) is str
            and role in _PLAIN_ROLES
            and content
            and not content.isspace()
            and (not reading.scan_text or find_suspicious(content) is None)
        ):
            return Message(role, content, field)
    if not isinstance(item, Mapping):
        reading.add(
            "wrong-type", f"`{field}` must be an object, not {type_name(item)}", field, item
        )
        return None
    role = item.get("role")
    if role is None:
        reading.add("missing-key", f"`{field}` has no `role`", f"{field}.role")
        role = "?"
    elif not isinstance(role, str):
        reading.add(
            "wrong-type",
            f"`{field}.role` must be a string, not {type_name(role)}",
            f"{field}.role",
            role,
        )
        role = "?"
    elif role not in STANDARD_ROLES and role not in reading.options.extra_roles:
        reading.add("unknown-role", f"unknown role `{role}` in `{field}`", f"{field}.role", role)
    llamafactory = _is_llamafactory(item.get("content"))
    reading.unexpected_keys_in(
        item, MESSAGE_KEYS | LLAMAFACTORY_KEYS if llamafactory else MESSAGE_KEYS, field
    )
    tool_calls = _read_tool_calls(item, field, reading)
    part_calls: list[ToolCall] = []
    content = _read_content(
        item, role, bool(tool_calls) or llamafactory, field, reading, part_calls
    )
    tool_calls += tuple(part_calls)
    weight = _read_weight(item, field, reading, "loss_weight" if llamafactory else "weight")
    name = item.get("name")
    if name is not None and not isinstance(name, str):
        reading.add(
            "wrong-type",
            f"`{field}.name` must be a string, not {type_name(name)}",
            f"{field}.name",
            name,
        )
        name = None
    tool_call_id = item.get("tool_call_id")
    if role == "tool" and not llamafactory:
        if tool_call_id is None:
            reading.add(
                "missing-key",
                f"tool message `{field}` has no `tool_call_id`",
                f"{field}.tool_call_id",
            )
        elif not isinstance(tool_call_id, str):
            reading.add(
                "wrong-type",
                f"`{field}.tool_call_id` must be a string",
                f"{field}.tool_call_id",
                tool_call_id,
            )
            tool_call_id = None
    canonical = "assistant" if role == "assistant" else role
    return Message(
        role=canonical,
        content=content,
        field=field,
        name=name,
        weight=weight,
        tool_calls=tool_calls,
        tool_call_id=tool_call_id if isinstance(tool_call_id, str) else None,
    )


def _is_llamafactory(content: Any) -> bool:
    return (
        isinstance(content, list)
        and bool(content)
        and isinstance(content[0], Mapping)
        and "value" in content[0]
        and "text" not in content[0]
    )


def _read_weight(
    item: Mapping[str, Any], field: str, reading: Reading, key: str = "weight"
) -> float | None:
    """OpenAI's `weight` must be the integer 0 or 1; LLaMA-Factory's `loss_weight` any 0..1."""
    if key not in item:
        return None
    weight = item[key]
    number = isinstance(weight, (int, float)) and not isinstance(weight, bool)
    valid = number and (
        0 <= weight <= 1 if key == "loss_weight" else isinstance(weight, int) and weight in (0, 1)
    )
    if not valid:
        allowed = "between 0 and 1" if key == "loss_weight" else "0 or 1"
        reading.add(
            "invalid-weight",
            f"`{field}.{key}` must be {allowed}, not {as_json_text(weight)}",
            f"{field}.{key}",
            weight,
        )
    return float(weight) if number else None
