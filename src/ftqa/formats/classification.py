"""Text classification: `{"text": ..., "label": ...}`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ftqa.formats.base import Column, Format, Normalized, Reading
from ftqa.formats.mapping import SENTENCE_AS_TEXT, read_through
from ftqa.formats.schemas import NONEMPTY_TEXT, document


class ClassificationFormat(Format):
    name = "classification"
    title = "Text classification"
    columns = (Column("text", "text"), Column("label", "label"))
    # `idx` is the row index GLUE-style datasets (SST-2, CoLA, …) carry.
    allowed_keys = frozenset({"text", "label", "idx"})

    def matches(self, obj: Mapping[str, Any]) -> bool:
        return ("text" in obj or "sentence" in obj) and "label" in obj

    def schema(self) -> dict[str, Any]:
        return document(
            self.name,
            self.title,
            "A text and its label (a string, number or boolean). GLUE-style `sentence` is read "
            "as `text`, and the report says so.",
            {
                "type": "object",
                "required": ["text", "label"],
                "properties": {
                    "text": NONEMPTY_TEXT,
                    "label": {"anyOf": [NONEMPTY_TEXT, {"type": "number"}, {"type": "boolean"}]},
                },
            },
        )

    def read(self, obj: Mapping[str, Any], reading: Reading) -> Normalized:
        if "text" not in obj and "sentence" in obj:
            return read_through(SENTENCE_AS_TEXT, self._read, obj, reading)
        return self._read(obj, reading)

    def _read(self, obj: Mapping[str, Any], reading: Reading) -> Normalized:
        self.read_columns(obj, reading)
        reading.unexpected_keys_in(obj, self.allowed_keys)
        text = reading.column_text(obj.get("text"), "text")
        label = obj.get("label")
        shown = None if label is None or isinstance(label, (list, dict)) else str(label)
        return Normalized(text=text, label=shown)
