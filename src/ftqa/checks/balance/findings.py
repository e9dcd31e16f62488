"""Dataset-wide findings of the `balance` checker: dominant values, imbalance, refusals, size."""

from __future__ import annotations

from collections.abc import Iterator

from ftqa.checks.balance.distribution import _Distribution, _entropy, _percent
from ftqa.checks.balance.options import NO_SYSTEM_PROMPT
from ftqa.finding import Finding

OPENAI_MINIMUM = 10


class BalanceFindings:
    """Mixin of `BalanceChecker` (its attributes are set there)."""

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
