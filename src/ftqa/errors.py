"""Exceptions raised by ftqa.

    FtqaError
    ├── ConfigError       a configuration key, value or option is invalid        (CLI exit 2)
    ├── InputError        an input cannot be read at all: missing, directory,    (CLI exit 2)
    │                     unreadable, binary, unknown file type
    ├── PluginError       a checker plugin failed to load or is malformed        (CLI exit 2)
    └── DatasetRejected   raised by `ftqa.require_clean` when a report fails; carries the report

Problems *inside* a readable dataset are never exceptions: they are findings in the report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ftqa.report import Report


class FtqaError(Exception):
    """Base class of every error ftqa raises on purpose."""


class ConfigError(FtqaError):
    pass


class InputError(FtqaError):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class PluginError(FtqaError):
    pass


class DatasetRejected(FtqaError):
    def __init__(self, report: Report) -> None:
        summary = report.summary
        super().__init__(
            f"dataset rejected: {summary.errors} errors, {summary.warnings} warnings, "
            f"{summary.infos} infos at or above the fail level"
        )
        self.report = report


# Not failures of a checker or a library: these must always propagate.
_CONTROL_FLOW = (KeyboardInterrupt, SystemExit, GeneratorExit)


def is_crash(error: BaseException) -> bool:
    """True for an error a guard should contain: any `Exception`, and also the panics that Rust
    extensions (tiktoken, tokenizers, rensa, ...) raise through pyo3 as `PanicException`, which
    derives from `BaseException` so that `except Exception` does not catch it."""
    return not isinstance(error, _CONTROL_FLOW)
