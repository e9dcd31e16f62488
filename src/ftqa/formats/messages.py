"""Reading OpenAI-style message lists: shared by chat, preference and conversational formats."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from ftqa.formats.base import Reading, as_json_text, type_name
from ftqa.records import Message, ToolCall
from ftqa.text import find_suspicious

STANDARD_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
MESSAGE_KEYS = frozenset(
    {
        "role",
        "content",
        "name",
        "weight",
        "tool_calls",
        "tool_call_id",
        "function_call",
        "refusal",
    }
)
TEXT_PART_TYPES = frozenset({"text", "input_text", "output_text", "reasoning", "thinking"})
# LLaMA-Factory v1 writes parts as {"type", "value"}, tool calls as "tool_call" parts, per-message
# `loss_weight`, and pairs tool results with calls by position instead of by id.
LLAMAFACTORY_KEYS = frozenset({"loss_weight"})
MEDIA_PART_TYPES = frozenset({"image_url", "input_image", "input_audio", "file", "image", "audio"})
PART_KEYS = frozenset({"type", "text", "value", "image_url", "input_audio", "file", "detail"})


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


def _read_call_part(value: Any, field: str, reading: Reading) -> ToolCall | None:
    if not isinstance(value, str):
        reading.add("wrong-type", f"`{field}` must be a JSON string", field, value)
        return None
    try:
        decoded = orjson.loads(value)
    except orjson.JSONDecodeError as error:
        reading.add(
            "invalid-tool-arguments", f"`{field}` is not valid JSON ({error.msg})", field, value
        )
        return None
    if not isinstance(decoded, Mapping):
        reading.add("invalid-tool-arguments", f"`{field}` must encode an object", field, value)
        return None
    name = decoded.get("name") if isinstance(decoded.get("name"), str) else None
    arguments = decoded.get("arguments")
    return ToolCall(None, name, orjson.dumps(arguments).decode() if arguments is not None else None)


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


def _read_tool_calls(item: Mapping[str, Any], field: str, reading: Reading) -> tuple[ToolCall, ...]:
    calls: list[ToolCall] = []
    raw_calls = item.get("tool_calls")
    if raw_calls is not None and raw_calls != "":  # "" (MiniMind's files): no calls
        if not isinstance(raw_calls, list):
            reading.add(
                "wrong-type",
                f"`{field}.tool_calls` must be a list",
                f"{field}.tool_calls",
                raw_calls,
            )
        else:
            for index, call in enumerate(raw_calls):
                parsed = _read_tool_call(call, f"{field}.tool_calls[{index}]", reading)
                if parsed is not None:
                    calls.append(parsed)
    legacy = item.get("function_call")
    if legacy is not None:
        parsed = _read_function(legacy, f"{field}.function_call", reading)
        if parsed is not None:
            calls.append(ToolCall(None, parsed[0], parsed[1]))
    return tuple(calls)


def _read_tool_call(call: Any, field: str, reading: Reading) -> ToolCall | None:
    if not isinstance(call, Mapping):
        reading.add("wrong-type", f"`{field}` must be an object", field, call)
        return None
    call_id = call.get("id")
    if call_id is None:
        reading.add("missing-key", f"`{field}` has no `id`", f"{field}.id")
    elif not isinstance(call_id, str):
        reading.add("wrong-type", f"`{field}.id` must be a string", f"{field}.id", call_id)
        call_id = None
    function = call.get("function")
    if function is None:
        reading.add("missing-key", f"`{field}` has no `function`", f"{field}.function")
        return ToolCall(call_id, None, None)
    parsed = _read_function(function, f"{field}.function", reading)
    name, arguments = parsed if parsed is not None else (None, None)
    return ToolCall(call_id, name, arguments)


def _read_function(
    function: Any, field: str, reading: Reading
) -> tuple[str | None, str | None] | None:
    if not isinstance(function, Mapping):
        reading.add("wrong-type", f"`{field}` must be an object", field, function)
        return None
    name = function.get("name")
    if not isinstance(name, str) or not name:
        reading.add(
            "missing-key" if name is None else "wrong-type",
            f"`{field}.name` must be a non-empty string",
            f"{field}.name",
            name,
        )
        name = None
    arguments = function.get("arguments")
    if arguments is None:
        reading.add("missing-key", f"`{field}` has no `arguments`", f"{field}.arguments")
        return name, None
    if isinstance(arguments, (dict, list)):
        reading.add(
            "wrong-type",
            f"`{field}.arguments` must be a JSON-encoded string, not {type_name(arguments)}",
            f"{field}.arguments",
            arguments,
        )
        return name, orjson.dumps(arguments).decode()
    if not isinstance(arguments, str):
        reading.add(
            "wrong-type", f"`{field}.arguments` must be a string", f"{field}.arguments", arguments
        )
        return name, None
    try:
        decoded = orjson.loads(arguments)
    except orjson.JSONDecodeError as error:
        reading.add(
            "invalid-tool-arguments",
            f"`{field}.arguments` is not valid JSON ({error.msg})",
            f"{field}.arguments",
            arguments,
        )
        return name, arguments
    if not isinstance(decoded, dict):
        reading.add(
            "invalid-tool-arguments",
            f"`{field}.arguments` must encode a JSON object, not {type_name(decoded)}",
            f"{field}.arguments",
            arguments,
        )
    return name, arguments


def read_tools(value: Any, field: str, reading: Reading) -> tuple[str, ...] | None:
    """Names of declared tools (`tools` list, or a JSON string of it as LLaMA-Factory writes)."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = orjson.loads(value) if value.strip() else []
        except orjson.JSONDecodeError as error:
            reading.add(
                "wrong-type",
                f"`{field}` is a string but not valid JSON ({error.msg})",
                field,
                value,
            )
            return None
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, list):
        reading.add(
            "wrong-type", f"`{field}` must be a list of tools, not {type_name(value)}", field, value
        )
        return None
    names: list[str] = []
    for index, tool in enumerate(value):
        if not isinstance(tool, Mapping):
            reading.add(
                "wrong-type", f"`{field}[{index}]` must be an object", f"{field}[{index}]", tool
            )
            continue
        function = tool.get("function", tool)
        name = function.get("name") if isinstance(function, Mapping) else None
        if not isinstance(name, str) or not name:
            reading.add(
                "missing-key", f"`{field}[{index}]` declares no function name", f"{field}[{index}]"
            )
            continue
        names.append(name)
    return tuple(names)


