"""The `balance` checker: how lopsided the dataset is, along what a dataset builder controls.

For classification data: the label distribution, its imbalance ratio and normalized entropy,
and classes with too few examples. For chat and generation data: distributions over the system
prompt (template variant), a task/category field, the language (a script and stopword heuristic,
see `ftqa.checks._language`), the number of turns, response lengths, the share of refusals and
of tool use. One value dominating a dimension beyond `max-share` is a warning; the distributions
always go into `stats.balance`. Training rows only; validation rows get their per-row measures.

Per row it keeps a few counters and one int (the response length); no text beyond the first
characters of at most `MAX_EXCERPTS` distinct system prompts.
"""

from __future__ import annotations

import hashlib
import math
import re
from array import array
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import Field, field_validator

from ftqa.checker import CheckContext, Checker, Options, Rule
from ftqa.checks._language import SAMPLE_CHARS, guess_language
from ftqa.finding import Finding, Severity
from ftqa.outbound import outbound
from ftqa.records import Message, Record

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

CHAR_BUCKETS = (100, 500, 2000, 8000)
TOKEN_BUCKETS = (32, 128, 512, 2048)
NO_SYSTEM_PROMPT = "(none)"
OTHER = "(other)"
MAX_DISTINCT = 100_000  # values tracked per dimension; later new values count as "(other)"
MAX_EXCERPTS = 1_000  # distinct system prompts whose opening is kept for the report
PROMPT_EXCERPT = 60
LANGUAGE_METHOD = "script and stopword heuristic (ftqa.checks._language); declared keys first"
# The key token_length stores per-row token counts under (a dict); see its module.
TOKENS_CACHE_KEY = "tokens"


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


OPENAI_MINIMUM = 10


def _fold(text: str) -> str:
    return text.lower().replace("\u2019", "'").replace("\u2018", "'")


def _dig(raw: Any, path: str) -> Any:
    if "." not in path:
        return raw.get(path) if isinstance(raw, dict) else None
    value = raw
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


_SURROGATES = re.compile("[\ud800-\udfff]")


def _clean(text: str, limit: int = 100) -> str:
    """A dataset value safe to count, report and serialize: lone surrogates replaced, bounded."""
    return _SURROGATES.sub("\ufffd", text[:limit])


def _scalar(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        text = str(value).strip()
        return _clean(text) if text else None
    return None


def _system_prompt(messages: list[Message]) -> str | None:
    for message in messages:
        if message.role in ("system", "developer"):
            return message.content.strip()
    return None


def _variant(prompt: str) -> str:
    return hashlib.blake2b(prompt.encode("utf-8", "surrogatepass"), digest_size=4).hexdigest()


def _responses(record: Record) -> list[Message]:
    if record.chosen:
        return [message for message in record.chosen if message.role == "assistant"]
    return [message for message in record.messages if message.role == "assistant"]


def _response_tokens(record: Record) -> int | None:
    """Trainable (response) tokens counted by token_length, when it ran earlier on this row."""
    counts = record.cache.get(TOKENS_CACHE_KEY)
    if isinstance(counts, Mapping):
        value = counts.get("trainable")
        if isinstance(value, int):
            return value
    return None


def _bucket(value: int, edges: tuple[int, ...]) -> str:
    low = 0
    for edge in edges:
        if value < edge:
            return f"{low}-{edge - 1}"
        low = edge
    return f"{low}+"


def _percentile(ordered: list[int], fraction: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), on sorted data."""
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _percent(share: float) -> str:
    return f"{share:.0%}" if share < 0.995 else f"{share:.1%}"


class _Distribution:
    """Counts of one dimension's values, with a cap on how many distinct values are tracked."""

    __slots__ = ("counts", "overflow")

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.overflow = 0

    def add(self, value: str) -> None:
        counts = self.counts
        if value in counts or len(counts) < MAX_DISTINCT:
            counts[value] += 1
        else:
            self.overflow += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values()) + self.overflow

    def top(self, limit: int) -> dict[str, int]:
        ranked = sorted(self.counts.items(), key=lambda item: (-item[1], item[0]))
        shown = dict(ranked[:limit])
        rest = sum(count for _, count in ranked[limit:]) + self.overflow
        if rest:
            shown[OTHER] = rest
        return shown


