"""The `balance` checker's statistics (`stats.balance`): every distribution it kept."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ftqa.checks.balance.distribution import _bucket, _entropy, _percentile, _rounded
from ftqa.checks.balance.options import NO_SYSTEM_PROMPT, PROMPT_EXCERPT

CHAR_BUCKETS = (100, 500, 2000, 8000)
TOKEN_BUCKETS = (32, 128, 512, 2048)


LANGUAGE_METHOD = (
    "script and stopword heuristic (ftqa.checks.balance.language); declared keys first"
)


class BalanceStatistics:
    """Mixin of `BalanceChecker` (its attributes are set there)."""

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
