"""Anthropic HH-RLHF: `chosen` and `rejected` are whole transcripts of `\\n\\nHuman:` /
`\\n\\nAssistant:` turns that share every turn but the final reply. The shared turns are the
prompt; only the two final replies are compared."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ftqa.formats.base import Column, Format, Normalized, Reading
from ftqa.formats.rendered import Turn, split_human_assistant
from ftqa.formats.schemas import document
from ftqa.records import Message

TRANSCRIPT = {
    "type": "string",
    "pattern": r"^\s*Human:|^\n\nHuman:",
    "description": "Turns introduced by `\\n\\nHuman:` and `\\n\\nAssistant:`.",
}


def is_transcript(value: Any) -> bool:
    return (
        isinstance(value, str)
        and value.lstrip(" \n").startswith("Human:")
        and "\n\nAssistant:" in value
    )


class HHRLHFFormat(Format):
    name = "hh_rlhf"
    title = "HH-RLHF transcripts (chosen / rejected)"
    columns = (Column("chosen", "text"), Column("rejected", "text"))
    allowed_keys = frozenset({"chosen", "rejected"})

    def matches(self, obj: Mapping[str, Any]) -> bool:
        return "prompt" not in obj and is_transcript(obj.get("chosen"))

    def schema(self) -> dict[str, Any]:
        return document(
            self.name,
            self.title,
            "Two whole conversations that share every turn but the last: the shared turns are "
            "the prompt, the final Assistant reply of `chosen` is preferred to that of "
            "`rejected`.",
            {
                "type": "object",
                "required": ["chosen", "rejected"],
                "properties": {"chosen": TRANSCRIPT, "rejected": TRANSCRIPT},
            },
        )

    def read(self, obj: Mapping[str, Any], reading: Reading) -> Normalized:
        self.read_columns(obj, reading)
        reading.unexpected_keys_in(obj, self.allowed_keys)
        chosen = _turns(obj.get("chosen"), "chosen", reading)
        rejected = _turns(obj.get("rejected"), "rejected", reading)
        if not chosen or not rejected:
            return Normalized(messages=[], chosen=[], rejected=[])
        shared = 0
        while shared < min(len(chosen), len(rejected)) - 1 and chosen[shared] == rejected[shared]:
            shared += 1
        if shared < len(chosen) - 1 or shared < len(rejected) - 1:
            reading.add(
                "unpaired-turns",
                f"`chosen` and `rejected` differ before their final replies (from turn "
                f"{shared + 1}): only the last Assistant reply should differ",
                "rejected",
            )
        prompt = [Message(role, content, "chosen") for role, content in chosen[:shared]]
        ends = []
        for field, turns in (("chosen", chosen), ("rejected", rejected)):
            role, content = turns[-1]
            if role != "assistant":
                reading.add(
                    "last-turn-not-assistant",
                    f"`{field}` ends on a Human turn, not on the Assistant reply being compared",
                    field,
                )
            elif not content:
                reading.add("empty-content", f"the final reply of `{field}` is empty", field)
            ends.append([Message(role, content, field) for role, content in turns[shared:]])
        if (
            ends[0]
            and ends[1]
            and ends[0][-1].content == ends[1][-1].content
            and ends[0][-1].content
        ):
            reading.add(
                "identical-preference-pair",
                "`chosen` and `rejected` end on the same reply",
                "chosen",
                ends[0][-1].content,
            )
        return Normalized(messages=prompt, chosen=ends[0], rejected=ends[1])


def _turns(value: Any, field: str, reading: Reading) -> list[Turn]:
    if not isinstance(value, str):
        return []
    if not is_transcript(value):
        reading.add(
            "wrong-type",
            f"`{field}` is not a Human/Assistant transcript like `chosen`",
            field,
            value,
        )
        return []
    return split_human_assistant(value)
