"""ftqa: check LLM fine-tuning datasets before you spend money or GPU hours on them.

report = ftqa.check("train.jsonl", validation="val.jsonl")
report.passed, report.findings, report.to_json()
"""

from ftqa._version import __version__
from ftqa.api import check, require_clean
from ftqa.checker import CheckContext, Checker, Options, Rule
from ftqa.errors import ConfigError, DatasetRejected, FtqaError, InputError, PluginError
from ftqa.finding import Finding, Severity
from ftqa.providers import Provided, Provider
from ftqa.records import Message, Record
from ftqa.report import Report
from ftqa.rowresult import RowKey, RowResult
from ftqa.train import train


def fix(*args: object, **kwargs: object) -> object:
    """Write a fixed copy of a dataset (see `ftqa.rewrite.fixer.fix_dataset`)."""
    from ftqa.rewrite.fixer import fix_dataset

    return fix_dataset(*args, **kwargs)  # type: ignore[arg-type]


def convert(*args: object, **kwargs: object) -> object:
    """Write a dataset in another layout (see `ftqa.rewrite.convert.convert_dataset`)."""
    from ftqa.rewrite.convert import convert_dataset

    return convert_dataset(*args, **kwargs)  # type: ignore[arg-type]


__all__ = [
    "CheckContext",
    "Checker",
    "ConfigError",
    "DatasetRejected",
    "Finding",
    "FtqaError",
    "InputError",
    "Message",
    "Options",
    "PluginError",
    "Provided",
    "Provider",
    "Record",
    "Report",
    "RowKey",
    "RowResult",
    "Rule",
    "Severity",
    "__version__",
    "check",
    "convert",
    "fix",
    "require_clean",
    "train",
]
