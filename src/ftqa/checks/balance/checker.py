"""The `balance` checker class: per-row measures and counters; findings and statistics come from
its mixins."""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterator
from typing import Any

from ftqa.checker import CheckContext, Checker
from ftqa.checks.balance.distribution import _Distribution
from ftqa.checks.balance.findings import BalanceFindings
from ftqa.checks.balance.language import SAMPLE_CHARS, guess_language
from ftqa.checks.balance.options import (
    MAX_EXCERPTS,
    NO_SYSTEM_PROMPT,
    PROMPT_EXCERPT,
    REFUSAL_WINDOW,
    RULES,
    BalanceOptions,
    _fold,
)
from ftqa.checks.balance.rows import (
    _clean,
    _dig,
    _response_tokens,
    _responses,
    _scalar,
    _system_prompt,
    _variant,
)
from ftqa.checks.balance.statistics import BalanceStatistics
from ftqa.finding import Finding
from ftqa.outbound import outbound
from ftqa.records import Message, Record


class BalanceChecker(BalanceFindings, BalanceStatistics, Checker):
    id = "balance"
    summary = "Skewed label, system prompt, category, language and response distributions."
    rules = RULES
    Options = BalanceOptions
    order = 500
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

    def check_record(self, record: Record) -> Iterator[Finding]:
        if record.format is None:  # no known format: nothing to measure (format reports it)
            return iter(())
        language, declared = self._language(record)
        category, category_key = self._category(record)
        measures: dict[str, Any] = {"language": language, "category": category}
        responses: list[Message] = []
        refusal: str | None = None
        if record.format != "classification":
            prompt = _system_prompt(record.messages)
            responses = _responses(record)
            refusal = self._refusal(responses)
            measures["template_variant"] = _variant(prompt) if prompt is not None else None
            measures["response_chars"] = sum(len(message.content) for message in responses)
            measures["refusal"] = refusal is not None
            measures["tool_use"] = any(
                message.tool_calls or message.role == "tool"
                for message in (*record.messages, *(record.chosen or ()))
            )
        record.measures.update(measures)
        if record.split == "train":
            self._gather(record, measures, declared, category_key, refusal)
        return iter(())

    def _language(self, record: Record) -> tuple[str | None, bool]:
        """(language, declared by the row?)."""
        for key in self.options.language_keys:
            value = _scalar(_dig(record.raw, key))
            if value is not None:
                return value.lower(), True
        if not self.options.detect_language:
            return None, False
        if record.format == "classification":
            return guess_language(record.text or ""), False
        parts: list[str] = []
        size = 0
        for message in (*record.messages, *(record.chosen or ())):
            if message.role in ("system", "developer") or not message.content:
                continue
            part = message.content[: SAMPLE_CHARS - size]
            parts.append(part)
            size += len(part) + 1
            if size >= SAMPLE_CHARS:
                break
        return guess_language("\n".join(parts)), False

    def _category(self, record: Record) -> tuple[str | None, str | None]:
        """(category value, the key it came from)."""
        for key in self.options.category_keys:
            value = _scalar(_dig(record.raw, key))
            if value is not None:
                return value, key
        return None, None

    def _refusal(self, responses: list[Message]) -> str | None:
        """The refusal phrase in the opening of the last response, if any."""
        if not responses:
            return None
        opening = _fold(responses[-1].content[:REFUSAL_WINDOW])
        for phrase in self.options.refusal_phrases:
            if phrase in opening:
                return phrase
        return None

    def _gather(
        self,
        record: Record,
        measures: dict[str, Any],
        declared: bool,
        category_key: str | None,
        refusal: str | None,
    ) -> None:
        self._rows += 1
        if record.label is not None:
            self._add_label(record)
        language = measures["language"]
        if language is not None:
            self._languages.add(language)
            self._declared_languages += declared
        if category_key is not None:
            self._categories.add(measures["category"])
            self._category_keys[category_key] += 1
        if record.format == "classification":
            return
        self._conversations += 1
        self._turns[len(record.messages)] += 1
        variant = measures["template_variant"]
        if variant is None:
            self._variants.add(NO_SYSTEM_PROMPT)
        else:
            self._variants.add(variant)
            if variant not in self._excerpts and len(self._excerpts) < MAX_EXCERPTS:
                prompt = _system_prompt(record.messages) or ""
                # Statistics and reports show this excerpt: masked before it is cut.
                self._excerpts[variant] = _clean(outbound(prompt), PROMPT_EXCERPT)
        self._response_chars.append(measures["response_chars"])
        tokens = _response_tokens(record)
        if tokens is not None:
            self._response_tokens.append(tokens)
        if refusal is not None:
            self._refusals += 1
            self._refusal_phrases[refusal] += 1
        if measures["tool_use"]:
            self._tool_use += 1

    def _add_label(self, record: Record) -> None:
        label = _clean(record.label or "", 200)
        self._labels.add(label)
        members = self._label_members.setdefault(label, [])
        if len(members) < self.options.min_class_count:
            members.append((record.file, record.row, record.line))
