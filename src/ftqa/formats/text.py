"""Plain text, `{"text": ...}`: language-modelling data (mlx-lm LoRA data, TRL's
`dataset_text_field`, continued pre-training). When the text was already rendered with a chat
template, the template family is recorded and the text is split into turns, so the conversation
checks apply to it (see `ftqa.formats.rendered`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ftqa.formats.base import Column, Format, Normalized, Reading
from ftqa.formats.messages import check_conversation
from ftqa.formats.rendered import FAMILIES, parse_rendered
from ftqa.formats.schemas import NONEMPTY_TEXT, document
from ftqa.records import Message


class TextFormat(Format):
    name = "text"
    title = "Plain text (language modelling, or text rendered with a chat template)"
    columns = (Column("text", "text"),)
    allowed_keys = frozenset({"text"})

    def matches(self, obj: Mapping[str, Any]) -> bool:
        return "text" in obj and "label" not in obj

    def schema(self) -> dict[str, Any]:
        return document(
            self.name,
            self.title,
            "One text per example; the model learns every token of it. Other keys (ids, URLs, "
            "metadata) are ignored, as trainers that read one text column ignore them. A text "
            "already rendered with a chat template (" + ", ".join(FAMILIES) + ") is split into "
            "its turns for the conversation checks.",
            {"type": "object", "required": ["text"], "properties": {"text": NONEMPTY_TEXT}},
        )

    def read(self, obj: Mapping[str, Any], reading: Reading) -> Normalized:
        self.read_columns(obj, reading)
        text = reading.column_text(obj.get("text"), "text")
        rendered = parse_rendered(text) if text else None
        if rendered is None:
            return Normalized(text=text)
        messages = [Message(role, content, "text") for role, content in rendered.turns]
        for position, message in enumerate(messages, start=1):
            if not message.content and message.role == "assistant":
                reading.add(
                    "empty-content",
                    f"turn {position} ({message.role}) of the {rendered.family} text is empty",
                    "text",
                )
        check_conversation(messages, "text", reading)
        return Normalized(text=text, messages=messages, template=rendered.family)
