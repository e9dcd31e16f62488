"""Counting one row's tokens for the `token_length` checker: content with the profile's
tokenizer, chat framing from the profile, and where truncation would cut.

A row becomes a list of segments, one per contiguous part of its token sequence (framing first,
then content), so the checker can say what truncation removes and what trainable tokens remain.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from ftqa.records import Message, Record
from ftqa.tokens import Profile, TiktokenTokenizer

# Strings repeated across rows (system prompts, tool definitions) are counted once each, up to
# this many distinct strings of at most MEMO_MAX_CHARS characters.
MEMO_SIZE = 4096
MEMO_MAX_CHARS = 32_768
MEMO_ROLES = frozenset({"system", "developer"})

# One contiguous part of an example's token sequence, framing first, then content:
# (field, role, framing tokens, content tokens, trainable).
Segment = tuple[str, str, int, int, bool]
FIELD, ROLE, FRAMING, CONTENT, TRAINABLE = range(5)


@dataclass(slots=True)
class RowCounts:
    total: int
    trainable: int
    segments: list[Segment]
    per_message: list[int]
    chosen: int | None
    rejected: int | None
    tools: int


class RowCounter:
    """Counts one row under one profile: content with the tokenizer, framing from the profile.

    This is the hot path (one call per string of the dataset), so it avoids per-message
    objects and calls `encode_ordinary` directly when the tokenizer is a tiktoken encoding.
    """

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        tokenizer = profile.tokenizer
        self.encode: Callable[[str], list[int]] | None = (
            tokenizer.encoder() if isinstance(tokenizer, TiktokenTokenizer) else None
        )
        self.counter: Callable[[str], int] = tokenizer.count
        self.memo: dict[str, int] = {}
        self.roles: dict[str, int] = {}
        self.per_message = profile.tokens_per_message
        self.per_name = profile.tokens_per_name
        self.name = profile.name
        self.exact = tokenizer.exact

    def count(self, text: str) -> int:
        encode = self.encode
        return len(encode(text)) if encode is not None else self.counter(text)

    def memo_count(self, text: str) -> int:
        tokens = self.memo.get(text)
        if tokens is None:
            tokens = self.count(text)
            if len(self.memo) < MEMO_SIZE and len(text) <= MEMO_MAX_CHARS:
                self.memo[text] = tokens
        return tokens

    def messages(
        self, messages: list[Message], framed: bool, preference: bool, out: list[Segment]
    ) -> list[int]:
        """Append one segment per message to `out`; return each message's content tokens."""
        encode = self.encode
        counter = self.counter
        roles = self.roles
        contents: list[int] = []
        for message in messages:
            text = message.content
            role = message.role
            if not text:
                content = 0
            elif role in MEMO_ROLES:
                content = self.memo_count(text)
            elif encode is not None:
                content = len(encode(text))
            else:
                content = counter(text)
            if message.tool_calls:
                for call in message.tool_calls:
                    if call.name:
                        content += self.count(call.name)
                    if call.arguments:
                        content += self.count(call.arguments)
            framing = 0
            if framed:
                role_tokens = roles.get(role)
                if role_tokens is None:
                    role_tokens = roles[role] = self.count(role)
                framing = self.per_message + role_tokens
                if message.name:
                    framing += self.per_name + self.count(message.name)
            trainable = role == "assistant" and (preference or message.weight != 0)
            out.append((message.field, role, framing, content, trainable))
            contents.append(content)
        return contents

    def row(self, record: Record) -> RowCounts:
        segments: list[Segment] = []
        per_message: list[int] = []
        tools = self.tools(record.raw)
        if tools:
            segments.append(("tools", "tools", 0, tools, False))
        chosen = rejected = None
        if record.format == "classification":
            text = record.text or ""
            label = record.label or ""
            segments.append(("text", "user", 0, self.count(text) if text else 0, False))
            segments.append(("label", "assistant", 0, self.count(label) if label else 0, True))
        elif record.format == "text":
            # Language modelling: every token of the text is trained on, as written (a text
            # rendered with a chat template already holds its framing).
            text = record.text or ""
            segments.append(("text", "text", 0, self.count(text) if text else 0, True))
        else:
            framed = uses_chat_framing(record)
            if record.chosen is not None or record.rejected is not None:
                prompt: list[Segment] = []
                per_message = self.messages(record.messages, framed, False, prompt)
                for segment in prompt:  # a preference prompt is never trained on
                    segments.append((*segment[:TRAINABLE], False))
                sides: list[list[Segment]] = [[], []]
                chosen = sum(self.messages(record.chosen or [], framed, True, sides[0]))
                rejected = sum(self.messages(record.rejected or [], framed, True, sides[1]))
                longer = segments_size(sides[0]) >= segments_size(sides[1])
                segments.extend(sides[0] if longer else sides[1])
            else:
                per_message = self.messages(record.messages, framed, False, segments)
            priming = self.profile.reply_priming
            if framed and priming:
                segments.append(("reply priming", "assistant", priming, 0, False))
        total = trainable = 0
        for segment in segments:
            total += segment[FRAMING] + segment[CONTENT]
            if segment[TRAINABLE]:
                trainable += segment[CONTENT]
        return RowCounts(total, trainable, segments, per_message, chosen, rejected, tools)

    def tools(self, raw: Any) -> int:
        if not isinstance(raw, Mapping):
            return 0
        declared = raw.get("tools", raw.get("functions"))
        if declared is None:
            source = raw.get("input")
            if isinstance(source, Mapping):
                declared = source.get("tools")
        if not declared:
            return 0
        if isinstance(declared, str):
            return self.memo_count(declared)
        try:
            text = orjson.dumps(declared, option=orjson.OPT_SORT_KEYS).decode()
        except (TypeError, orjson.JSONEncodeError):
            return 0
        return self.memo_count(text)


