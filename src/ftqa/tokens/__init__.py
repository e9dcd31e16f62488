"""Token counting for target models, offline.

Public API (stable; other checkers use it):

- `get_profile(name: str | None, custom=None) -> Profile` — a built-in profile (or alias,
  e.g. "gpt-4o-mini"), a user profile from `custom` (the `token_length` checker's `profiles`
  table), a tiktoken encoding name, or a local `tokenizer.json` path. `None` gives the default,
  `gpt-4o-mini-2024-07-18` (o200k_base). Unknown names raise `UnknownProfileError` (a KeyError).
- `Profile.special_tokens: frozenset[str]` — for tiktoken encodings, the encoding's
  `special_tokens_set` (answered without loading the vocabulary); for Hugging Face tokenizers,
  the added tokens marked special.
- `Profile.encoding_name` — "o200k_base", "cl100k_base", or None for a Hugging Face tokenizer.
- `count_tokens(profile, text) -> int` — tiktoken `encode_ordinary` (leaked special-token text
  counts as text). With no verified vocabulary the count is an estimate (`profile.exact` is
  False and `profile.tokenizer.source` says why).
"""

from __future__ import annotations

from ftqa.tokens.encodings import (
    ENCODINGS,
    EstimateTokenizer,
    HuggingFaceTokenizer,
    TiktokenTokenizer,
    Tokenizer,
    VocabularyNotFound,
)
from ftqa.tokens.loading import load_encoding, load_tokenizer
from ftqa.tokens.profiles import (
    DEFAULT_PROFILE,
    Profile,
    ProfileConfig,
    UnknownProfileError,
    count_tokens,
    get_profile,
    openai_default_epochs,
    profile_data,
    profile_names,
)

__all__ = [
    "DEFAULT_PROFILE",
    "ENCODINGS",
    "EstimateTokenizer",
    "HuggingFaceTokenizer",
    "Profile",
    "ProfileConfig",
    "TiktokenTokenizer",
    "Tokenizer",
    "UnknownProfileError",
    "VocabularyNotFound",
    "count_tokens",
    "get_profile",
    "load_encoding",
    "load_tokenizer",
    "openai_default_epochs",
    "profile_data",
    "profile_names",
]
