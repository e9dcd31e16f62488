"""Tool calls (`tool_calls`, legacy `function_call`, LLaMA-Factory's `tool_call` parts) and the
declared tools of a row."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from ftqa.formats.base import Reading, type_name
from ftqa.records import ToolCall


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