def declared_tools(raw: Any) -> dict[str, Any] | None:
    """Only the tool definitions of a row (what `RowCounter.tools` reads), for the sample."""
    if not isinstance(raw, Mapping):
        return None
    declared = raw.get("tools", raw.get("functions"))
    if declared is None and isinstance(raw.get("input"), Mapping):
        declared = raw["input"].get("tools")
    return {"tools": declared} if declared else None


def uses_chat_framing(record: Record) -> bool:
    """Chat framing applies to message lists; a plain prompt/completion pair has none."""
    if record.format != "completion":
        return True
    return any(message.field not in ("prompt", "completion") for message in record.messages)


def segments_size(segments: list[Segment]) -> int:
    return sum(segment[FRAMING] + segment[CONTENT] for segment in segments)


def cut_parts(
    segments: list[Segment], remove: int, from_end: bool
) -> list[tuple[str, str, int, int]]:
    """(field, role, tokens removed, segment size) of each segment truncation touches."""
    cut: list[tuple[str, str, int, int]] = []
    ordered = reversed(segments) if from_end else iter(segments)
    for field, role, framing, content, _ in ordered:
        if remove <= 0:
            break
        size = framing + content
        lost = min(size, remove)
        remove -= lost
        if lost:
            cut.append((field, role, lost, size))
    if from_end:
        cut.reverse()
    return cut


def trainable_kept(segments: list[Segment], limit: int, truncation: str) -> int:
    """Trainable tokens left after truncating to `limit` (framing precedes content)."""
    if truncation == "end":
        kept, room = 0, limit
        for _, _, framing, content, trainable in segments:
            if room <= 0:
                break
            inside = min(framing + content, room)
            room -= inside
            if trainable:
                kept += max(0, inside - framing)
        return kept
    kept, remove = 0, segments_size(segments) - limit
    for _, _, framing, content, trainable in segments:
        lost = min(framing + content, max(0, remove))
        remove -= lost
        if trainable:
            kept += content - max(0, lost - framing)
    return kept


def only_special(text: str, specials: frozenset[str]) -> bool:
    rest = text
    for token in specials:
        if token in rest:
            rest = rest.replace(token, "")
    return rest != text and not rest.strip()


def over_limit_message(
    counts: RowCounts, limit: int, limit_name: str, from_end: bool, kept: int
) -> tuple[str, str | None]:
    """What truncating an over-long example to `limit` removes, and the first field it cuts."""
    over = counts.total - limit
    cut = cut_parts(counts.segments, over, from_end=from_end)
    parts = [
        (
            f"all of {field} ({role})"
            if lost == size
            else f"{lost:,} of {size:,} tokens of {field} ({role})"
        )
        for field, role, lost, size in cut
        if field != "reply priming"
    ]
    shown = ", ".join(parts[:3]) + (f" and {len(parts) - 3} more parts" if len(parts) > 3 else "")
    where = "end" if from_end else "start"
    message = (
        f"{counts.total:,} tokens, {over:,} over the {limit_name}; it will be "
        f"truncated (or rejected): cutting from the {where} "
        f"removes {shown or 'the reply priming'}"
    )
    lost_trainable = counts.trainable - kept
    if kept == 0 and counts.trainable > 0:
        message += "; nothing of the assistant reply would remain"
    elif lost_trainable > 0 and from_end:
        message += (
            f"; the assistant reply loses its last {lost_trainable:,} tokens, including "
            "its ending and stop sequence, so the model learns to stop mid-reply"
        )
    elif lost_trainable > 0:
        message += f"; {lost_trainable:,} trainable tokens are lost"
    else:
        message += (
            "; the assistant reply is kept whole" if from_end else "; the reply is kept whole"
        )
    first = next((field for field, *_ in cut if field != "reply priming"), None)
    return message, first
