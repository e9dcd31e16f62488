"""Options of the `token_length` checker (`[tool.ftqa.token_length]`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ftqa.checker import Options
from ftqa.tokens import ProfileConfig, UnknownProfileError, get_profile
from ftqa.tokens.prices import price_data, split_provider


class LocalOptions(BaseModel):
    """`[tool.ftqa.token_length.local]`: the machine a local fine-tune runs on."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    gpu: str = Field("A100-80GB", description="GPU type (see prices.toml [local.gpus]).")
    gpus: int = Field(1, ge=1, description="GPUs training together.")
    usd_per_hour: float | None = Field(
        None, ge=0, alias="usd-per-hour", description="What the machine costs per hour."
    )
    method: Literal["lora", "full"] = Field("lora", description="LoRA or full fine-tuning.")
    utilization: float | None = Field(
        None, gt=0, le=1, description="Share of peak FLOP/s reached (default 0.35)."
    )
    params_billion: float | None = Field(
        None, gt=0, alias="params-billion", description="Model size when ftqa cannot read it."
    )

    @field_validator("gpu")
    @classmethod
    def _known_gpu(cls, value: str) -> str:
        known = price_data()["local"]["gpus"]
        if value not in known:
            raise ValueError(f"unknown GPU {value!r} (known: {', '.join(known)})")
        return value


class TokenLengthOptions(Options):
    model: str | None = Field(
        None,
        description="Target model when --model is not given: a built-in profile, an alias, "
        "a profile from `profiles`, a tiktoken encoding or a tokenizer.json path.",
    )
    max_tokens: int | None = Field(
        None, ge=1, description="Override the model's maximum example length (e.g. your trainer's)."
    )
    near_limit_fraction: float = Field(
        0.10, ge=0, lt=1, description="Report examples within this fraction below the limit."
    )
    outlier_iqr_factor: float = Field(
        3.0, gt=0, description="Length outliers lie beyond Q1 - k·IQR or Q3 + k·IQR."
    )
    outlier_min_rows: int = Field(
        20, ge=4, description="Look for length outliers only with at least this many examples."
    )
    truncation: Literal["end", "start"] = Field(
        "end", description="Which end a trainer cuts from over-long examples (OpenAI: end)."
    )
    profiles: dict[str, ProfileConfig] = Field(
        default_factory=dict, description="User-defined target-model profiles by name."
    )
    prices: dict[str, float] = Field(
        default_factory=dict,
        description="Training prices overriding ftqa's data, USD per 1M trained tokens, by "
        '"provider:model" or "provider:bracket" (e.g. "together:up-to-16b").',
    )
    local: LocalOptions = Field(
        default_factory=lambda: LocalOptions(),
        description="The machine for `--model local:MODEL` estimates.",
    )

    @model_validator(mode="after")
    def _known_model(self) -> TokenLengthOptions:
        provider, model = split_provider(self.model)
        if self.model is not None and provider is None:
            try:
                get_profile(model, self.profiles)
            except UnknownProfileError as error:
                raise ValueError(str(error)) from None
        return self
