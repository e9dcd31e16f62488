"""Where ftqa keeps what it builds once and reuses: the user cache directory.

`FTQA_CACHE_DIR` when set; otherwise `$XDG_CACHE_HOME/ftqa`, or `~/.cache/ftqa`. Everything in it
can be deleted at any time; it is rebuilt on the next run that needs it. This module imports
nothing heavy, so the tokenizer and the embedding models can both use it.
"""

from __future__ import annotations

import os
from pathlib import Path


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
