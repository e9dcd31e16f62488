"""Question / answer pairs (`question`, `answer`), as in grade-school-math (GSM8K)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ftqa.formats.base import Column, Format, Normalized, Reading
from ftqa.formats.schemas import NONEMPTY_TEXT, document
from ftqa.records import Message


class QuestionAnswerFormat(Format):
    name = "question_answer"
    title = "Question / answer"
    columns = (Column("question", "text"), Column("answer", "text"))
    allowed_keys = frozenset({"question", "answer"})

    def matches(self, obj: Mapping[str, Any]) -> bool:
        return "question" in obj and "answer" in obj

    def schema(self) -> dict[str, Any]:
        return document(
            self.name,
            self.title,
            "A question (the user turn) and the answer the model learns to give.",
            {
                "type": "object",
                "required": ["question", "answer"],
                "properties": {"question": NONEMPTY_TEXT, "answer": NONEMPTY_TEXT},
            },
        )

    def read(self, obj: Mapping[str, Any], reading: Reading) -> Normalized:
        self.read_columns(obj, reading)
        reading.unexpected_keys_in(obj, self.allowed_keys)
        question = reading.column_text(obj.get("question"), "question")
        answer = reading.column_text(obj.get("answer"), "answer")
        return Normalized(
            messages=[Message("user", question, "question"), Message("assistant", answer, "answer")]
        )
