"""Target-model profiles: tokenizer, chat-format overhead, example length limit, price, epochs.

The built-in profiles are data (`profiles.toml` next to this module, with its `source` and
`date`). Users add their own in the `token_length` checker's configuration table
(`[tool.ftqa.token_length.profiles.<name>]`, validated by `ProfileConfig`), including open
models given as a local Hugging Face `tokenizer.json`.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ftqa.tokens.encodings import (
    ENCODINGS,
    EstimateTokenizer,
    Tokenizer,
)
from ftqa.tokens.hf_model import (
    LocalModel,
    cached_model_folder,
    context_limit,
    is_model_folder,
    load_local_model,
    transformers_available,
)
from ftqa.tokens.loading import load_hf_tokenizer, load_tokenizer
from ftqa.tokens.prices import Price

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PROFILES_FILE = Path(__file__).with_name("profiles.toml")

EpochsRule = Literal["openai", "fixed"]


class UnknownProfileError(KeyError):
    """`get_profile` was given a name that is not a profile, alias, encoding or tokenizer file."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = known
        super().__init__(name)

    def __str__(self) -> str:
        return f"unknown model {self.name!r}; known profiles: {', '.join(self.known)}"


@dataclass(frozen=True)
class Profile:
    """One target model.

    `encoding_name` is a tiktoken encoding (or None with `tokenizer_path`, a local Hugging Face
    `tokenizer.json`). Chat overhead follows the OpenAI cookbook: `tokens_per_message` per
    message plus the tokens of its role, `tokens_per_name` plus the name's tokens when a message
    has a name, `reply_priming` once per example. `max_tokens` is the longest training example
    the provider accepts (None: unknown); `price_per_million` the training price in USD per
    million billed tokens (None: unknown). `epochs_rule` is "openai" (the provider picks the
    epoch count from the dataset size, see `default_epochs`) or "fixed" (`epochs`).
    """

    name: str
    provider: str = "custom"
    encoding_name: str | None = "o200k_base"
    tokenizer_path: str | None = None
    max_tokens: int | None = None
    price_per_million: float | None = None
    tokens_per_message: int = 3
    tokens_per_name: int = 1
    reply_priming: int = 3
    epochs_rule: EpochsRule = "openai"
    epochs: int = 3
    supports_prompt_loss_weight: bool = False
    aliases: tuple[str, ...] = ()
    notes: str = ""
    builtin: bool = False
    # A local Hugging Face model folder whose chat template renders each example (see
    # `ftqa.tokens.hf_model`); then there is no per-message overhead to add.
    model_path: str | None = None
    # Where the price came from (provider-qualified targets: `together:...`, `azure:...`).
    price_info: Price | None = None
    _tokenizer: list[Tokenizer] = field(default_factory=list, repr=False, compare=False)

    @property
    def tokenizer(self) -> Tokenizer:
        """The tokenizer (loaded on first use; a labelled estimate if no vocabulary verifies)."""
        if not self._tokenizer:
            if self.model_path is not None:
                self._tokenizer.append(ModelTokenizer(self.local_model))
            elif self.tokenizer_path is not None:
                self._tokenizer.append(load_hf_tokenizer(self.tokenizer_path))
            elif self.encoding_name in ENCODINGS:
                self._tokenizer.append(load_tokenizer(self.encoding_name))
            else:
                self._tokenizer.append(
                    EstimateTokenizer(
                        name=str(self.encoding_name),
                        source=f"estimate: no tokenizer known for {self.encoding_name!r}",
                    )
                )
        return self._tokenizer[0]

    @property
    def local_model(self) -> LocalModel:
        """The model folder's tokenizer and chat template (only for `model_path` profiles)."""
        if self.model_path is None:
            raise ValueError(f"{self.name} is not a local model folder")
        return load_local_model(self.model_path)

    @property
    def special_tokens(self) -> frozenset[str]:
        """The tokenizer's special tokens (for tiktoken encodings, `special_tokens_set`).

        Known tiktoken encodings answer without loading the vocabulary."""
        if self.tokenizer_path is None and self.encoding_name in ENCODINGS:
            return frozenset(ENCODINGS[self.encoding_name].special_tokens)
        return self.tokenizer.special_tokens

    @property
    def exact(self) -> bool:
        """False when counts are a character-based estimate."""
        return self.tokenizer.exact

    def default_epochs(self, n_examples: int) -> int:
        """The epoch count the provider would pick for `n_examples` training examples."""
        if self.epochs_rule == "fixed":
            return self.epochs
        return openai_default_epochs(n_examples, self.epochs)


