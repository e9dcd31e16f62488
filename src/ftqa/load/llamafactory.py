"""LLaMA-Factory's `dataset_info.json`: when a dataset file sits next to one, the columns and tags
its entry declares say which of the file's keys are the prompt, the conversation, the roles.

Only the entry whose `file_name` is the file's own name is used. `ftqa.formats.llamafactory` turns
it into a field mapping that the normalizer applies like `--map`; a `--map` given by the user wins
over it key by key.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

INFO_FILE = "dataset_info.json"
MAX_INFO_BYTES = 16 << 20


def declared_entry(path: str) -> tuple[str, dict[str, Any]] | None:
    """(dataset name, entry) of the `dataset_info.json` in `path`'s folder that names the file."""
    if not os.path.isfile(path):
        return None
    entries = _entries(str(Path(path).resolve().parent / INFO_FILE))
    if not entries:
        return None
    name = Path(path).name
    for dataset, entry in entries.items():
        if isinstance(entry, dict) and entry.get("file_name") == name:
            return str(dataset), entry
    return None


@functools.lru_cache(maxsize=32)
def _entries(info_path: str) -> dict[str, Any] | None:
    try:
        if os.path.getsize(info_path) > MAX_INFO_BYTES:
            return None
        with open(info_path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None  # no file, or not one we can read: the file is read as it is
    return data if isinstance(data, dict) else None
