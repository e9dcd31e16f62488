"""Dolly: `instruction`, optional `context`, `response`, optional `category`
(databricks-dolly-15k and the many datasets written after it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ftqa.formats.base import Column, Format, Normalized, Reading
from ftqa.formats.schemas import NONEMPTY_TEXT, document
from ftqa.records import Message


class DollyFormat(Format):
    name = "dolly"
    title = "Dolly instruction / context / response"
    columns = (
        Column("instruction", "text"),
        Column("context", "text", required=False, nonempty=False),
        Column("response", "text"),
        Column("category", "text", required=False, nonempty=False),
    )
    allowed_keys = frozenset({"instruction", "context", "response", "category"})

    def matches(self, obj: Mapping[str, Any]) -> bool:
        return "instruction" in obj and "response" in obj and "output" not in obj

    def schema(self) -> dict[str, Any]:
        return document(
            self.name,
            self.title,
            "An instruction, optional reference text (`context`) the answer may draw on, the "
            "response the model learns, and an optional task `category`.",
            {
                "type": "object",
                "required": ["instruction", "response"],
                "properties": {
                    "instruction": NONEMPTY_TEXT,
                    "context": {"type": "string"},
                    "response": NONEMPTY_TEXT,
                    "category": {"type": "string"},
                },
            },
        )

    def read(self, obj: Mapping[str, Any], reading: Reading) -> Normalized:
        self.read_columns(obj, reading)
        reading.unexpected_keys_in(obj, self.allowed_keys)
        instruction = reading.column_text(obj.get("instruction"), "instruction")
        context = reading.column_text(obj.get("context"), "context")
        prompt = f"{instruction}\n\n{context}" if context.strip() else instruction
        response = reading.column_text(obj.get("response"), "response")
        return Normalized(
            messages=[
                Message("user", prompt, "instruction"),
                Message("assistant", response, "response"),
            ]
        )
