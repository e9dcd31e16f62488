"""The columns expressions may read: the fixed columns of the per-example table and the
measures built-in checkers report, and how a row gives each.

Constraints computes every built-in measure itself through the providers that the checker
owning the measure uses (`ftqa.providers.tokens`, `ftqa.providers.measures`), following that
checker's options from the run, so a constraint is judged on the same value the examples table
shows whichever checkers run (`ftqa.providers.leakage` for `system_prompt` and
`template_tokens`). Plugin measures (`extra-columns`) are empty here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ftqa.providers import Provided
from ftqa.providers.leakage import SYSTEM_PROMPT_ID, TEMPLATE_TOKENS
from ftqa.providers.measures import CATEGORY, LANGUAGE, RESPONSES
from ftqa.providers.tokens import tokens_if_known
from ftqa.records import Record

FIXED_COLUMNS = ("split", "file", "row", "line", "format", "turns", "label")
# Measures the built-in checkers put on rows (see each checker's module docs). A plugin's
# measures are declared with the `extra-columns` option.
BUILTIN_MEASURES = (
    "tokens_total",
    "tokens_trainable",
    "tokens_prompt",
    "language",
    "template_variant",
    "category",
    "response_chars",
    "refusal",
    "tool_use",
    "system_prompt",
    "template_tokens",
)
KNOWN_COLUMNS = FIXED_COLUMNS + BUILTIN_MEASURES


def _tokens(part: str) -> Callable[[Provided], Any]:
    def value(provided: Provided) -> Any:
        if provided.record.format is None:
            return None
        counted = tokens_if_known(provided)
        if counted is None:
            return None
        counts = counted.counts
        if part == "total":
            return counts.total
        if part == "trainable":
            return counts.trainable
        return counts.total - counts.trainable

    return value


def _formatted(read: Callable[[Provided], Any]) -> Callable[[Provided], Any]:
    """`balance` measures rows of a known format only."""
    return lambda provided: None if provided.record.format is None else read(provided)


def _response(read: Callable[[Any], Any]) -> Callable[[Provided], Any]:
    def value(provided: Provided) -> Any:
        replies = provided(RESPONSES)
        return None if replies is None else read(replies)

    return value


MEASURED: dict[str, Callable[[Provided], Any]] = {
    "tokens_total": _tokens("total"),
    "tokens_trainable": _tokens("trainable"),
    "tokens_prompt": _tokens("prompt"),
    "language": _formatted(lambda provided: provided(LANGUAGE)[0]),
    "category": _formatted(lambda provided: provided(CATEGORY)[0]),
    "template_variant": _response(lambda replies: replies.variant),
    "response_chars": _response(lambda replies: replies.chars),
    "refusal": _response(lambda replies: replies.refusal is not None),
    "tool_use": _response(lambda replies: replies.tool_use),
    "system_prompt": lambda provided: provided(SYSTEM_PROMPT_ID),
    "template_tokens": lambda provided: provided(TEMPLATE_TOKENS),
}


def _column(record: Record, column: str, provided: Provided) -> Any:
    if column == "split":
        return record.split
    if column == "file":
        return record.file
    if column == "row":
        return record.row
    if column == "line":
        return record.line
    if column == "format":
        return record.format
    if column == "turns":
        return len(record.messages) if record.format else None
    if column == "label":
        return record.label
    measure = MEASURED.get(column)
    return measure(provided) if measure is not None else None
