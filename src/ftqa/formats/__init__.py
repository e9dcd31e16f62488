"""Input formats: detection per row, JSON Schemas, and normalization to canonical records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ftqa.formats.alpaca import AlpacaFormat
from ftqa.formats.base import Column, Format, Normalized, Reading, ReadOptions
from ftqa.formats.chat import ChatFormat
from ftqa.formats.classification import ClassificationFormat
from ftqa.formats.completion import CompletionFormat
from ftqa.formats.dolly import DollyFormat
from ftqa.formats.hh_rlhf import HHRLHFFormat
from ftqa.formats.kto import KTOFormat
from ftqa.formats.openai_preference import OpenAIPreferenceFormat
from ftqa.formats.preference import PreferenceFormat
from ftqa.formats.question_answer import QuestionAnswerFormat
from ftqa.formats.sharegpt import ShareGPTFormat
from ftqa.formats.text import TextFormat

# Detection order matters: the more specific signature wins.
FORMATS: dict[str, Format] = {
    fmt.name: fmt
    for fmt in (
        KTOFormat(),
        ChatFormat(),
        ShareGPTFormat(),
        OpenAIPreferenceFormat(),
        HHRLHFFormat(),
        PreferenceFormat(),
        AlpacaFormat(),
        DollyFormat(),
        QuestionAnswerFormat(),
        CompletionFormat(),
        ClassificationFormat(),
        TextFormat(),
    )
}


def detect(obj: Mapping[str, Any]) -> Format | None:
    for fmt in FORMATS.values():
        if fmt.matches(obj):
            return fmt
    return None


def closest(obj: Mapping[str, Any]) -> Format | None:
    """The format whose keys the row shares most, for explaining an undetected row."""
    candidates = [fmt for fmt in FORMATS.values() if fmt.affinity(obj)]
    if not candidates:
        return None

    def missing(fmt: Format) -> int:
        return sum(1 for column in fmt.columns if column.required and column.name not in obj)

    return min(candidates, key=lambda fmt: (missing(fmt), -fmt.affinity(obj)))


__all__ = [
    "FORMATS",
    "Column",
    "Format",
    "Normalized",
    "ReadOptions",
    "Reading",
    "closest",
    "detect",
]
