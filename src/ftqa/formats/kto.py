"""Unpaired preference (KTO): one completion and a boolean `label` saying whether it is
desirable. TRL's form is `prompt`/`completion`/`label` (strings or message lists);
LLaMA-Factory's is `messages` with a boolean `label`, the last assistant turn being judged."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ftqa.formats.base import Column, Format, Normalized, Reading, type_name
from ftqa.formats.completion import read_prompt_completion
from ftqa.formats.messages import read_messages
from ftqa.formats.schemas import MESSAGES, document


class KTOFormat(Format):
    name = "kto"
    title = "Unpaired preference (KTO: prompt / completion / label)"
    columns = (
        Column("prompt", "text", required=False, nonempty=False),
        Column("completion", "text", required=False),
        Column("label", "label"),
    )
    allowed_keys = frozenset({"prompt", "completion", "label", "messages"})

    def matches(self, obj: Mapping[str, Any]) -> bool:
        if "label" not in obj:
            return False
        if "prompt" in obj and "completion" in obj:
            return True
        return "messages" in obj and isinstance(obj.get("label"), bool)

    def schema(self) -> dict[str, Any]:
        either = {"anyOf": [{"type": "string"}, MESSAGES]}
        return document(
            self.name,
            self.title,
            "A prompt, one completion and whether that completion is desirable (`label` true) "
            "or undesirable (false), as TRL's KTOTrainer reads it. LLaMA-Factory writes the "
            "conversation as `messages` instead of prompt/completion.",
            {
                "type": "object",
                "required": ["label"],
                "properties": {
                    "prompt": either,
                    "completion": either,
                    "messages": MESSAGES,
                    "label": {"type": "boolean"},
                },
                "anyOf": [{"required": ["prompt", "completion"]}, {"required": ["messages"]}],
            },
        )

    def read(self, obj: Mapping[str, Any], reading: Reading) -> Normalized:
        reading.unexpected_keys_in(obj, self.allowed_keys)
        if "messages" in obj and "completion" not in obj:
            messages = read_messages(obj.get("messages"), "messages", reading)
        else:
            for key in ("prompt", "completion"):
                value = obj.get(key)
                if isinstance(value, list):
                    continue
                if not isinstance(value, str):
                    reading.add(
                        "wrong-type",
                        f"`{key}` must be a string or a list of messages, not {type_name(value)}",
                        key,
                        value,
                    )
                elif key == "completion" and not value.strip():
                    reading.add("empty-content", "`completion` is empty or whitespace only", key)
            messages = read_prompt_completion(obj, reading)
        label = obj.get("label")
        if not isinstance(label, bool):
            reading.add(
                "wrong-type",
                f"`label` must be true or false (is the completion desirable?), not "
                f"{type_name(label)}",
                "label",
                label,
            )
        shown = None if not isinstance(label, bool) else str(label).lower()
        return Normalized(messages=messages, label=shown)
