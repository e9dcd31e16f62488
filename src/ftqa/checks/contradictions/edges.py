"""A candidate contradiction between two rows, and small helpers shared by the rule modules."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ftqa.checks.contradictions.options import EXCERPT, NORM
from ftqa.dedup import (
    RowLog,
)
from ftqa.dedup.findings import place
from ftqa.records import Message


@dataclass(frozen=True, slots=True)
class Edge:
    a: int
    b: int
    rule: str
    score: float
    reason: str
    relation: str
    link: bool = False  # joins a row to a group without being a conflict itself


def _side_text(messages: list[Message]) -> str:
    return "\n".join(m.content for m in messages if m.role == "assistant" or len(messages) == 1)


def _key(text: str, normalize: bool) -> bytes | None:
    """A 128-bit key of a response. Long answers are keyed as written (minus surrounding
    space): two that differ only in case or spacing are then compared, and agree, which costs
    less than normalizing every long answer. Short answers (labels) and preference answers
    are normalized, since label groups and preference cycles must match them exactly."""
    value = NORM(text) if normalize else text.strip()
    if not value.strip():
        return None
    return hashlib.blake2b(
        value.encode("utf-8", "surrogatepass"), digest_size=16, person=b"ftqa-contra"
    ).digest()


def _quote(text: str, limit: int = EXCERPT) -> str:
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return f'"{flat}"'


def _where(log: RowLog, index: int, anchor: int) -> str:
    same = log.file[index] == log.file[anchor]
    return place(log, index, same_file=same)


def latin_script(text: str, share: float = 0.5) -> bool:
    """Whether at least `share` of the letters of `text` are Latin (ASCII or accented)."""
    letters = [char for char in text[:2000] if char.isalpha()]
    if not letters:
        return True
    latin = sum(1 for char in letters if char < "\u0250")
    return latin >= share * len(letters)
