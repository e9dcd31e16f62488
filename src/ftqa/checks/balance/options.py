"""Rules, options and limits of the `balance` checker."""

from __future__ import annotations

from pydantic import Field, field_validator

from ftqa.checker import Options, Rule
from ftqa.finding import Severity

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

# Phrases that mark a response as a refusal when they occur in its first REFUSAL_WINDOW
# characters (case-insensitive, curly apostrophes read as straight ones). Deliberately specific:
# a support answer that starts "I'm sorry, but I can't find that invoice" is not a refusal.
DEFAULT_REFUSAL_PHRASES = (
    "i can't help with",
    "i cannot help with",
    "i can't assist with",
    "i cannot assist with",
    "i can't provide",
    "i cannot provide",
    "i can't comply",
    "i cannot comply",
    "i can't do that",
    "i cannot do that",
    "i won't be able to help",
    "i won't help",
    "i will not help",
    "i'm not able to help",
    "i am not able to help",
    "i'm unable to help",
    "i am unable to help",
    "i'm unable to assist",
    "i am unable to assist",
    "i must decline",
    "i'm not comfortable",
    "as an ai language model",
    "as an ai, i cannot",
    "against my guidelines",
    "against my programming",
)
REFUSAL_WINDOW = 300


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
        default_factory=lambda: ["category", "task", "source"],
        description="Row keys tried in order for the task/category; dots reach into objects "
        "(`metadata.category`).",
    )
    language_keys: list[str] = Field(
        default_factory=lambda: ["language", "lang"],
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


def _fold(text: str) -> str:
    return text.lower().replace("\u2019", "'").replace("\u2018", "'")
