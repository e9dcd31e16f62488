"""The `balance` checker class: per-row measures (from providers) and counters; findings and
statistics come from its mixins."""

from __future__ import annotations

import functools
from array import array
from collections import Counter
from typing import Any

from ftqa.checker import CheckContext, Checker
from ftqa.checks.balance.distribution import _Distribution
from ftqa.checks.balance.findings import BalanceFindings
from ftqa.checks.balance.options import (
    MAX_EXCERPTS,
    NO_SYSTEM_PROMPT,
    PROMPT_EXCERPT,
    RULES,
    BalanceOptions,
)
from ftqa.checks.balance.statistics import BalanceStatistics
from ftqa.outbound import outbound
from ftqa.providers import Provided
from ftqa.providers.measures import CATEGORY, LANGUAGE, RESPONSES, clean, system_prompt
from ftqa.providers.tokens import TOKENS, tokens_if_known
from ftqa.records import Record
from ftqa.rowresult import RowKey, RowResult

# Features of one training row: (label, language, declared?, category, category key,
# conversation: (turns, variant, prompt excerpt, response chars, response tokens, refusal
# phrase, tool use) or None for classification rows).
Conversation = tuple[int, "str | None", "str | None", int, "int | None", "str | None", bool]


@functools.lru_cache(maxsize=256)
def _excerpt(prompt: str) -> str:
    """The opening of a system prompt for the report: masked before it is cut."""
    return clean(outbound(prompt), PROMPT_EXCERPT)


class BalanceChecker(BalanceFindings, BalanceStatistics, Checker):
    id = "balance"
    summary = "Skewed label, system prompt, category, language and response distributions."
    rules = RULES
    Options = BalanceOptions
    version = "2"
    needs = (LANGUAGE, CATEGORY, RESPONSES, TOKENS)
    pure_map = True
    options: BalanceOptions

    def __init__(self, options: BalanceOptions, context: CheckContext) -> None:
        super().__init__(options, context)
        self._rows = 0
        self._labels = _Distribution()
        self._label_members: dict[str, list[tuple[str, int, int | None]]] = {}
        self._variants = _Distribution()
        self._excerpts: dict[str, str] = {}
        self._categories = _Distribution()
        self._category_keys: Counter[str] = Counter()
        self._languages = _Distribution()
        self._declared_languages = 0
        self._turns: Counter[int] = Counter()
        self._response_chars: array[int] = array("q")
        self._response_tokens: array[int] = array("q")
        self._conversations = 0
        self._refusals = 0
        self._refusal_phrases: Counter[str] = Counter()
        self._tool_use = 0

    # -- per row ---------------------------------------------------------------------------

    def map(self, record: Record, provided: Provided) -> RowResult | None:
        if record.format is None:  # no known format: nothing to measure (format reports it)
            return None
        language, declared = provided(LANGUAGE)
        category, category_key = provided(CATEGORY)
        measures: dict[str, Any] = {"language": language, "category": category}
        replies = provided(RESPONSES)
        if replies is not None:
            measures["template_variant"] = replies.variant
            measures["response_chars"] = replies.chars
            measures["refusal"] = replies.refusal is not None
            measures["tool_use"] = replies.tool_use
        if record.split != "train":
            return RowResult(measures=measures)
        conversation: Conversation | None = None
        if replies is not None:
            excerpt = None
            if replies.variant is not None:
                excerpt = _excerpt(system_prompt(record.messages) or "")
            tokens = None
            if "token_length" in provided.run.active:  # response tokens when it counts them
                counted = tokens_if_known(provided)
                tokens = counted.counts.trainable if counted is not None else None
            conversation = (
                len(record.messages),
                replies.variant,
                excerpt,
                replies.chars,
                tokens,
                replies.refusal,
                replies.tool_use,
            )
        label = clean(record.label, 200) if record.label is not None else None
        features = (label, language, declared, category, category_key, conversation)
        return RowResult(features=features, measures=measures)

    def reduce(self, key: RowKey, features: Any) -> None:
        label, language, declared, category, category_key, conversation = features
        self._rows += 1
        if label is not None:
            self._labels.add(label)
            members = self._label_members.setdefault(label, [])
            if len(members) < self.options.min_class_count:
                members.append((key.file, key.row, key.line))
        if language is not None:
            self._languages.add(language)
            self._declared_languages += declared
        if category_key is not None:
            self._categories.add(category)
            self._category_keys[category_key] += 1
        if conversation is None:
            return
        turns, variant, excerpt, chars, tokens, refusal, tool_use = conversation
        self._conversations += 1
        self._turns[turns] += 1
        if variant is None:
            self._variants.add(NO_SYSTEM_PROMPT)
        else:
            self._variants.add(variant)
            if variant not in self._excerpts and len(self._excerpts) < MAX_EXCERPTS:
                self._excerpts[variant] = excerpt
        self._response_chars.append(chars)
        if tokens is not None:
            self._response_tokens.append(tokens)
        if refusal is not None:
            self._refusals += 1
            self._refusal_phrases[refusal] += 1
        if tool_use:
            self._tool_use += 1