def check_conversation(
    messages: list[Message], field: str, reading: Reading, *, need_assistant: bool = True
) -> None:
    """Turn order, weights and tool-call integrity of one conversation, in one pass."""
    if not messages:
        return
    has_assistant = False
    all_masked = True
    uses_tools = False
    started = False
    previous: Message | None = None
    for index, message in enumerate(messages):
        role = message.role
        if role == "assistant":
            has_assistant = True
            all_masked = all_masked and message.weight == 0
        if message.tool_calls or role == "tool":
            uses_tools = True
        if role in ("system", "developer"):
            if started:
                reading.add(
                    "system-message-not-first",
                    f"a `{role}` message at position {index}, after the conversation started",
                    message.field,
                )
        else:
            started = True
        if (
            previous is not None
            and role == previous.role
            and role in ("user", "assistant")
            and not previous.tool_calls
        ):
            reading.add("consecutive-same-role", f"two `{role}` messages in a row", message.field)
        previous = message
    if need_assistant:
        _check_training_signal(messages, field, reading, has_assistant, all_masked)
    if uses_tools:
        _check_tool_integrity(messages, reading)


def _check_training_signal(
    messages: list[Message], field: str, reading: Reading, has_assistant: bool, all_masked: bool
) -> None:
    if not has_assistant:
        reading.add("missing-assistant-message", "the conversation has no assistant message", field)
        return
    if messages[-1].role != "assistant":
        reading.add(
            "last-turn-not-assistant",
            f"the conversation ends on a `{messages[-1].role}` turn, which nothing learns from",
            messages[-1].field,
        )
    if all_masked:
        reading.add("nothing-to-learn", "every assistant message has weight 0", field)


def _check_tool_integrity(messages: list[Message], reading: Reading) -> None:
    calls: dict[str, Message] = {}
    answered: set[str] = set()
    last = len(messages) - 1
    final_calls: set[str] = set()
    for position, message in enumerate(messages):
        for call in message.tool_calls:
            if call.id is None:
                continue
            if call.id in calls:
                reading.add(
                    "duplicate-tool-call-id",
                    f"tool call id `{call.id}` is used more than once",
                    f"{message.field}.tool_calls",
                    call.id,
                )
            calls[call.id] = message
            if position == last:
                final_calls.add(call.id)
        if message.role == "tool" and message.tool_call_id is not None:
            if message.tool_call_id not in calls:
                reading.add(
                    "orphan-tool-message",
                    f"tool message answers `{message.tool_call_id}`, which no earlier "
                    "assistant message called",
                    f"{message.field}.tool_call_id",
                    message.tool_call_id,
                )
            answered.add(message.tool_call_id)
    for call_id, message in calls.items():
        if call_id not in answered and call_id not in final_calls:
            reading.add(
                "unanswered-tool-call",
                f"tool call `{call_id}` gets no tool message with its result",
                f"{message.field}.tool_calls",
                call_id,
            )


def check_declared_tools(
    messages: list[Message], tools: tuple[str, ...] | None, reading: Reading
) -> None:
    if not tools:
        return
    declared = set(tools)
    for message in messages:
        for index, call in enumerate(message.tool_calls):
            if call.name is not None and call.name not in declared:
                reading.add(
                    "undeclared-tool",
                    f"calls `{call.name}`, which is not among the declared tools",
                    f"{message.field}.tool_calls[{index}]",
                    call.name,
                )
