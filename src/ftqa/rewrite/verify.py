"""Read back a file ftqa wrote and count its rows, the writer's last check before it commits."""

from __future__ import annotations

import os

from ftqa.load import Limits, open_path


def count_rows(path: str | os.PathLike[str], kind: str, limits: Limits | None = None) -> int:
    """Rows in `path`, read as a file of `kind` exactly as `ftqa check` would read it."""
    if os.path.getsize(path) == 0:
        return 0
    return sum(1 for record in open_path(path, limits, kind).records() if record.row >= 0)
