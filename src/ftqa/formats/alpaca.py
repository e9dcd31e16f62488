"""Alpaca instruction format: `instruction`, optional `input`, `output`, `system`, `history`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ftqa.formats.base import Column, Format, Normalized, Reading, type_name
from ftqa.formats.schemas import NONEMPTY_TEXT, document
from ftqa.records import Message


class AlpacaFormat(Format):
    name = "alpaca"
    title = "Alpaca instruction / input / output"
    columns = (
        Column("instruction", "text"),
        Column("input", "text", required=False, nonempty=False),
        Column("output", "text"),
        Column("system", "text", required=False, nonempty=False),
    )
    # `text`: the prompt already rendered from the other columns (tatsu-lab/alpaca carries it).
    allowed_keys = frozenset({"instruction", "input", "output", "system", "history", "text"})

    def matches(self, obj: Mapping[str, Any]) -> bool:
        return "instruction" in obj and ("output" in obj or "input" in obj)

    def schema(self) -> dict[str, Any]:
        return document(
            self.name,
            self.title,
            "An instruction, optional input appended to it, and the output the model learns. "
            "`history` holds earlier [instruction, output] pairs.",
            {
                "type": "object",
                "required": ["instruction", "output"],
                "properties": {
                    "instruction": NONEMPTY_TEXT,
                    "input": {"type": "string"},
                    "output": NONEMPTY_TEXT,
                    "system": {"type": "string"},
                    "history": {
                        "type": "array",
                        "items": {
                            "type": "array",
                            "prefixItems": [{"type": "string"}, {"type": "string"}],
                            "minItems": 2,
                            "maxItems": 2,
                        },
                    },
                },
            },
        )

    def read(self, obj: Mapping[str, Any], reading: Reading) -> Normalized:
        self.read_columns(obj, reading)
        reading.unexpected_keys_in(obj, self.allowed_keys)
        messages: list[Message] = []
        system = reading.column_text(obj.get("system"), "system")
        if system.strip():
            messages.append(Message("system", system, "system"))
        messages.extend(_history(obj.get("history"), reading))
        instruction = reading.column_text(obj.get("instruction"), "instruction")
        extra = reading.column_text(obj.get("input"), "input")
        prompt = f"{instruction}\n\n{extra}" if extra.strip() else instruction
        messages.append(Message("user", prompt, "instruction"))
        messages.append(
            Message("assistant", reading.column_text(obj.get("output"), "output"), "output")
        )
        return Normalized(messages=messages)


def _history(value: Any, reading: Reading) -> list[Message]:
    if value is None:
        return []
    if not isinstance(value, list):
        reading.add(
            "wrong-type",
            f"`history` must be a list of pairs, not {type_name(value)}",
            "history",
            value,
        )
        return []
    messages: list[Message] = []
    for index, pair in enumerate(value):
        field = f"history[{index}]"
        if not (isinstance(pair, list) and len(pair) == 2):
            reading.add(
                "wrong-type", f"`{field}` must be an [instruction, output] pair", field, pair
            )
            continue
        messages.append(Message("user", reading.text(pair[0], f"{field}[0]"), f"{field}[0]"))
        messages.append(Message("assistant", reading.text(pair[1], f"{field}[1]"), f"{field}[1]"))
    return messages
