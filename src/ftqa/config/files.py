"""Configuration files: which ones are discovered, how they are read, and their identity.

Discovery looks for the documented names only, `ftqa.toml` then `pyproject.toml` with a
`[tool.ftqa]` table, in the dataset's directory and then each parent directory; the first
found applies. A file passed explicitly (`--config FILE`) may have any name. Every file
applied is recorded with its sha256 so that a report can say exactly which one it was.
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftqa.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONFIG_FILES = ("ftqa.toml", "pyproject.toml")


@dataclass(frozen=True)
class ConfigFile:
    """A configuration file that was applied: where it is, its bytes' sha256, and whether it
    was found by searching upward from the dataset (True) or named explicitly (False)."""

    path: str
    sha256: str
    discovered: bool


def read_config_file(path: Path, discovered: bool = False) -> tuple[dict[str, Any], ConfigFile]:
    """The ftqa settings in `path` (the `[tool.ftqa]` table of a `pyproject.toml`, else the
    whole file) and the file's identity."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as error:
        raise ConfigError(f"{path}: no such configuration file") from error
    except IsADirectoryError as error:
        raise ConfigError(f"{path}: is a directory, not a configuration file") from error
    except OSError as error:
        reason = error.strerror or str(error)
        raise ConfigError(f"{path}: cannot read configuration ({reason})") from error
    try:
        parsed = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read configuration ({error})") from error
    except RecursionError as error:
        raise ConfigError(f"{path}: cannot read configuration (nested too deeply)") from error
    shown = _shown(path) if discovered else os.fspath(path)
    identity = ConfigFile(shown, hashlib.sha256(data).hexdigest(), discovered)
    if path.name == "pyproject.toml":
        tool = parsed.get("tool", {})
        return (dict(tool.get("ftqa", {})) if isinstance(tool, dict) else {}), identity
    return parsed, identity


def discover(start: Path) -> Path | None:
    """The nearest `ftqa.toml` or `pyproject.toml` with a `[tool.ftqa]` table, walking up from
    `start` (a file's directory, or a directory)."""
    directory = start if start.is_dir() else start.parent
    for folder in (directory.resolve(), *directory.resolve().parents):
        for name in CONFIG_FILES:
            candidate = folder / name
            if not candidate.is_file():
                continue
            if name == "pyproject.toml" and not read_config_file(candidate)[0]:
                continue
            return candidate
    return None


def _shown(path: Path) -> str:
    """A discovered file's path as a user reads it: relative to the working directory when
    that is shorter than the absolute path."""
    text = os.fspath(path)
    if not path.is_absolute():
        return text
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return text
    return relative if len(relative) < len(text) else text
