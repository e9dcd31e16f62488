"""The `content` checker: training text that a person would not want the model to learn.

- `refusal-boilerplate`: a reply that declines with the disclaimer of the model that generated
  the data ("As an AI language model, I cannot …", "作为一个AI语言模型，我无法 …"). Fine-tuning on
  it teaches the new model someone else's refusals and identity. A disclaimer without a refusal
  ("As a language model, I go by the name Vicuna") is not reported, nor a rejected reply of a
  preference pair (there it is what the model should learn to avoid).
- `placeholder-text`: an input or a reply that is nothing but a placeholder (`<noinput>`,
  `< noinput >`, `<nooutput>`, `N/A`; for inputs also `None`, `null`, `nan`), left in by the
  script that built the data. Alpaca-style rows join the input to the instruction after a blank
  line, so an input is the last paragraph of the prompt.
- `truncated-reply`: the last reply of a conversation stops in the middle of a sentence: its
  last line is prose of at least `truncation-min-words` words that ends with a comma, a
  conjunction, a preposition or an article ("… turn light into"), outside code.

Every rule is a pure function of one row: `map` returns the row's findings and, as features,
the rules that fired (the statistics count them).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from typing import Any

from pydantic import Field

from ftqa.checker import Checker, Options, Rule
from ftqa.finding import Finding, Severity
from ftqa.providers import Provided
from ftqa.records import Message, Record
from ftqa.rowresult import RowKey, RowResult

_RULES = (
    Rule(
        "refusal-boilerplate",
        Severity.WARNING,
        "A reply that declines with another model's disclaimer (`As an AI language model, I "
        "cannot …`).",
    ),
    Rule(
        "placeholder-text",
        Severity.WARNING,
        "An input or a reply that is only a placeholder (`<noinput>`, `N/A`).",
    ),
    # info until the precision corpus holds cut-off replies to measure it on (docs page)
    Rule("truncated-reply", Severity.INFO, "The last reply stops in the middle of a sentence."),
)
RULES = tuple(replace(rule, aggregate=True) for rule in _RULES)

DISCLAIMER = re.compile(
    r"\b(?:as an? (?:ai|artificial intelligence)(?: language)?(?: model| assistant)?"
    r"|as a (?:large )?language model|i am an ai(?: language model)?|i'm an ai"
    r"(?: language model)?)\b[^.!?\n]{0,80}?\b(?:can't|cannot|can not|don't|do not|am not able"
    r"|'m not able|am unable|'m unable|unable to|won't|will not|not capable|lack|have no|"
    r"don't have|do not have|not able)\b",
    re.IGNORECASE,
)
DISCLAIMER_ZH = re.compile(
    r"作为(?:一[个名款])?(?:AI|ai|人工智能)(?:语言)?(?:模型|助手)[，,]?\s*我(?:无法|不能|没有|不具备|并不能|不会)"
)
PLACEHOLDERS = frozenset(
    {"<noinput>", "<no input>", "noinput", "<nooutput>", "<no output>", "nooutput", "n/a", "<n/a>"}
)
INPUT_PLACEHOLDERS = PLACEHOLDERS | frozenset({"none", "null", "nan", "<none>", "<empty>"})
_SPACES = re.compile(r"\s+")
PLACEHOLDER_CHARS = max(len(value) for value in INPUT_PLACEHOLDERS)


def _visible_chars(text: str) -> int:
    """Characters that are not whitespace: a lower bound of a normalized value's length."""
    return sum(map(len, text.split()))


def _too_long_for_a_placeholder(text: str) -> bool:
    """Most messages, told without normalizing their whitespace; an input placeholder is the
    part after the last blank line."""
    if len(text) <= PLACEHOLDER_CHARS or _visible_chars(text) <= PLACEHOLDER_CHARS:
        return False
    return "\n\n" not in text or _visible_chars(text.rsplit("\n\n", 1)[-1]) > PLACEHOLDER_CHARS


_FENCE = re.compile(r"^[ \t]*(?:```|~~~)", re.M)
# Words a complete English sentence does not end with.
DANGLING = frozenset(
    {
        "a", "an", "the", "and", "or", "but", "nor", "of", "to", "in", "into", "on", "onto",
        "at", "by", "for", "from", "with", "without", "about", "as", "than", "that", "which",
        "who", "whose", "if", "because", "while", "when", "where", "is", "are", "was", "were",
        "be", "been", "has", "have", "had", "will", "would", "can", "could", "should", "my",
        "your", "their", "our", "its", "his", "her", "this", "these", "those", "such", "very",
    }
)  # fmt: skip
_LAST_WORD = re.compile(r"([A-Za-z']+)\s*$")
_LIST_OR_TABLE = re.compile(r"^\s*(?:[-*+•|>#]|\d{1,3}[.)])")


