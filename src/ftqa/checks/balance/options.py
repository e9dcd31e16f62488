"""Rules, options and limits of the `balance` checker."""

from __future__ import annotations

from pydantic import Field, field_validator

from ftqa.checker import Options, Rule
from ftqa.finding import Severity
from ftqa.providers.measures import (
    DEFAULT_CATEGORY_KEYS,
    DEFAULT_LANGUAGE_KEYS,
    DEFAULT_REFUSAL_PHRASES,
    REFUSAL_WINDOW,
    fold,
)

W, INFO = Severity.WARNING, Severity.INFO

RULES = (
    Rule("label-imbalance", W, "Classification labels far from balanced."),
    Rule("rare-class", W, "A label with fewer examples than the minimum per class."),
    Rule("dominant-system-prompt", W, "One system prompt (or none) covers almost every example."),
    Rule("dominant-category", W, "One task/category value covers almost every example."),
    Rule("dominant-language", W, "One language covers almost every example, with a few others."),
    Rule("refusal-heavy", W, "A large share of responses are refusals."),
    Rule("small-dataset", INFO, "Fewer examples than a first fine-tuning round usually needs."),
)


NO_SYSTEM_PROMPT = "(none)"


MAX_EXCERPTS = 1_000  # distinct system prompts whose opening is kept for the report
PROMPT_EXCERPT = 60


class BalanceOptions(Options):
    max_share: float = Field(
        0.9,
        gt=0,
        le=1,
        description="Warn when one system prompt, category or language covers more than this "
        "share of the examples while others exist.",
    )
    max_imbalance_ratio: float = Field(
        10.0,
        ge=1,
        description="Warn when the largest class has more than this many times the "
        "examples of the smallest.",
    )
    min_class_count: int = Field(10, ge=1, description="Warn about labels with fewer examples.")
    category_keys: list[str] = Field(
        default_factory=lambda: list(DEFAULT_CATEGORY_KEYS),
        description="Row keys tried in order for the task/category; dots reach into objects "
        "(`metadata.category`).",
    )
    language_keys: list[str] = Field(
        default_factory=lambda: list(DEFAULT_LANGUAGE_KEYS),
        description="Row keys that declare the language; the heuristic guesses the rest.",
    )
    max_refusal_share: float = Field(
        0.2, ge=0, le=1, description="Warn when more than this share of responses are refusals."
    )
    refusal_phrases: list[str] = Field(
        default_factory=lambda: list(DEFAULT_REFUSAL_PHRASES),
        description="Phrases that mark a response as a refusal (replaces the default list).",
    )
    small_dataset: int = Field(
        100,
        ge=0,
        description="Note (`small-dataset`) when there are fewer training examples than this "
        "(and at least 10, below which format/too-few-examples reports it); 0 turns it off.",
    )
    detect_language: bool = Field(
        True, description="Guess the language of rows that do not declare it (a heuristic)."
    )
    top: int = Field(20, ge=1, le=1000, description="Values listed per distribution in stats.")

    @field_validator("refusal_phrases")
    @classmethod
    def _lowercase(cls, phrases: list[str]) -> list[str]:
        cleaned = [_fold(phrase).strip() for phrase in phrases]
        if any(not phrase for phrase in cleaned):
            raise ValueError(
                "refusal phrases must not be empty; use [] to turn refusal counting off"
            )
        return cleaned


_fold = fold

__all__ = ["DEFAULT_REFUSAL_PHRASES", "REFUSAL_WINDOW", "RULES", "BalanceOptions", "_fold"]
