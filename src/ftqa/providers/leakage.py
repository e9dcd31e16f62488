"""The row's system prompt as the `leakage` checker keys it, for the checkers that read its
`system_prompt` measure (`constraints`): the first system or developer message before the first
user message, its stable hash, and the measure (the hash's low 32 bits in hex).

`SYSTEM_PROMPT` is None for a row with no conversation (NOT_CHAT in the checker's arrays) and
"" for a conversation with no system prompt before its first user turn."""

from __future__ import annotations

import zlib

from ftqa.providers import Provided, Provider


def stable_hash(text: str) -> int:
    """A 64-bit key of a text that is the same in every process: CRC-32 and the length."""
    return zlib.crc32(text.encode("utf-8", "surrogatepass")) | (min(len(text), 0x7FFF) << 32)


def _system_prompt(provided: Provided) -> str | None:
    messages = provided.record.messages
    if not messages:
        return None
    for message in messages:
        role = message.role
        if role == "system" or role == "developer":
            return message.content
        if role == "user":
            break
    return ""


def _system_prompt_id(provided: Provided) -> str | None:
    system = provided.get(SYSTEM_PROMPT)
    return f"{stable_hash(system) & 0xFFFFFFFF:08x}" if system else None


SYSTEM_PROMPT = Provider(
    "system_prompt", _system_prompt, "the first system prompt before the first user turn"
)
SYSTEM_PROMPT_ID = Provider(
    "system_prompt_id", _system_prompt_id, "the `system_prompt` measure: 8 hex digits, or None"
)
