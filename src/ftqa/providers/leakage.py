"""The `leakage` checker's per-row measures, for it and for the checkers that read them
(`constraints`):

- `SYSTEM_PROMPT`: the first system or developer message before the first user message; None
  for a row with no conversation, "" for a conversation without one. `SYSTEM_PROMPT_ID`: the
  `system_prompt` measure (the low 32 bits of its stable hash, in hex), None without one.
- `TEMPLATE_TOKENS`: the `template_tokens` measure, how many chat-template tokens the row's
  texts hold (turn labels aside; a separator of prompt/completion data is not one), matched by
  the vocabulary of the run's `leakage` options and target model, built once per process."""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any

from ftqa.providers import Provided, Provider
from ftqa.template_tokens.vocabulary import Vocabulary


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


def _vocabulary(provided: Provided) -> Vocabulary:
    run = provided.run
    options = run.options.get("leakage")
    if options is None:
        raise LookupError("template tokens need the `leakage` options in the run context")
    model = run.model or options.model
    # The run holds its options for its whole life, so their identity names them.
    key = ("leakage-vocabulary", id(options), model)
    return run.once(key, lambda: Vocabulary.build(options, model))


def _template_tokens(provided: Provided) -> int:
    record = provided.record
    vocabulary = _vocabulary(provided)
    find, tokens = vocabulary.matcher.find, 0
    raw = record.raw
    plain = (
        record.format == "completion"
        and isinstance(raw, Mapping)
        and isinstance(raw.get("prompt"), str)
        and isinstance(raw.get("completion"), str)
    )
    messages = record.messages
    if record.chosen or record.rejected:
        messages = messages + (record.chosen or []) + (record.rejected or [])
    for message in messages:
        if message.content:
            tokens += _counted(vocabulary, find(message.content), plain)
        for call in message.tool_calls:
            if call.arguments:
                tokens += _counted(vocabulary, find(call.arguments), False)
    if record.text:
        tokens += _counted(vocabulary, find(record.text), False)
    return tokens


def _counted(vocabulary: Vocabulary, hits: list[Any], plain: bool) -> int:
    count = 0
    for hit in hits:
        kind = vocabulary.info(hit[2]).kind
        count += kind != "label" and not (plain and kind == "separator")
    return count


TEMPLATE_TOKENS = Provider(
    "template_tokens", _template_tokens, "the `template_tokens` measure: template tokens in text"
)
