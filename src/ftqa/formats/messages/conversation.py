"""Conversation-level rules: turn order, training signal, tool-call integrity, declared tools."""

from __future__ import annotations

from ftqa.formats.base import Reading
from ftqa.records import Message


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
