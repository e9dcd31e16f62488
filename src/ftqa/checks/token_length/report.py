"""The `token_length` checker's statistics, cost estimate, cost range and advice: computed at
the end of the pass from the per-row totals the checker kept."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ftqa.columns import IntColumn
from ftqa.tokens import Profile, UnknownProfileError, profile_data
from ftqa.tokens import cost as costs
from ftqa.tokens.prices import LocalEstimate, local_estimate, params_from_folder, params_from_name
from ftqa.tokens.rows import RowCounter
from ftqa.tokens.stats import histogram, percentile, summary


def other_counters(target: Profile) -> list[tuple[Profile, RowCounter]]:
    """One counter per other tokenizer among the priced built-in profiles."""
    others: list[tuple[Profile, RowCounter]] = []
    seen = {(target.encoding_name, target.tokenizer_path)}
    for profile in profile_data().profiles.values():
        key = (profile.encoding_name, profile.tokenizer_path)
        if key in seen or profile.price_per_million is None:
            continue
        seen.add(key)
        others.append((profile, RowCounter(profile)))
    return others


class TokenReport:
    """Mixin of `TokenLengthChecker` (its attributes are set there)."""

    _total: IntColumn
    _trainable: IntColumn
    _sample_other: dict[str, int]
    _sample_target: int
    _sampled: int
    _over: int
    _near: int
    _outliers: int
    _fences: tuple[float, float, float, float] | None
    _validation_rows: int
    _validation_tokens: int
    _estimated: str | None
    options: Any

    def _other_totals(self) -> dict[str, int]:
        """Each other tokenizer's total over the sampled rows."""
        return self._sample_other

    def stats(self) -> dict[str, Any]:
        try:
            profile = self.profile
        except UnknownProfileError:
            return {}
        tokenizer = profile.tokenizer
        limit = self.limit
        stats: dict[str, Any] = {
            "model": profile.name,
            "encoding": profile.encoding_name,
            "tokenizer": tokenizer.source,
            "exact": tokenizer.exact and self._estimated is None,
            "max_tokens": limit,
            "examples": len(self._total),
            "total": sum(self._total),
            "trainable": sum(self._trainable),
            "prompt": sum(self._total) - sum(self._trainable),
            "over_limit": self._over,
            "near_limit": self._near,
            "outliers": self._outliers,
            "percentile_method": "linear interpolation (Hyndman-Fan type 7, numpy 'linear')",
        }
        notes: list[str] = []
        if not tokenizer.exact:
            notes.append(f"Token counts are an ESTIMATE: {tokenizer.source}.")
        if limit is None:
            notes.append(f"No maximum example length is known for {profile.name}.")
        if profile.notes and not profile.builtin:
            notes.append(profile.notes)
        if profile.provider == "local":
            local = self._local()
            if local is None:
                notes.append(
                    "Local estimate: the model's size is unknown; set "
                    "[tool.ftqa.token_length.local] params-billion."
                )
            else:
                billed = costs.billable_tokens(self._total.numpy(), limit) * profile.default_epochs(
                    len(self._total)
                )
                notes.extend(local.assumptions(billed))
        if profile.model_path is not None:
            notes.append(
                f"Each example is rendered through {profile.name}'s chat template "
                f"(apply_chat_template); trainable tokens are {profile.local_model.mask_method}."
            )
        if len(self._total):
            ordered = sorted(self._total)
            stats["per_example"] = {
                "total": summary(ordered),
                "trainable": summary(sorted(self._trainable)),
                "prompt": summary(sorted(map(int.__sub__, self._total, self._trainable))),
            }
            stats["histogram"] = histogram(ordered)
        if self._fences is not None:
            q1, q3, lower, upper = self._fences
            stats["outlier_fences"] = {
                "q1": q1,
                "q3": q3,
                "lower": lower,
                "upper": upper,
                "factor": self.options.outlier_iqr_factor,
            }
        if self._validation_rows:
            stats["validation"] = {
                "examples": self._validation_rows,
                "total": self._validation_tokens,
            }
        stats["cost_range"] = self._cost_range()
        stats["profiles"] = {
            "source": profile_data().source,
            "date": profile_data().date,
        }
        if notes:
            stats["notes"] = notes
        return stats

    def _tokens_per_epoch(self, limit: int | None, scale: float = 1.0) -> int:
        totals = self._total.numpy()
        if scale != 1.0:
            totals = np.rint(totals * scale)  # half to even, as round() does
        return costs.billable_tokens(totals, limit)

    def _cost_range(self) -> list[dict[str, Any]]:
        examples = len(self._total)
        if not examples:
            return []
        target = self.profile

        def tokens_for(profile: Profile) -> int | None:
            if (profile.encoding_name, profile.tokenizer_path) == (
                target.encoding_name,
                target.tokenizer_path,
            ):
                return self._tokens_per_epoch(profile.max_tokens)
            totals = self._other_totals()
            other = totals.get(profile.name)
            if other is None:
                for name, sampled in totals.items():
                    same = profile_data().profiles[name]
                    if same.encoding_name == profile.encoding_name:
                        other = sampled
                        break
            if other is None or not self._sample_target:
                return None
            return self._tokens_per_epoch(profile.max_tokens, other / self._sample_target)

        rows = costs.cost_range(
            profile_data().profiles.values(), tokens_for, examples, self.context.epochs
        )
        for row in rows:
            row["target"] = row["model"] == target.name
            if row["encoding"] != target.encoding_name:
                row["approximate"] = (
                    f"token counts scaled from {self._sampled} sampled rows counted with "
                    f"{row['encoding']}"
                )
        return rows

    def extras(self) -> dict[str, Any]:
        examples = len(self._total)
        if not examples:
            return {}
        profile = self.profile
        limit = self.limit
        local = self._local() if profile.provider == "local" else None
        if local is not None and local.usd_per_million is not None:
            profile = dataclasses.replace(profile, price_per_million=local.usd_per_million)
        estimate = costs.estimate(
            profile, self._tokens_per_epoch(limit), examples, self.context.epochs, limit
        )
        total = sum(self._total)
        advice = costs.recommendations(
            profile,
            examples,
            estimate.epochs,
            self.context.epochs is not None,
            total,
            sum(self._trainable),
            percentile(sorted(self._total), 50),
        )
        stale = costs.stale_price_advice(profile)
        result: dict[str, Any] = {"recommendations": [*advice, *([stale] if stale else [])]}
        notes = []
        if self._over and limit is not None:
            notes.append(
                f"{examples_phrase(self._over)} over the {limit:,}-token limit: billed at the "
                "limit, as the provider truncates them."
            )
        if local is not None:
            notes = [*local.assumptions(estimate.billed_tokens), *notes]
        if self._estimated is not None:
            notes.append(
                f"Token counts are an ESTIMATE made with {self._estimated}: ftqa cannot "
                f"tokenize for {profile.name}."
            )
        if estimate.estimate_usd is not None and estimate.price_per_million is not None:
            result["cost"] = {
                "model": profile.name,
                "billed_tokens": estimate.billed_tokens,
                "epochs": estimate.epochs,
                "price_per_million": estimate.price_per_million,
                "estimate_usd": estimate.estimate_usd,
                "assumptions": costs.assumptions(estimate, profile, profile.tokenizer.exact, notes),
            }
        return result

    def _local(self) -> LocalEstimate | None:
        machine = self.options.local
        params = (
            machine.params_billion
            or params_from_folder(self.profile.model_path)
            or params_from_name(self.profile.name)
        )
        if params is None:
            return None
        return local_estimate(
            machine.gpu,
            params,
            usd_per_hour=machine.usd_per_hour,
            gpus=machine.gpus,
            method=machine.method,
            utilization=machine.utilization,
        )


def examples_phrase(count: int) -> str:
    return f"{count:,} example is" if count == 1 else f"{count:,} examples are"
