"""Which profile ftqa counts tokens for: `--model`, else the `token_length` checker's `model`
option; an unknown `--model` name is counted with the configured (or default) profile's
tokenizer as a labelled estimate, never silently; `PROVIDER:MODEL` takes the tokenizer from
MODEL and the price from the provider."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from ftqa.tokens.prices import (
    DEFAULT_EPOCHS,
    params_from_folder,
    params_from_name,
    provider_price,
    split_provider,
)
from ftqa.tokens.profiles import Profile, ProfileConfig, UnknownProfileError, get_profile


def resolve_target(
    requested: str | None,
    configured: str | None,
    custom: Mapping[str, ProfileConfig],
    prices: Mapping[str, float] | None = None,
) -> tuple[Profile, str | None]:
    """The profile to count with, and (for a model ftqa cannot tokenize for) the tokenizer used
    in its place as an estimate. `requested` is `--model`; `configured` the checker's `model`
    option. `PROVIDER:MODEL` takes the tokenizer from MODEL and the price from the provider."""
    name = requested or configured
    provider, model = split_provider(name)
    fallback = configured if requested and split_provider(configured)[0] is None else None
    profile, estimated = _tokens_for(model, fallback, custom, name, requested is not None)
    if provider is None:
        return profile, estimated
    price = None
    if provider != "local":
        size = params_from_folder(profile.model_path) or params_from_name(model or "")
        price = provider_price(provider, model or "", prices, size)
    limit = price.max_tokens if price and price.max_tokens else profile.max_tokens
    epochs = DEFAULT_EPOCHS.get(provider)
    return (
        dataclasses.replace(
            profile,
            name=name or "",
            provider=provider,
            price_per_million=price.usd_per_million if price else None,
            price_info=price,
            max_tokens=limit,
            epochs_rule="fixed" if epochs else "openai",
            epochs=epochs or profile.epochs,
            builtin=False,
        ),
        estimated,
    )


def _tokens_for(
    model: str | None,
    fallback: str | None,
    custom: Mapping[str, ProfileConfig],
    shown: str | None,
    may_estimate: bool,
) -> tuple[Profile, str | None]:
    """The profile of `model`; for a model ftqa cannot tokenize for, `fallback`'s (the default
    profile's) tokenizer as a labelled estimate when `may_estimate` (a `--model` name)."""
    try:
        return get_profile(model, custom), None
    except UnknownProfileError:
        if not may_estimate or model is None:
            raise
    base = get_profile(fallback, custom)
    used = f"{base.name}'s tokenizer ({base.encoding_name or base.tokenizer.source})"
    profile = dataclasses.replace(
        base,
        name=shown,
        max_tokens=None,
        price_per_million=None,
        builtin=False,
        notes=(
            f"ftqa has no profile for {model}: tokens are counted with {used} as an "
            "ESTIMATE; pass --model with a local model folder (or a model in your Hugging Face "
            "cache) for exact counts and its context limit"
        ),
    )
    return profile, used
