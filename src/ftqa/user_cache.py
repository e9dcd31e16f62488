"""Where ftqa keeps what it builds once and reuses: the user cache directory.

`FTQA_CACHE_DIR` when set; otherwise `$XDG_CACHE_HOME/ftqa`, or `~/.cache/ftqa`. Everything in it
can be deleted at any time; it is rebuilt on the next run that needs it. This module imports
nothing heavy, so the tokenizer and the embedding models can both use it.

The embeddings in it are bounded: `FTQA_EMBEDDING_CACHE_MAX_MB` (or the configuration key
`embedding-cache-max-mb`), 2048 MB by default, see `ftqa.semantic.eviction`.
"""

from __future__ import annotations

import os
from pathlib import Path

from ftqa.errors import ConfigError

EMBEDDING_CACHE_MAX_MB_ENV = "FTQA_EMBEDDING_CACHE_MAX_MB"
# The static model's vectors of a 1M-prompt dataset take about 520 MB (256 float16 components
# and an 8-byte key each): the default keeps the last three or four large datasets warm.
DEFAULT_EMBEDDING_CACHE_MAX_MB = 2048


def cache_root(override: str | os.PathLike[str] | None = None) -> Path:
    """The ftqa cache directory (not created here)."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get("FTQA_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "ftqa"


def embedding_cache_max_mb() -> int:
    """The embedding cache's bound in MB: `FTQA_EMBEDDING_CACHE_MAX_MB` when set, else the
    default. A value that is not a whole number of at least 1 is a `ConfigError`."""
    text = os.environ.get(EMBEDDING_CACHE_MAX_MB_ENV, "").strip()
    if not text:
        return DEFAULT_EMBEDDING_CACHE_MAX_MB
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise ConfigError(
            f"{EMBEDDING_CACHE_MAX_MB_ENV}: expected a whole number of megabytes (1 or more), "
            f"got {shown!r}"
        )
    return value
