"""OpenAI chat fine-tuning format: `{"messages": [...], "tools": [...]}`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ftqa.formats.base import Column, Format, Normalized, Reading
from ftqa.formats.mapping import CONVERSATIONS_AS_MESSAGES, read_through
from ftqa.formats.messages import check_declared_tools, read_messages, read_tools
from ftqa.formats.schemas import MESSAGES, TOOLS, document


class ChatFormat(Format):
    name = "chat"
    title = "OpenAI chat messages"
    columns = (Column("messages", "list"),)
    allowed_keys = frozenset({"messages", "tools", "parallel_tool_calls", "functions"})

    def matches(self, obj: Mapping[str, Any]) -> bool:
        return "messages" in obj or holds_role_messages(obj.get("conversations"))

    def schema(self) -> dict[str, Any]:
        return document(
            self.name,
            self.title,
            "One conversation per example; assistant messages are what the model learns. "
            "`weight` 0 excludes an assistant message from training. `conversations` holding "
            "`role`/`content` messages (instead of ShareGPT's `from`/`value` turns) is read as "
            "`messages`, and the report says so.",
            {
                "type": "object",
                "required": ["messages"],
                "properties": {
                    "messages": MESSAGES,
                    "tools": TOOLS,
                    "parallel_tool_calls": {"type": "boolean"},
                    "functions": {"type": "array"},
                },
            },
        )

    def read(self, obj: Mapping[str, Any], reading: Reading) -> Normalized:
        if "messages" not in obj and "conversations" in obj:
            return read_through(CONVERSATIONS_AS_MESSAGES, self._read, obj, reading)
        return self._read(obj, reading)

    def _read(self, obj: Mapping[str, Any], reading: Reading) -> Normalized:
        self.read_columns(obj, reading)
        reading.unexpected_keys_in(obj, self.allowed_keys)
        tools = read_tools(obj.get("tools", obj.get("functions")), "tools", reading)
        raw_messages = obj.get("messages")
        # A non-list `messages` was already reported by the column-level checks.
        messages = (
            read_messages(raw_messages, "messages", reading)
            if isinstance(raw_messages, list)
            else []
        )
        check_declared_tools(messages, tools, reading)
        return Normalized(messages=messages, tools=tools)


def holds_role_messages(value: Any) -> bool:
    """A list whose first item is an OpenAI-style message (`role`/`content`), not a ShareGPT
    turn (`from`/`value`)."""
    if not isinstance(value, list) or not value or not isinstance(value[0], Mapping):
        return False
    first = value[0]
    return ("role" in first or "content" in first) and "from" not in first and "value" not in first
