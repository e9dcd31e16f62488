"""Counting a row through a local model folder's chat template (`--model PATH`).

The row is rendered as the trainer renders it (`ftqa.tokens.hf_model`): conversations through the
chat template, plain prompt/completion pairs and plain text as TRL tokenizes them (the
tokenizer's special tokens plus EOS), classification rows as their text and label.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from ftqa.records import Message, Record
from ftqa.tokens.hf_model import LocalModel, TemplateError
from ftqa.tokens.rows import RowCounts, Segment, declared_tools, uses_chat_framing


def count_with_template(model: LocalModel, record: Record) -> RowCounts:
    """Counts of `record`; raises `TemplateError` when the template refuses the example."""
    per_message = [model.count(m.content) if m.content else 0 for m in record.messages]
    chosen = rejected = None
    if record.format == "classification":
        prompt = model.count(record.text or "")
        reply = model.count(record.label or "")
        total = prompt + reply
    elif record.format == "text":
        total = reply = model.count_text(record.text or "")
        prompt = 0
    elif record.chosen is not None or record.rejected is not None:
        tools = _tools(record.raw)
        conversation = _conversation(record.messages)
        prompt = (
            len(model.render(conversation, tools, generation_prompt=True)[0]) if conversation else 0
        )
        sides = [
            len(model.render(conversation + _conversation(side or []), tools)[0])
            for side in (record.chosen, record.rejected)
        ]
        chosen, rejected = sides[0] - prompt, sides[1] - prompt
        total = max(sides)
        reply = total - prompt
    elif not uses_chat_framing(record):
        prompt_text = next((m.content for m in record.messages if m.field == "prompt"), "")
        reply_text = next((m.content for m in record.messages if m.field == "completion"), "")
        total = model.count_text(prompt_text + reply_text)
        prompt = len(model.tokenizer(prompt_text)["input_ids"]) if prompt_text else 0
        reply = total - prompt
    else:
        total, reply = model.count_conversation(_conversation(record.messages), _tools(record.raw))
        prompt = total - reply
    segments: list[Segment] = [("prompt", "prompt", 0, prompt, False)]
    segments.append(("reply", "assistant", 0, reply, True))
    return RowCounts(total, reply, segments, per_message, chosen, rejected, 0)


def _conversation(messages: list[Message]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for message in messages:
        entry: dict[str, Any] = {"role": message.role, "content": message.content}
        if message.tool_calls:
            entry["tool_calls"] = [
                {
                    "type": "function",
                    **({"id": call.id} if call.id else {}),
                    "function": {"name": call.name or "", "arguments": _arguments(call.arguments)},
                }
                for call in message.tool_calls
            ]
        if message.tool_call_id:
            entry["tool_call_id"] = message.tool_call_id
        if message.name:
            entry["name"] = message.name
        out.append(entry)
    return out


def _arguments(text: str | None) -> Any:
    if not text:
        return {}
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text


def _tools(raw: Any) -> list[dict[str, Any]] | None:
    found = declared_tools(raw)
    declared = found.get("tools") if found else None
    if isinstance(declared, str):
        try:
            declared = orjson.loads(declared)
        except orjson.JSONDecodeError:
            return None
    if isinstance(declared, Mapping):
        declared = [declared]
    if not isinstance(declared, list):
        return None
    return [tool for tool in declared if isinstance(tool, dict)] or None


__all__ = ["TemplateError", "count_with_template"]
