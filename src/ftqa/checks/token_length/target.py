"""Which model the `token_length` checker counts for, and what it reports about that choice:
an unknown model name counted with another tokenizer as an estimate (never silently), and
examples a local model's chat template refuses to render."""

from __future__ import annotations

import dataclasses
from array import array
from collections import Counter
from collections.abc import Mapping

from ftqa.records import Record
from ftqa.tokens import Profile, ProfileConfig, UnknownProfileError, get_profile
from ftqa.tokens.prices import (
    DEFAULT_EPOCHS,
    params_from_folder,
    params_from_name,
    provider_price,
    split_provider,
)

# Refusals are reported once for a file when at least REFUSED_MIN_ROWS rows, and more than
# REFUSED_FILE_SHARE of its rows, are refused; else one by one.
REFUSED_FILE_SHARE = 0.5
REFUSED_MIN_ROWS = 20


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


class Refusals:
    """Rows a chat template refused: where they are and the first reason per file."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[array[int], array[int]]] = {}
        self.reasons: dict[str, str] = {}
        self.seen: Counter[str] = Counter()

    def saw(self, record: Record) -> None:
        self.seen[record.file] += 1

    def add(self, record: Record, reason: str) -> None:
        rows, lines = self.rows.setdefault(record.file, (array("q"), array("q")))
        rows.append(record.row)
        lines.append(record.line if record.line is not None else -1)
        self.reasons.setdefault(record.file, reason)

    def messages(self, model: str) -> list[tuple[str, int | None, int | None, str]]:
        """(file, line, row, message) of each finding: one per refused row, or one for the
        file when most of its rows are refused."""
        out: list[tuple[str, int | None, int | None, str]] = []
        for file, (rows, lines) in self.rows.items():
            refused, seen, reason = len(rows), self.seen[file], self.reasons[file]
            if refused >= REFUSED_MIN_ROWS and refused > REFUSED_FILE_SHARE * seen:
                out.append(
                    (
                        file,
                        None,
                        None,
                        f"{model}'s chat template refuses {refused:,} of {seen:,} examples "
                        f"(the first: {reason}); the trainer will stop on them too",
                    )
                )
                continue
            message = f"{model}'s chat template refuses the example: {reason}"
            out.extend(
                (file, line if line >= 0 else None, row, message)
                for row, line in zip(rows, lines, strict=True)
            )
        return out
