"""Training cost estimate and hyperparameter starting points.

Billed tokens follow the OpenAI cookbook: each example counts up to the model's limit
(longer ones are truncated), the sum is multiplied by the epoch count, and the price is per
million billed tokens: estimate = Σ min(limit, tokens) × epochs × price / 1,000,000.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from ftqa.tokens.prices import STALE_DAYS, shown_source
from ftqa.tokens.profiles import (
    MAX_DEFAULT_EPOCHS,
    MAX_TARGET_EXAMPLES,
    MIN_DEFAULT_EPOCHS,
    MIN_TARGET_EXAMPLES,
    Profile,
    profile_data,
)

# Published guidance the recommendations quote (OpenAI fine-tuning guide and cookbook).
EPOCHS_START = (2, 4)
BATCH_SHARE = (0.0001, 0.04)  # batch size about 0.01%–4% of the training set
LR_MULTIPLIER = (0.02, 0.2)
PROMPT_LOSS_WEIGHT = 0.1


def billable_tokens(totals: Iterable[int] | np.ndarray, limit: int | None) -> int:
    """Σ min(limit, tokens) over the examples (no cap when the limit is unknown)."""
    values = (
        totals if isinstance(totals, np.ndarray) else np.fromiter(totals, dtype=np.int64)
    ).astype(np.int64, copy=False)
    if limit is not None:
        values = np.minimum(values, limit)
    return int(values.sum())


@dataclass(frozen=True, slots=True)
class CostEstimate:
    model: str
    examples: int
    tokens_per_epoch: int
    epochs: int
    epochs_source: str  # "--epochs" or the rule that chose it
    price_per_million: float | None
    max_tokens: int | None

    @property
    def billed_tokens(self) -> int:
        return self.tokens_per_epoch * self.epochs

    @property
    def estimate_usd(self) -> float | None:
        if self.price_per_million is None:
            return None
        return round(self.billed_tokens * self.price_per_million / 1_000_000, 8)


def estimate(
    profile: Profile,
    tokens_per_epoch: int,
    examples: int,
    epochs: int | None = None,
    max_tokens: int | None = None,
) -> CostEstimate:
    """The estimate for `profile`; `epochs` (from --epochs) wins over the provider's rule."""
    if epochs is not None:
        chosen, source = epochs, "--epochs"
    else:
        chosen = profile.default_epochs(examples)
        source = (
            "OpenAI's default rule"
            if profile.epochs_rule == "openai"
            else f"{profile.name}'s default"
        )
    return CostEstimate(
        model=profile.name,
        examples=examples,
        tokens_per_epoch=tokens_per_epoch,
        epochs=chosen,
        epochs_source=source,
        price_per_million=profile.price_per_million,
        max_tokens=max_tokens if max_tokens is not None else profile.max_tokens,
    )


def assumptions(
    cost: CostEstimate, profile: Profile, exact: bool, notes: Sequence[str]
) -> list[str]:
    """The assumptions behind an estimate, spelled out for the report."""
    lines = [
        f"Billed tokens = Σ min({_int(cost.max_tokens)}, tokens per example) over "
        f"{cost.examples:,} training examples = {cost.tokens_per_epoch:,} per epoch, "
        f"× {cost.epochs} epochs = {cost.billed_tokens:,}.",
    ]
    if profile.price_info is not None:
        lines.extend(profile.price_info.describe())
    elif profile.provider == "local":
        lines.append(
            f"Price: ${cost.price_per_million:.4g} per 1M trained tokens, from the machine's "
            "$/hour and the throughput below."
        )
    else:
        lines.append(
            f"Price: ${cost.price_per_million:g} per 1M training tokens ({profile.name}, "
            + (
                f"from ftqa's profile data as of {profile_data().date}; check the provider's "
                "current price list)."
                if profile.builtin
                else "from your profile configuration)."
            )
        )
    if cost.epochs_source == "--epochs":
        lines.append(f"Epochs: {cost.epochs}, as given with --epochs.")
    elif profile.epochs_rule == "openai":
        lines.append(
            f"Epochs: {cost.epochs}, OpenAI's default rule for {cost.examples:,} examples "
            f"(3, raised or lowered so examples × epochs stays within "
            f"{MIN_TARGET_EXAMPLES}…{MAX_TARGET_EXAMPLES:,}, bounded "
            f"{MIN_DEFAULT_EPOCHS}…{MAX_DEFAULT_EPOCHS}); pass --epochs to price another count."
        )
    else:
        lines.append(f"Epochs: {cost.epochs}, the profile's default; pass --epochs to change.")
    if profile.model_path is not None:
        lines.append(
            f"Tokens per example are {profile.model_path}'s chat template rendering of it "
            "(apply_chat_template), template tokens included."
        )
    else:
        lines.append(
            "Tokens per example include the chat format's overhead "
            f"({profile.tokens_per_message} per message plus its role, "
            f"{profile.tokens_per_name} per name, {profile.reply_priming} to prime the reply), "
            "as in the OpenAI cookbook."
        )
    lines.append("Validation examples are not included.")
    if not exact:
        lines.append(
            "Token counts are an ESTIMATE (about 4 characters per token): no verified "
            "tokenizer vocabulary was available."
        )
    lines.extend(notes)
    return lines