# The OpenAI cookbook ("Data preparation and analysis for chat model fine-tuning").
TARGET_EPOCHS = 3
MIN_TARGET_EXAMPLES = 100
MAX_TARGET_EXAMPLES = 25_000
MIN_DEFAULT_EPOCHS = 1
MAX_DEFAULT_EPOCHS = 25


def openai_default_epochs(n_examples: int, target: int = TARGET_EPOCHS) -> int:
    """3 epochs, raised so examples × epochs reaches 100 or lowered so it stays within 25,000,
    bounded to 1…25 — the cookbook's rule (integer division, as there)."""
    if n_examples <= 0:
        return target
    epochs = target
    if n_examples * epochs < MIN_TARGET_EXAMPLES:
        epochs = min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // n_examples)
    elif n_examples * epochs > MAX_TARGET_EXAMPLES:
        epochs = max(MIN_DEFAULT_EPOCHS, MAX_TARGET_EXAMPLES // n_examples)
    return epochs


class ProfileConfig(BaseModel):
    """A user-defined profile in `[tool.ftqa.token_length.profiles.<name>]`."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    encoding: str | None = Field(
        default=None, description="A tiktoken encoding: o200k_base or cl100k_base."
    )
    tokenizer: str | None = Field(
        default=None, description="Path to a local Hugging Face tokenizer.json (or its folder)."
    )
    base: str | None = Field(
        default=None, description="A built-in profile to copy unset values from."
    )
    max_tokens: int | None = Field(default=None, ge=1, alias="max-tokens")
    price_per_million: float | None = Field(default=None, ge=0, alias="price-per-million")
    tokens_per_message: int | None = Field(default=None, ge=0, alias="tokens-per-message")
    tokens_per_name: int | None = Field(default=None, ge=0, alias="tokens-per-name")
    reply_priming: int | None = Field(default=None, ge=0, alias="reply-priming")
    epochs: int | None = Field(
        default=None, ge=1, description="Fixed epoch count the trainer uses by default."
    )
    provider: str | None = None
    prompt_loss_weight: bool | None = Field(default=None, alias="prompt-loss-weight")

    @model_validator(mode="after")
    def _one_tokenizer(self) -> ProfileConfig:
        if self.encoding is not None and self.tokenizer is not None:
            raise ValueError("set either 'encoding' or 'tokenizer', not both")
        if self.encoding is not None and self.encoding not in ENCODINGS:
            raise ValueError(
                f"unknown encoding {self.encoding!r}; known: {', '.join(sorted(ENCODINGS))}"
            )
        if self.encoding is None and self.tokenizer is None and self.base is None:
            raise ValueError("set 'encoding', 'tokenizer' or 'base'")
        return self

    def build(self, name: str) -> Profile:
        """The profile: values set here, else the `base` profile's, else the defaults
        (cookbook chat overhead 3/1/3, no limit, no price, a fixed 3 epochs)."""
        values: dict[str, Any] = {"epochs_rule": "fixed"}
        if self.base is not None:
            base = get_profile(self.base)
            values = {
                key: getattr(base, key)
                for key in (
                    "provider",
                    "encoding_name",
                    "tokenizer_path",
                    "max_tokens",
                    "price_per_million",
                    "tokens_per_message",
                    "tokens_per_name",
                    "reply_priming",
                    "epochs_rule",
                    "epochs",
                    "supports_prompt_loss_weight",
                )
            }
        if self.encoding is not None:
            values.update(encoding_name=self.encoding, tokenizer_path=None)
        if self.tokenizer is not None:
            values.update(encoding_name=None, tokenizer_path=self.tokenizer)
        for key, value in (
            ("max_tokens", self.max_tokens),
            ("price_per_million", self.price_per_million),
            ("tokens_per_message", self.tokens_per_message),
            ("tokens_per_name", self.tokens_per_name),
            ("reply_priming", self.reply_priming),
            ("provider", self.provider),
            ("supports_prompt_loss_weight", self.prompt_loss_weight),
        ):
            if value is not None:
                values[key] = value
        if self.epochs is not None:
            values.update(epochs_rule="fixed", epochs=self.epochs)
        return Profile(name=name, **values)


@dataclass(frozen=True)
class ProfileData:
    source: str
    date: str
    default: str
    profiles: dict[str, Profile]
    aliases: dict[str, str]


@functools.lru_cache(maxsize=1)
def profile_data() -> ProfileData:
    """The built-in profiles from `profiles.toml`."""
    raw = tomllib.loads(PROFILES_FILE.read_text(encoding="utf-8"))
    profiles: dict[str, Profile] = {}
    aliases: dict[str, str] = {}
    for name, entry in raw["profiles"].items():
        profile = Profile(
            name=name,
            provider=entry["provider"],
            encoding_name=entry.get("encoding"),
            max_tokens=entry.get("max_tokens"),
            price_per_million=entry.get("price_per_million"),
            tokens_per_message=entry.get("tokens_per_message", 3),
            tokens_per_name=entry.get("tokens_per_name", 1),
            reply_priming=entry.get("reply_priming", 3),
            epochs_rule=entry.get("epochs_rule", "openai"),
            epochs=entry.get("epochs", TARGET_EPOCHS),
            supports_prompt_loss_weight=entry.get("prompt_loss_weight", False),
            aliases=tuple(entry.get("aliases", ())),
            notes=entry.get("notes", ""),
            builtin=True,
        )
        profiles[name] = profile
        for alias in profile.aliases:
            aliases[alias] = name
    return ProfileData(
        source=raw["source"],
        date=str(raw["date"]),
        default=raw["default"],
        profiles=profiles,
        aliases=aliases,
    )


DEFAULT_PROFILE = "gpt-4o-mini-2024-07-18"


def profile_names() -> list[str]:
    """Names of the built-in profiles (not aliases)."""
    return list(profile_data().profiles)


def get_profile(
    name: str | None = None, custom: Mapping[str, ProfileConfig] | None = None
) -> Profile:
    """The profile called `name`.

    None gives the default profile (`default` in profiles.toml: gpt-4o-mini-2024-07-18,
    o200k_base). A name may be a built-in profile or one of its aliases (e.g. "gpt-4o-mini"),
    a user profile from `custom`, a tiktoken encoding name ("o200k_base", "cl100k_base": no
    limit, no price), or a path to a local `tokenizer.json`. Raises `UnknownProfileError`.
    """
    data = profile_data()
    if name is None:
        return data.profiles[data.default]
    if custom and name in custom:
        return _custom_profile(name, custom[name])
    if name in data.profiles:
        return data.profiles[name]
    if name in data.aliases:
        return data.profiles[data.aliases[name]]
    if name in ENCODINGS:
        return _encoding_profile(name)
    path = Path(name).expanduser()
    if is_model_folder(path) and transformers_available():
        return _model_profile(str(path), name)
    if (path.name.endswith(".json") and path.is_file()) or (path / "tokenizer.json").is_file():
        return _path_profile(str(path))
    cached = cached_model_folder(name)
    if cached is not None and transformers_available():
        return _model_profile(cached, name)
    raise UnknownProfileError(name, sorted(data.profiles) + sorted(custom or ()))


@functools.lru_cache(maxsize=32)
def _custom_profile(name: str, config: ProfileConfig) -> Profile:
    return config.build(name)


@functools.lru_cache(maxsize=8)
def _encoding_profile(name: str) -> Profile:
    return Profile(name=name, provider="tiktoken", encoding_name=name, epochs_rule="fixed")


@functools.lru_cache(maxsize=8)
def _path_profile(path: str) -> Profile:
    return Profile(
        name=path,
        provider="huggingface",
        encoding_name=None,
        tokenizer_path=path,
        epochs_rule="fixed",
    )


@functools.lru_cache(maxsize=8)
def _model_profile(folder: str, name: str) -> Profile:
    return Profile(
        name=name,
        provider="huggingface",
        encoding_name=None,
        model_path=folder,
        max_tokens=context_limit(Path(folder), _config_max_length(Path(folder))),
        tokens_per_message=0,
        tokens_per_name=0,
        reply_priming=0,
        epochs_rule="fixed",
    )


def _config_max_length(folder: Path) -> Any:
    import json

    try:
        config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return config.get("model_max_length") if isinstance(config, dict) else None


@dataclass(frozen=True)
class ModelTokenizer:
    """The `Tokenizer` view of a local model folder (content counts, no special tokens)."""

    model: LocalModel
    exact: bool = True

    @property
    def name(self) -> str:
        return Path(self.model.path).name

    @property
    def source(self) -> str:
        return self.model.source

    @property
    def special_tokens(self) -> frozenset[str]:
        return self.model.special_tokens

    def count(self, text: str) -> int:
        return self.model.count(text)


def count_tokens(profile: Profile, text: str) -> int:
    """Tokens of `text` alone under `profile` (tiktoken `encode_ordinary`: special-token text
    counts as ordinary text), without any chat-format overhead."""
    return profile.tokenizer.count(text)
