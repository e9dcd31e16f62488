"""Counts in words, shared by the text renderers."""

from __future__ import annotations

from ftqa.report import Summary


def counted(count: int, noun: str) -> str:
    """`1 error`, `2 errors`, `1,234 warnings`."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def tally(summary: Summary) -> str:
    """`7 errors, 2 warnings, 1 info`."""
    return ", ".join(
        counted(count, noun)
        for count, noun in (
            (summary.errors, "error"),
            (summary.warnings, "warning"),
            (summary.infos, "info"),
        )
    )