class BalanceChecker(Checker):
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

    # -- dataset-wide ----------------------------------------------------------------------

    @property
    def _file(self) -> str | None:
        return self.context.files[0] if self.context.files else None

    def finish(self) -> Iterator[Finding]:
        yield from self._label_findings()
        yield from self._variant_findings()
        yield from self._category_findings()
        yield from self._language_findings()
        yield from self._refusal_findings()
        rows = self._rows
        if OPENAI_MINIMUM <= rows < self.options.small_dataset:
            yield self.finding(
                "small-dataset",
                f"{rows} training examples: fine for a first-round experiment, but results "
                f"usually need {self.options.small_dataset} or more; grow the set once this "
                "round shows the format works",
                file=self._file,
            )

    def _label_findings(self) -> Iterator[Finding]:
        counts = self._labels.counts
        if not counts:
            return
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        (top, most), (bottom, least) = ranked[0], ranked[-1]
        total = self._labels.total
        if len(ranked) == 1 and total >= 2:
            yield self.finding(
                "label-imbalance",
                f"every example ({total}) has the label `{top}`: a classifier learns nothing "
                "from a single class",
                file=self._file,
                evidence=top,
            )
        elif len(ranked) > 1 and most / least > self.options.max_imbalance_ratio:
            yield self.finding(
                "label-imbalance",
                f"label `{top}` has {most} examples and `{bottom}` only {least}: imbalance ratio "
                f"{most / least:.1f} (above {self.options.max_imbalance_ratio:g}), normalized "
                f"entropy {_entropy(counts):.2f}",
                file=self._file,
                evidence=f"{top}: {most}, {bottom}: {least}",
            )
        minimum = self.options.min_class_count
        if len(ranked) < 2:
            return
        for label, count in ranked:
            if count >= minimum:
                continue
            members = self._label_members.get(label, [])
            files = {file for file, _, _ in members}
            rows = [row for _, row, _ in members]
            lines = [line for _, _, line in members]
            one_file = len(files) == 1 and all(line is not None for line in lines)
            first_file, first_row, first_line = members[0]
            yield self.finding(
                "rare-class",
                f"label `{label}` has only {count} example{'s' if count != 1 else ''} "
                f"(fewer than {minimum}); the model will rarely predict it",
                file=first_file,
                line=first_line,
                row=first_row,
                rows=rows if len(files) == 1 else None,
                lines=[line for line in lines if line is not None] if one_file else None,
                evidence=label,
            )

    def _dominant(
        self, distribution: _Distribution, ignore: tuple[str, ...] = ()
    ) -> tuple[str, int, int, int] | None:
        """(value, count, total, others) when one value covers more than `max-share`."""
        counts = {value: n for value, n in distribution.counts.items() if value not in ignore}
        total = sum(counts.values()) + distribution.overflow
        if len(counts) + (1 if distribution.overflow else 0) < 2 or total == 0:
            return None
        value, count = min(counts.items(), key=lambda item: (-item[1], item[0]))
        if count / total <= self.options.max_share:
            return None
        others = len(counts) - 1 + (1 if distribution.overflow else 0)
        return value, count, total, others

    def _variant_findings(self) -> Iterator[Finding]:
        dominant = self._dominant(self._variants)
        if dominant is None:
            return
        value, count, total, others = dominant
        share = _percent(count / total)
        rest = total - count
        if value == NO_SYSTEM_PROMPT:
            variants = "one prompt" if others == 1 else f"{others} different prompts"
            message = (
                f"{share} of examples ({count} of {total}) have no system prompt and {rest} "
                f"have {variants}: the model will rarely see the prompted behaviour; use a "
                "system prompt everywhere or nowhere"
            )
            evidence = None
        else:
            message = (
                f"{share} of examples ({count} of {total}) use system prompt {value}; the other "
                f"{rest} {self._rest(self._variants, value, others, 'prompt')}, which the model "
                "will learn poorly"
            )
            evidence = self._excerpts.get(value)
        yield self.finding(
            "dominant-system-prompt", message, file=self._file, field="system", evidence=evidence
        )

    def _rest(self, distribution: _Distribution, top: str, others: int, noun: str) -> str:
        """How the examples outside the dominant value are spread, in words."""
        if others == 1:
            other = next(value for value in distribution.counts if value != top)
            if other == NO_SYSTEM_PROMPT:
                return "have no system prompt"
            return f"use {noun} {other}" if noun == "prompt" else f"have `{other}`"
        return f"are split over {others} other {noun}s"

    def _category_findings(self) -> Iterator[Finding]:
        dominant = self._dominant(self._categories)
        if dominant is None:
            return
        value, count, total, others = dominant
        key = self._category_keys.most_common(1)[0][0] if self._category_keys else "category"
        yield self.finding(
            "dominant-category",
            f"{key} `{value}` covers {_percent(count / total)} of examples ({count} of {total}); "
            f"the other {total - count} {self._rest(self._categories, value, others, 'value')}",
            file=self._file,
            field=key,
            evidence=value,
        )

    def _language_findings(self) -> Iterator[Finding]:
        undetermined = tuple(value for value in self._languages.counts if value.startswith("und"))
        dominant = self._dominant(self._languages, ignore=undetermined)
        if dominant is None:
            return
        value, count, total, _ = dominant
        others = {
            language: n
            for language, n in self._languages.top(6).items()
            if language != value and language not in undetermined
        }
        listed = ", ".join(f"{language} {n}" for language, n in others.items())
        yield self.finding(
            "dominant-language",
            f"`{value}` covers {_percent(count / total)} of examples with a known language "
            f"({count} of {total}); the rest: {listed} (heuristic guess unless declared)",
            file=self._file,
            evidence=value,
        )

    def _refusal_findings(self) -> Iterator[Finding]:
        total = self._conversations
        if not total or self._refusals / total <= self.options.max_refusal_share:
            return
        phrase = self._refusal_phrases.most_common(1)[0][0] if self._refusal_phrases else ""
        yield self.finding(
            "refusal-heavy",
            f"{_percent(self._refusals / total)} of responses ({self._refusals} of {total}) are "
            f"refusals (above {_percent(self.options.max_refusal_share)}); a model tuned on "
            "them learns to refuse ordinary requests too",
            file=self._file,
            evidence=phrase,
        )

    # -- statistics ------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        top = self.options.top
        stats: dict[str, Any] = {"rows": self._rows}
        if self._labels.counts:
            counts = self._labels.counts
            ranked = sorted(counts.values(), reverse=True)
            stats["labels"] = {
                "counts": self._labels.top(top),
                "classes": len(counts),
                "imbalance_ratio": round(ranked[0] / ranked[-1], 3),
                "normalized_entropy": _rounded(_entropy(counts)),
                "below_min_count": sorted(
                    label for label, n in counts.items() if n < self.options.min_class_count
                ),
            }
        if self._conversations:
            stats["system_prompts"] = self._variant_stats(top)
        if self._categories.total:
            stats["categories"] = {
                "keys": dict(self._category_keys.most_common()),
                "distinct": len(self._categories.counts),
                "without": self._rows - self._categories.total,
                "counts": self._categories.top(top),
            }
        if self._languages.total:
            stats["languages"] = {
                "method": LANGUAGE_METHOD,
                "declared": self._declared_languages,
                "counts": self._languages.top(top),
            }
        if self._conversations:
            conversations = self._conversations
            stats["turns"] = {str(k): v for k, v in sorted(self._turns.items())}
            stats["response_length"] = self._length_stats()
            stats["refusals"] = {
                "count": self._refusals,
                "share": round(self._refusals / conversations, 4),
                "phrases": dict(self._refusal_phrases.most_common(top)),
            }
            stats["tool_use"] = {
                "count": self._tool_use,
                "share": round(self._tool_use / conversations, 4),
            }
        return stats

    def _variant_stats(self, top: int) -> dict[str, Any]:
        total = self._variants.total
        listed = []
        for value, count in self._variants.top(top).items():
            entry: dict[str, Any] = {
                "variant": value,
                "count": count,
                "share": round(count / total, 4),
            }
            if value in self._excerpts:
                excerpt = self._excerpts[value]
                entry["excerpt"] = excerpt + ("…" if len(excerpt) >= PROMPT_EXCERPT else "")
            listed.append(entry)
        return {
            "distinct": len([v for v in self._variants.counts if v != NO_SYSTEM_PROMPT])
            + (1 if self._variants.overflow else 0),
            "without": self._variants.counts.get(NO_SYSTEM_PROMPT, 0),
            "top": listed,
        }

    def _length_stats(self) -> dict[str, Any]:
        use_tokens = len(self._response_tokens) == len(self._response_chars)
        values = self._response_tokens if use_tokens else self._response_chars
        edges = TOKEN_BUCKETS if use_tokens else CHAR_BUCKETS
        ordered = sorted(values)
        buckets = Counter(_bucket(value, edges) for value in ordered)
        names = [_bucket(edge - 1, edges) for edge in edges] + [_bucket(edges[-1], edges)]
        result: dict[str, Any] = {
            "unit": "tokens" if use_tokens else "chars",
            "buckets": {name: buckets.get(name, 0) for name in names},
        }
        if ordered:
            result.update(
                min=ordered[0],
                p50=round(_percentile(ordered, 0.5), 2),
                p95=round(_percentile(ordered, 0.95), 2),
                max=ordered[-1],
            )
        return result


def _entropy(counts: Mapping[str, int]) -> float:
    """Shannon entropy of the distribution divided by its maximum, log(classes): 1 is uniform."""
    total = sum(counts.values())
    classes = len(counts)
    if classes < 2 or total == 0:
        return math.nan
    entropy = -sum((n / total) * math.log(n / total) for n in counts.values() if n)
    return entropy / math.log(classes)


def _rounded(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 4)
