"""Exceptions raised by ftqa.

    FtqaError
    ├── ConfigError       a configuration key, value or option is invalid        (CLI exit 2)
    ├── InputError        an input cannot be read at all: missing, directory,    (CLI exit 2)
    │                     unreadable, binary, unknown file type
    ├── PluginError       a checker plugin failed to load or is malformed        (CLI exit 2)
    └── DatasetRejected   raised by `ftqa.require_clean` when a report fails; carries the report

Problems *inside* a readable dataset are never exceptions: they are findings in the report.
Anything else that escapes a command (a full disk, a bug) becomes one line from
`failure_message` and exit 2: the command line never shows a traceback unless `FTQA_DEBUG=1`.
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


def failure_message(error: BaseException, subject: str, command: str) -> str:
    """One line for an error no code path expected: the file it concerns and the reason.

    `subject` names the inputs the command was working on, used when the error names no file.
    """
    if isinstance(error, OSError):
        name = error.filename2 or error.filename or subject
        reason = error.strerror or " ".join(str(error).split()) or type(error).__name__
        return f"{name}: {reason}"
    if isinstance(error, MemoryError):
        return f"{subject}: out of memory"
    if isinstance(error, RecursionError):
        return f"{subject}: nested too deeply to process (RecursionError)"
    text = " ".join(str(error).split())[:300]
    detail = f"{type(error).__name__}: {text}" if text else type(error).__name__
    return (
        f"{subject}: unexpected failure in `ftqa {command}` ({detail}); this is a bug in ftqa, "
        "please report it (FTQA_DEBUG=1 shows the traceback)"
    )
