"""The configuration fingerprint: sha256 of the resolved configuration as canonical JSON."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from enum import Enum
from typing import Any

from pydantic import BaseModel

from ftqa.config import Settings
from ftqa.registry import checkers


def _canonical(value: Any) -> Any:
    """Plain JSON data with a stable order: sets become sorted lists (their iteration order
    changes between processes), models become dicts, other objects their `str`."""
    if isinstance(value, BaseModel):
        return _canonical(value.model_dump(mode="python"))
    if isinstance(value, Mapping):
        return {str(key): _canonical(item) for key, item in value.items()}
    if isinstance(value, (set, frozenset)):
        items = [_canonical(item) for item in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, default=str))
    if isinstance(value, (list, tuple)):
        return [_canonical(item) for item in value]
    if isinstance(value, Enum):
        return _canonical(value.value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def config_document(settings: Settings) -> dict[str, Any]:
    """The resolved configuration as plain JSON data: global settings, then per installed
    checker its version, `enabled`, severity overrides and validated options."""
    glob = _canonical(settings.globals)
    for key in ("select", "ignore", "extra_roles", "extra_keys"):
        if isinstance(glob.get(key), list):
            glob[key] = sorted(glob[key])
    tables = {}
    for check_id, cls in sorted(checkers().items()):
        table = settings.tables.get(check_id)
        options = settings.options_for(check_id)
        tables[check_id] = {
            "version": str(cls.version),
            "enabled": table.enabled if table is not None else True,
            "severity": {
                rule: level.value
                for rule, level in sorted((table.severity if table else {}).items())
            },
            "options": _canonical(options) if options is not None else {},
        }
    return {"globals": glob, "checkers": tables}


def config_fingerprint(settings: Settings) -> str:
    """sha256 of `config_document` as canonical JSON (sorted keys, no whitespace)."""
    text = json.dumps(
        config_document(settings), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