class ContentOptions(Options):
    truncation_min_words: int = Field(
        8,
        ge=1,
        description="Fewest words the last line of a reply needs before it can count as cut "
        "off (short answers and list items often end without punctuation).",
    )


class ContentChecker(Checker):
    id = "content"
    summary = "Refusal boilerplate, placeholders and cut-off replies left in the training text."
    version = "1"
    pure_map = True
    rules = RULES
    Options = ContentOptions
    options: ContentOptions

    def __init__(self, options: ContentOptions, context: Any) -> None:
        super().__init__(options, context)
        self._counts: Counter[str] = Counter()

    def map(self, record: Record, provided: Provided) -> RowResult | None:
        if record.split == "reference":
            return None
        findings: list[Finding | None] = []
        for message in _replies(record):
            findings.append(self._refusal(record, message))
        for message in record.messages:
            findings.append(self._placeholder(record, message))
        last = _last_reply(record)
        if last is not None:
            findings.append(self._truncated(record, last))
        found = [finding for finding in findings if finding is not None]
        if not found:
            return None
        return RowResult(found, features=tuple(finding.rule for finding in found))

    def reduce(self, key: RowKey, features: tuple[str, ...]) -> None:
        self._counts.update(features)

    def stats(self) -> dict[str, Any]:
        return dict(self._counts)

    def _refusal(self, record: Record, message: Message) -> Finding | None:
        text = message.content
        match = DISCLAIMER.search(text) or DISCLAIMER_ZH.search(text)
        if match is None:
            return None
        return self.finding(
            "refusal-boilerplate",
            "the reply declines with the disclaimer of the model that generated the data; "
            "fine-tuning on it teaches that model's refusals and identity",
            record,
            field=message.field,
            evidence=match.group(),
            fix="rewrite the reply as the answer you want, or drop the row",
        )

    def _placeholder(self, record: Record, message: Message) -> Finding | None:
        text = message.content
        if _too_long_for_a_placeholder(text):
            return None
        if message.role in ("user", "developer", "system"):
            last = text.rsplit("\n\n", 1)[-1] if "\n\n" in text else text
            value = _SPACES.sub(" ", last.strip()).lower()
            if value.replace(" ", "") in INPUT_PLACEHOLDERS or value in INPUT_PLACEHOLDERS:
                what = "input" if "\n\n" in text else f"{message.role} message"
                return self._placeholder_finding(record, message, what, last.strip())
            return None
        value = _SPACES.sub(" ", text.strip()).lower()
        if value.replace(" ", "") in PLACEHOLDERS or value in PLACEHOLDERS:
            return self._placeholder_finding(record, message, "reply", text.strip())
        return None

    def _placeholder_finding(
        self, record: Record, message: Message, what: str, value: str
    ) -> Finding:
        return self.finding(
            "placeholder-text",
            f"the {what} is only the placeholder `{value}`: the model learns it as text",
            record,
            field=message.field,
            evidence=value,
            fix="leave the field empty (or drop it) when there is no input; drop rows whose "
            "reply is a placeholder",
        )

    def _truncated(self, record: Record, message: Message) -> Finding | None:
        text = message.content.rstrip()
        if not text or len(_FENCE.findall(text)) % 2 == 1 or text.endswith("```"):
            return None
        line = text.rsplit("\n", 1)[-1]
        if _LIST_OR_TABLE.match(line) or len(line.split()) < self.options.truncation_min_words:
            return None
        ending = _LAST_WORD.search(line)
        cut = line.endswith((",", "，", "、")) or (
            ending is not None and ending.group(1).lower() in DANGLING
        )
        if not cut:
            return None
        return self.finding(
            "truncated-reply",
            "the last reply stops in the middle of a sentence (cut off by a length limit?)",
            record,
            field=message.field,
            evidence=text[-60:],
            fix="regenerate or complete the reply, or drop the row",
        )


def _replies(record: Record) -> list[Message]:
    replies = [message for message in record.messages if message.role == "assistant"]
    replies += [message for message in record.chosen or () if message.role == "assistant"]
    return [message for message in replies if message.content]


def _last_reply(record: Record) -> Message | None:
    if record.chosen is not None:
        chosen = [message for message in record.chosen if message.role == "assistant"]
        return chosen[-1] if chosen and chosen[-1].content else None
    if not record.messages or record.messages[-1].role != "assistant":
        return None
    last = record.messages[-1]
    return last if last.content and not last.tool_calls else None
