"""Where the model will be trained: provider prices (`prices.toml`) and the local GPU estimate.

`--model together:meta-llama/Meta-Llama-3.1-8B-Instruct-Reference` names a provider and a model.
The provider decides the price (Together by the model's size bracket; Mistral, Azure OpenAI and
Vertex per model); the model decides the tokenizer (see `get_profile`). `local:MODEL` prices GPU
hours instead: trained tokens ÷ a throughput derived from the GPU's peak FLOP/s, the model's size
and an assumed utilization, times the user's $/hour, with every assumption printed.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PRICES_FILE = Path(__file__).with_name("prices.toml")
PROVIDERS = ("together", "mistral", "azure", "vertex", "local")
STALE_DAYS = 183  # six months
# Epochs the provider runs when none are given (Azure follows OpenAI's rule).
DEFAULT_EPOCHS = {"together": 1, "mistral": 1, "vertex": 3, "local": 3}
_SIZE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*[bB](?![a-zA-Z])")


@dataclass(frozen=True)
class Price:
    provider: str
    key: str
    usd_per_million: float
    date: str
    source: str
    confirmed: bool
    note: str = ""
    hosting_usd_per_hour: float | None = None
    storage_usd_per_month: float | None = None
    max_tokens: int | None = None
    overridden: bool = False

    def age_days(self, today: date | None = None) -> int | None:
        try:
            published = date.fromisoformat(self.date)
        except ValueError:
            return None
        return ((today or date.today()) - published).days

    def stale(self, today: date | None = None) -> bool:
        age = self.age_days(today)
        return age is not None and age > STALE_DAYS

    def describe(self, today: date | None = None) -> list[str]:
        """The price's provenance, for the estimate's assumptions."""
        if self.overridden:
            return [f"Price: ${self.usd_per_million:g} per 1M trained tokens, from your settings."]
        lines = [
            f"Price: ${self.usd_per_million:g} per 1M trained tokens ({self.provider} "
            f"`{self.key}`), as of {self.date}; source: {shown_source(self.source)}."
        ]
        if not self.confirmed:
            lines.append(
                "This price could not be confirmed against a stored copy of its source: treat "
                "it as indicative and check the provider's price list."
            )
        if self.stale(today):
            lines.append(
                f"WARNING: the price dates from {self.date}, more than six months ago; prices "
                "change, check the source before relying on the estimate."
            )
        if self.note:
            lines.append(f"Note: {self.note}.")
        if self.hosting_usd_per_hour is not None:
            monthly = self.hosting_usd_per_hour * 730
            lines.append(
                f"Not included: hosting the fine-tuned model costs ${self.hosting_usd_per_hour:g} "
                f"per hour while it is deployed (about ${monthly:,.0f} per month), billed "
                "separately from training."
            )
        if self.storage_usd_per_month is not None:
            lines.append(
                f"Not included: storing the fine-tuned model costs "
                f"${self.storage_usd_per_month:g} per month."
            )
        return lines


def shown_source(source: str) -> str:
    """A source as report text: without the URL scheme, so no report carries a live link."""
    return re.sub(r"\bhttps?://", "", source)


def split_provider(name: str | None) -> tuple[str | None, str | None]:
    """("together", "meta-llama/...") for "together:meta-llama/..."; (None, name) otherwise."""
    if name and ":" in name:
        provider, _, model = name.partition(":")
        if provider.lower() in PROVIDERS:
            return provider.lower(), model
    return None, name


@functools.lru_cache(maxsize=1)
def price_data() -> dict[str, Any]:
    return tomllib.loads(PRICES_FILE.read_text(encoding="utf-8"))


def provider_price(
    provider: str,
    model: str,
    overrides: Mapping[str, float] | None = None,
    params_b: float | None = None,
) -> Price | None:
    """The training price of `model` on `provider`, or None when ftqa has none."""
    entries = price_data().get(provider) or []
    if provider == "together":
        size = params_b if params_b is not None else params_from_name(model)
        chosen = None
        if size is not None:
            chosen = next((e for e in entries if size <= e["max_params_b"]), None)
    else:
        chosen = next((e for e in entries if e["key"] == model), None) or next(
            (e for e in entries if e["key"].startswith(model) or model.startswith(e["key"])), None
        )
    for key in (f"{provider}:{model}", *([f"{provider}:{chosen['key']}"] if chosen else [])):
        if overrides and key in overrides:
            return Price(
                provider,
                chosen["key"] if chosen else model,
                float(overrides[key]),
                date.today().isoformat(),
                "your settings",
                True,
                max_tokens=chosen.get("max_tokens") if chosen else None,
                overridden=True,
            )
    if chosen is None:
        return None
    return Price(
        provider=provider,
        key=chosen["key"],
        usd_per_million=float(chosen["usd_per_million"]),
        date=str(chosen["date"]),
        source=chosen["source"],
        confirmed=bool(chosen.get("confirmed", False)),
        note=chosen.get("note", ""),
        hosting_usd_per_hour=chosen.get("hosting_usd_per_hour"),
        storage_usd_per_month=chosen.get("storage_usd_per_month"),
        max_tokens=chosen.get("max_tokens"),
    )


def params_from_name(name: str) -> float | None:
    """Billions of parameters written in a model name ("Llama-3.1-8B" -> 8.0)."""
    found = _SIZE.findall(name.rsplit("/", 1)[-1])
    return float(found[-1]) if found else None


def params_from_folder(folder: str | None) -> float | None:
    """Billions of parameters of a local model: its safetensors index, else its config."""
    if not folder:
        return None
    path = Path(folder)
    try:
        index = json.loads((path / "model.safetensors.index.json").read_text(encoding="utf-8"))
        size = index.get("metadata", {}).get("total_size")
        if isinstance(size, int) and size > 0:
            return size / 2 / 1e9  # bf16 / fp16 weights: two bytes per parameter
    except (OSError, ValueError, AttributeError):
        pass
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    hidden, layers = config.get("hidden_size"), config.get("num_hidden_layers")
    vocab = config.get("vocab_size") or 0
    inner = config.get("intermediate_size") or (4 * hidden if isinstance(hidden, int) else 0)
    if not (isinstance(hidden, int) and isinstance(layers, int)):
        return None
    per_layer = 4 * hidden * hidden + 3 * hidden * inner  # attention + gated MLP
    return (layers * per_layer + 2 * vocab * hidden) / 1e9


@dataclass(frozen=True)
class LocalEstimate:
    gpu: str
    gpus: int
    peak_tflops: float
    utilization: float
    params_b: float
    method: str
    usd_per_hour: float | None

    @property
    def flops_per_token(self) -> float:
        return (4 if self.method == "lora" else 6) * self.params_b * 1e9

    @property
    def tokens_per_second(self) -> float:
        return self.gpus * self.peak_tflops * 1e12 * self.utilization / self.flops_per_token

    def hours(self, tokens: int) -> float:
        return tokens / self.tokens_per_second / 3600

    @property
    def usd_per_million(self) -> float | None:
        if self.usd_per_hour is None:
            return None
        return self.usd_per_hour / (self.tokens_per_second * 3600) * 1e6

    def assumptions(self, tokens: int) -> list[str]:
        data = price_data()["local"]
        factor = 4 if self.method == "lora" else 6
        lines = [
            f"Local training on {self.gpus} × {self.gpu} ({self.peak_tflops:g} peak dense BF16 "
            f"TFLOP/s each) at {self.utilization:.0%} utilization; {self.method} fine-tuning of "
            f"a {self.params_b:.1f}B-parameter model costs {factor} × parameters = "
            f"{self.flops_per_token:.3g} FLOPs per token, so about "
            f"{self.tokens_per_second:,.0f} tokens per second.",
            f"{tokens:,} trained tokens take about {self.hours(tokens):,.1f} GPU-hours "
            f"(wall-clock, all {self.gpus} GPUs together).",
            f"Sources: {data['source']}; utilization is a planning assumption (set "
            "`local.utilization` to your measured value).",
        ]
        if self.usd_per_hour is not None:
            lines.append(f"At ${self.usd_per_hour:g} per hour for the machine, as you set it.")
        else:
            lines.append("No $/hour given (`local.usd-per-hour`): only the time is estimated.")
        return lines


def local_estimate(
    gpu: str,
    params_b: float,
    *,
    usd_per_hour: float | None = None,
    gpus: int = 1,
    method: str = "lora",
    utilization: float | None = None,
) -> LocalEstimate:
    data = price_data()["local"]
    known = data["gpus"]
    if gpu not in known:
        raise KeyError(f"unknown GPU {gpu!r} (known: {', '.join(known)})")
    return LocalEstimate(
        gpu=gpu,
        gpus=gpus,
        peak_tflops=float(known[gpu]),
        utilization=float(utilization if utilization is not None else data["utilization"]),
        params_b=params_b,
        method=method,
        usd_per_hour=usd_per_hour,
    )
