"""The `format` checker: every row that is not a valid example of its format (see `checker`)."""

from ftqa.checks.format.checker import FormatChecker, FormatOptions
from ftqa.checks.format.rules import RULES

__all__ = ["RULES", "FormatChecker", "FormatOptions"]
