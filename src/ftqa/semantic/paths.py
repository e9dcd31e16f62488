"""The cache directory (`ftqa.user_cache.cache_root`) and the offline switch of the Hugging Face
libraries."""

from __future__ import annotations

import os

from ftqa.user_cache import cache_root

__all__ = ["OFFLINE_ENV", "cache_root", "force_offline"]

OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}


def force_offline() -> None:
    """Make Hugging Face libraries fail fast instead of reaching for the network.

    Only sets variables the user has not set; ftqa never downloads a model.
    """
    for name, value in OFFLINE_ENV.items():
        os.environ.setdefault(name, value)
