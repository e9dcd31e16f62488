"""Canonical records back to each layout's row: one function per layout, for `ftqa convert`.

`to_layout(record, name)` returns the row as that layout writes it, or raises `Unrepresentable`
with the reason when the record cannot be written there without losing something (tool calls
into Alpaca, a multi-turn conversation into prompt/completion, a conversation into plain text
with no template to render it): such rows go to the quarantine, never silently flattened.
Reading an exported row back gives the same messages (property-tested for the lossless pairs).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

from ftqa.records import Message, Record, ToolCall

SHAREGPT_TAGS = {"user": "human", "assistant": "gpt", "system": "system", "tool": "observation"}


class Unrepresentable(ValueError):
    """The record cannot be written in the target layout without loss; `str()` says why."""


def message_dicts(messages: list[Message]) -> list[dict[str, Any]]:
    """Messages as chat dicts. Layouts that pair calls and results by position (ShareGPT
    function_call/observation turns, content parts) give no ids: each call gets one unique in the
    conversation, and a tool result without an id answers the earliest call still unanswered,
    so the chat row pairs them as the source did."""
    taken = {call.id for m in messages for call in m.tool_calls or () if call.id}
    counter = 0
    unanswered: list[str] = []
    out = []
    for message in messages:
        ids: list[str] = []
        for call in message.tool_calls or ():
            call_id = call.id
            while not call_id:
                counter += 1
                candidate = f"call_{counter}"
                call_id = candidate if candidate not in taken else None
            ids.append(call_id)
            unanswered.append(call_id)
        answered = message.tool_call_id
        if message.role == "tool" and not answered and unanswered:
            answered = unanswered[0]
        if answered in unanswered:
            unanswered.remove(answered)
        out.append(message_dict(message, ids, answered))
    return out


def message_dict(
    message: Message, call_ids: list[str] | None = None, tool_call_id: str | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.name:
        out["name"] = message.name
    if message.weight is not None:
        out["weight"] = int(message.weight) if message.weight in (0, 1) else message.weight
    if message.tool_calls:
        out["tool_calls"] = [
            {
                "id": call_ids[index] if call_ids else (call.id or f"call_{index}"),
                "type": "function",
                "function": {"name": call.name or "", "arguments": call.arguments or "{}"},
            }
            for index, call in enumerate(message.tool_calls)
        ]
    if tool_call_id or message.tool_call_id:
        out["tool_call_id"] = tool_call_id or message.tool_call_id
    return out


def _conversation(record: Record) -> list[Message]:
    if record.chosen is not None or record.rejected is not None:
        raise Unrepresentable("a preference pair is not one conversation")
    if not record.messages:
        raise Unrepresentable("the record has no conversation")
    return record.messages


def _plain(messages: list[Message], what: str) -> None:
    for message in messages:
        if message.tool_calls or message.role == "tool":
            raise Unrepresentable(f"{what} has no place for tool calls or tool results")
        if message.weight is not None:
            raise Unrepresentable(f"{what} has no per-message weight")


def _single_turn(record: Record, what: str) -> tuple[str, str, str]:
    """(system, prompt, reply) of a one-exchange conversation."""
    messages = _conversation(record)
    _plain(messages, what)
    system = [m.content for m in messages if m.role in ("system", "developer")]
    rest = [m for m in messages if m.role not in ("system", "developer")]
    if len(system) > 1 or [m.role for m in rest] not in (["user", "assistant"], ["assistant"]):
        raise Unrepresentable(
            f"{what} holds one prompt and one reply (and at most one system message), not a "
            "conversation of several turns (no join rule is applied)"
        )
    prompt = rest[0].content if len(rest) == 2 else ""
    return (system[0] if system else ""), prompt, rest[-1].content


def to_chat(record: Record) -> dict[str, Any]:
    return {"messages": message_dicts(_conversation(record))}


def to_sharegpt(record: Record) -> dict[str, Any]:
    preference = record.chosen is not None or record.rejected is not None
    messages = record.messages if preference else _conversation(record)
    row: dict[str, Any] = {}
    turns = []
    for position, message in enumerate(messages):
        if message.role == "system" and position == 0:
            row["system"] = message.content
            continue
        if message.weight is not None:
            raise Unrepresentable("ShareGPT has no per-message weight")
        if message.tool_calls:
            if message.content.strip():
                raise Unrepresentable("a ShareGPT function_call turn cannot also hold text")
            for call in message.tool_calls:
                turns.append({"from": "function_call", "value": _function_call(call)})
            continue
        tag = SHAREGPT_TAGS.get(message.role)
        if tag is None or (tag == "system" and position):
            raise Unrepresentable(f"ShareGPT has no turn for a `{message.role}` message here")
        turns.append({"from": tag, "value": message.content})
    row["conversations"] = turns
    if preference:
        for side, replies in (("chosen", record.chosen), ("rejected", record.rejected)):
            if not replies or len(replies) != 1 or replies[0].tool_calls:
                raise Unrepresentable("a ShareGPT preference pair holds one reply per side")
            row[side] = {"from": "gpt", "value": replies[0].content}
    return row


def _function_call(call: ToolCall) -> str:
    """A ShareGPT function_call value: `{"name": ..., "arguments": {...}}` as JSON text, the
    arguments embedded as the JSON value they encode (not as a string holding JSON)."""
    try:
        arguments = orjson.loads(call.arguments or "{}")
    except orjson.JSONDecodeError:
        raise Unrepresentable(
            "a ShareGPT function_call holds its arguments as JSON; these are not valid JSON"
        ) from None
    return json.dumps({"name": call.name or "", "arguments": arguments}, ensure_ascii=False)


def to_alpaca(record: Record) -> dict[str, Any]:
    messages = _conversation(record)
    _plain(messages, "Alpaca")
    system = messages[0].content if messages[0].role == "system" else None
    rest = messages[1:] if system is not None else messages
    roles = [m.role for m in rest]
    if len(rest) < 2 or len(rest) % 2 or roles != ["user", "assistant"] * (len(rest) // 2):
        raise Unrepresentable("Alpaca needs alternating user/assistant turns ending on a reply")
    pairs = [[rest[i].content, rest[i + 1].content] for i in range(0, len(rest) - 2, 2)]
    row: dict[str, Any] = {"instruction": rest[-2].content, "input": "", "output": rest[-1].content}
    if system is not None:
        row["system"] = system
    if pairs:
        row["history"] = pairs
    return row


def to_completion(record: Record) -> dict[str, Any]:
    system, prompt, reply = _single_turn(record, "prompt/completion")
    if system:
        raise Unrepresentable("prompt/completion has no place for a system message")
    return {"prompt": prompt, "completion": reply}


def to_question_answer(record: Record) -> dict[str, Any]:
    system, prompt, reply = _single_turn(record, "question/answer")
    if system or not prompt:
        raise Unrepresentable("question/answer holds exactly a question and an answer")
    return {"question": prompt, "answer": reply}


def to_dolly(record: Record) -> dict[str, Any]:
    system, prompt, reply = _single_turn(record, "Dolly")
    if system or not prompt:
        raise Unrepresentable("Dolly holds exactly an instruction and a response")
    return {"instruction": prompt, "context": "", "response": reply}


def _pair(record: Record) -> tuple[list[Message], list[Message], list[Message]]:
    if record.chosen is None or record.rejected is None:
        raise Unrepresentable("the record is not a preference pair")
    return record.messages, record.chosen, record.rejected


def to_preference(record: Record) -> dict[str, Any]:
    prompt, chosen, rejected = _pair(record)
    return {
        "prompt": message_dicts(prompt),
        "chosen": message_dicts(prompt + chosen)[len(prompt) :],
        "rejected": message_dicts(prompt + rejected)[len(prompt) :],
    }


def to_openai_preference(record: Record) -> dict[str, Any]:
    prompt, chosen, rejected = _pair(record)
    if len(chosen) != 1 or len(rejected) != 1:
        raise Unrepresentable("OpenAI preference data holds exactly one message per response")
    return {
        "input": {"messages": message_dicts(prompt)},
        "preferred_output": message_dicts(prompt + chosen)[len(prompt) :],
        "non_preferred_output": message_dicts(prompt + rejected)[len(prompt) :],
    }


def to_hh_rlhf(record: Record) -> dict[str, Any]:
    prompt, chosen, rejected = _pair(record)
    _plain([*prompt, *chosen, *rejected], "an HH-RLHF transcript")
    labels = {"user": "Human", "assistant": "Assistant"}

    def transcript(messages: list[Message]) -> str:
        if any(m.role not in labels for m in messages):
            raise Unrepresentable("an HH-RLHF transcript holds only Human and Assistant turns")
        return "".join(f"\n\n{labels[m.role]}: {m.content}" for m in messages)

    return {"chosen": transcript(prompt + chosen), "rejected": transcript(prompt + rejected)}


def to_kto(record: Record) -> dict[str, Any]:
    if record.label not in ("true", "false"):
        raise Unrepresentable("KTO needs a desirable/undesirable label (true or false)")
    messages = _conversation(record)
    if messages[-1].role != "assistant":
        raise Unrepresentable("the conversation does not end on the completion being judged")
    return {
        "prompt": message_dicts(messages)[:-1],
        "completion": message_dicts(messages)[-1:],
        "label": record.label == "true",
    }


def to_classification(record: Record) -> dict[str, Any]:
    if record.text is None or record.label is None or record.messages:
        raise Unrepresentable("classification needs a text and a label")
    return {"text": record.text, "label": record.label}


def to_text(record: Record) -> dict[str, Any]:
    if record.text is None or record.label is not None:
        raise Unrepresentable(
            "plain text needs the text itself (rendering a conversation takes a template)"
        )
    return {"text": record.text}


def to_trl(record: Record) -> dict[str, Any]:
    """TRL's conversational layouts: a preference pair as prompt/chosen/rejected message lists,
    a labelled completion as KTO, any other conversation ending on a reply as prompt/completion
    message lists (the prompt keeps every earlier turn)."""
    if record.chosen is not None or record.rejected is not None:
        return to_preference(record)
    if record.label in ("true", "false"):
        return to_kto(record)
    messages = _conversation(record)
    if messages[-1].role != "assistant":
        raise Unrepresentable("the conversation does not end on a reply to learn")
    dicts = message_dicts(messages)
    return {"prompt": dicts[:-1], "completion": dicts[-1:]}


# The layouts a row written by each exporter reads back as (TRL's names its three shapes).
READS_AS: dict[str, frozenset[str]] = {"trl": frozenset({"preference", "kto", "completion"})}

EXPORTERS: dict[str, Callable[[Record], dict[str, Any]]] = {
    "chat": to_chat,
    "sharegpt": to_sharegpt,
    "alpaca": to_alpaca,
    "completion": to_completion,
    "question_answer": to_question_answer,
    "dolly": to_dolly,
    "preference": to_preference,
    "openai_preference": to_openai_preference,
    "hh_rlhf": to_hh_rlhf,
    "kto": to_kto,
    "classification": to_classification,
    "text": to_text,
    "trl": to_trl,
}


def to_layout(record: Record, name: str) -> dict[str, Any]:
    return EXPORTERS[name](record)
