"""Template families: the control tokens of well-known chat templates (template_tokens.toml)."""

from __future__ import annotations

import fnmatch
import functools
import sys
from dataclasses import dataclass
from importlib import resources
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True)
class Family:
    name: str
    title: str
    source: str
    kind: str = "token"
    models: tuple[str, ...] = ()
    tokens: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


@functools.lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    path = resources.files("ftqa.checks").joinpath("template_tokens.toml")
    return tomllib.loads(path.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def families() -> dict[str, Family]:
    """The built-in template families, by name."""
    out: dict[str, Family] = {}
    for name, table in _data()["families"].items():
        out[name] = Family(
            name=name,
            title=table["title"],
            source=table["source"],
            kind=table.get("kind", "token"),
            models=tuple(table.get("models", ())),
            tokens=tuple(table.get("tokens", ())),
            patterns=tuple(table.get("patterns", ())),
            remove=tuple(table.get("remove", ())),
        )
    return out


def default_role_labels() -> tuple[list[str], list[str]]:
    table = _data()["role_labels"]
    return list(table["labels"]), list(table["turn_labels"])


def families_for_model(model: str) -> list[str]:
    """Families whose `models` patterns match the model name (or its last path part)."""
    name = model.strip().lower()
    base = name.rsplit("/", 1)[-1]
    return [
        family.name
        for family in families().values()
        if any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(base, p) for p in family.models)
    ]
