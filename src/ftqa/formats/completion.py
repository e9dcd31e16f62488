"""Legacy prompt/completion format, also TRL's conversational prompt/completion."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ftqa.formats.base import Column, Format, Normalized, Reading
from ftqa.formats.messages import read_messages
from ftqa.formats.schemas import MESSAGES, document
from ftqa.records import Message


class CompletionFormat(Format):
    name = "completion"
    title = "Prompt / completion"
    columns = (
        Column("prompt", "text", nonempty=False),
        Column("completion", "text"),
    )
    allowed_keys = frozenset({"prompt", "completion"})

    def matches(self, obj: Mapping[str, Any]) -> bool:
        return "prompt" in obj and "completion" in obj and "chosen" not in obj

    def schema(self) -> dict[str, Any]:
        return document(
            self.name,
            self.title,
            "A prompt (which may be empty) and the completion the model learns to write. "
            "Both may instead be message lists (TRL's conversational form).",
            {
                "type": "object",
                "required": ["prompt", "completion"],
                "properties": {
                    "prompt": {"anyOf": [{"type": "string"}, MESSAGES]},
                    "completion": {"anyOf": [{"type": "string", "pattern": r"\S"}, MESSAGES]},
                },
            },
        )

    def read_columns(self, obj: Mapping[str, Any], reading: Reading) -> None:
        conversational = isinstance(obj.get("prompt"), list) or isinstance(
            obj.get("completion"), list
        )
        if not conversational:
            super().read_columns(obj, reading)

    def read(self, obj: Mapping[str, Any], reading: Reading) -> Normalized:
        self.read_columns(obj, reading)
        reading.unexpected_keys_in(obj, self.allowed_keys)
        return Normalized(messages=read_prompt_completion(obj, reading))


def read_prompt_completion(obj: Mapping[str, Any], reading: Reading) -> list[Message]:
    """The prompt and completion as messages: strings, or TRL's conversational message lists."""
    prompt, completion = obj.get("prompt"), obj.get("completion")
    if isinstance(prompt, list) or isinstance(completion, list):
        before = (
            read_messages(prompt, "prompt", reading, need_assistant=False)
            if isinstance(prompt, list)
            else _text_turn("user", prompt, "prompt", reading)
        )
        after = (
            read_messages(completion, "completion", reading)
            if isinstance(completion, list)
            else _text_turn("assistant", completion, "completion", reading)
        )
        return before + after
    messages = []
    prompt_text = reading.column_text(prompt, "prompt")
    if prompt_text:
        messages.append(Message("user", prompt_text, "prompt"))
    messages.append(
        Message("assistant", reading.column_text(completion, "completion"), "completion")
    )
    return messages


def _text_turn(role: str, value: Any, field: str, reading: Reading) -> list[Message]:
    text = reading.text(value, field, nonempty=role == "assistant")
    return [Message(role, text, field)] if text or role == "assistant" else []
