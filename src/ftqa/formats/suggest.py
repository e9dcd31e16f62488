"""The `--map` that would make a row of unknown layout readable, from its keys and values.

Used to explain an undetectable row: "keys question/answer: try --map prompt=question,
completion=answer". The suggestion is a guess from names ftqa knows and the values' shapes; it is
only offered when the row has exactly the pieces the target format needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PROMPT_NAMES = ("prompt", "question", "query", "instruction", "input", "source", "context", "q")
REPLY_NAMES = ("completion", "answer", "response", "output", "reply", "target", "solution", "a")
MESSAGE_NAMES = ("messages", "conversation", "conversations", "dialog", "dialogue", "chat", "turns")
LABEL_NAMES = ("label", "labels", "class", "category", "sentiment", "target", "y")
TEXT_NAMES = ("text", "sentence", "content", "document", "body", "passage", "review")
ROLE_VALUES = frozenset({"user", "assistant", "system", "human", "gpt", "bot", "model", "ai"})


def suggest_map(row: Mapping[str, Any]) -> str | None:
    """`--map ...` for `row`, or None when no single mapping clearly fits."""
    lists = [key for key, value in row.items() if _message_list(value)]
    if len(lists) == 1:
        first = row[lists[0]][0]
        if "from" in first and "value" in first:
            return f"--map conversations={lists[0]}"
        return "--map " + ",".join([f"messages={lists[0]}", *_nested(row[lists[0]])])
    texts = [key for key, value in row.items() if isinstance(value, str) and value.strip()]
    scalars = [
        key
        for key, value in row.items()
        if isinstance(value, (int, bool)) or (isinstance(value, str) and len(value) <= 40)
    ]
    prompt = _named(texts, PROMPT_NAMES)
    reply = _named([key for key in texts if key != prompt], REPLY_NAMES)
    if prompt and reply:
        return f"--map prompt={prompt},completion={reply}"
    text = _named(texts, TEXT_NAMES) or (texts[0] if len(texts) == 1 else None)
    label = _named([key for key in scalars if key != text], LABEL_NAMES)
    if text and label:
        return f"--map text={text},label={label}"
    if len(texts) == 2 and not (prompt or reply):
        return f"--map prompt={texts[0]},completion={texts[1]}"
    if text and len(texts) == 1:
        return f"--map text={text}"
    return None


def _named(keys: list[str], names: tuple[str, ...]) -> str | None:
    for name in names:
        for key in keys:
            if key.lower() == name:
                return key
    return None


def _message_list(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(item, Mapping) for item in value)
        and len(value[0]) >= 2
    )


def _nested(messages: list[Mapping[str, Any]]) -> list[str]:
    """`role-key`/`content-key` entries when the messages do not use `role`/`content`."""
    first = messages[0]
    if "role" in first and "content" in first:
        return []
    role = next(
        (
            key
            for key, value in first.items()
            if isinstance(value, str) and value.lower() in ROLE_VALUES
        ),
        None,
    )
    content = next(
        (key for key, value in first.items() if isinstance(value, str) and key != role),
        None,
    )
    entries = []
    if role and role != "role":
        entries.append(f"role-key={role}")
    if content and content != "content":
        entries.append(f"content-key={content}")
    return entries