def stale_price_advice(profile: Profile, today: date | None = None) -> str | None:
    """A warning line when the target's price is older than six months (None otherwise)."""
    info = profile.price_info
    if info is not None:
        if info.overridden or not info.stale(today):
            return None
        when, where = info.date, info.source
    elif profile.builtin and profile.price_per_million is not None:
        data = profile_data()
        when, where = data.date, data.source
        try:
            age = ((today or date.today()) - date.fromisoformat(when)).days
        except ValueError:
            return None
        if age <= STALE_DAYS:
            return None
    else:
        return None
    return (
        f"Price check: the {profile.name} price dates from {when}, more than six months ago; "
        f"check {shown_source(where)} before relying on the cost estimate, or set your own in "
        "[tool.ftqa.token_length.prices]."
    )


def cost_range(
    profiles: Iterable[Profile],
    count_for: Any,
    examples: int,
    epochs: int | None,
) -> list[dict[str, Any]]:
    """The estimate for each priced profile; `count_for(profile)` returns its tokens per epoch
    (or None when it cannot be computed, e.g. another tokenizer's counts are unknown)."""
    rows: list[dict[str, Any]] = []
    for profile in profiles:
        if profile.price_per_million is None:
            continue
        tokens = count_for(profile)
        if tokens is None:
            continue
        cost = estimate(profile, tokens, examples, epochs)
        rows.append(
            {
                "model": profile.name,
                "provider": profile.provider,
                "encoding": profile.encoding_name,
                "max_tokens": profile.max_tokens,
                "epochs": cost.epochs,
                "billed_tokens": cost.billed_tokens,
                "price_per_million": profile.price_per_million,
                "estimate_usd": cost.estimate_usd,
            }
        )
    rows.sort(key=lambda row: (row["estimate_usd"], row["model"]))
    return rows


def recommendations(
    profile: Profile,
    examples: int,
    epochs: int,
    epochs_given: bool,
    total_tokens: int,
    trainable_tokens: int,
    median_tokens: float | None,
) -> list[str]:
    """Hyperparameter starting points, each tied to this dataset's numbers."""
    if examples <= 0:
        return []
    advice: list[str] = []
    low, high = EPOCHS_START
    rule = profile.default_epochs(examples)
    default = (
        f"OpenAI's default rule would run {rule}"
        if profile.epochs_rule == "openai"
        else f"{profile.name}'s default is {rule}"
    )
    if examples < MIN_TARGET_EXAMPLES:
        start = max(high, min(rule, 10))
        why = (
            f"with only {examples:,} examples more passes are usual ({default}, so that about "
            f"{MIN_TARGET_EXAMPLES} examples are seen in total); watch the validation loss for "
            "overfitting"
        )
    elif examples * 3 > MAX_TARGET_EXAMPLES:
        start = low
        why = f"with {examples:,} examples each epoch is already long ({default})"
    else:
        start = 3
        why = f"{examples:,} examples is a mid-sized set ({default})"
    chosen = f"; you chose {epochs}" if epochs_given else ""
    advice.append(
        f"n_epochs: start with {start} (the usual starting range is {low}–{high}, more for "
        f"small sets, fewer for large ones); {why}{chosen}. Add 1–2 if the model does not yet "
        "follow the training format, remove 1 if its outputs lose diversity."
    )
    small = max(1, round(examples * BATCH_SHARE[0]))
    large = max(1, round(examples * BATCH_SHARE[1]))
    span = f"{small}" if small == large else f"{small}–{large}"
    advice.append(
        f"batch_size: about {span} for {examples:,} examples (0.01%–4% of the "
        "training set); larger batches give smoother updates and pair with a larger "
        "learning-rate multiplier."
    )
    advice.append(
        f"learning_rate_multiplier: try {LR_MULTIPLIER[0]}–{LR_MULTIPLIER[1]}; "
        + (
            "start near the top of the range with a batch size near "
            f"{large}, near the bottom with a batch size near {small}."
            if large > small
            else "with so few examples, start low (0.05) and raise it if the loss stays high."
        )
    )
    if total_tokens > 0:
        share = 1 - trainable_tokens / total_tokens
        typical = f" (median example {median_tokens:,.0f} tokens)" if median_tokens else ""
        if profile.supports_prompt_loss_weight:
            advice.append(
                f"prompt_loss_weight: {PROMPT_LOSS_WEIGHT}; {share:.0%} of this dataset's tokens "
                f"are prompt{typical}, so a small weight keeps the loss on the answers."
            )
        else:
            advice.append(
                f"prompt_loss_weight: {profile.name} trains on assistant tokens only (no prompt "
                f"loss weight to set); {share:.0%} of this dataset's tokens are prompt{typical} "
                f"and are billed but not learned. With a trainer that supports it, "
                f"{PROMPT_LOSS_WEIGHT} is the usual value."
            )
    return advice


def _int(value: int | None) -> str:
    return "no limit" if value is None else f"{value:,}"
