"""Counts in words, shared by the text renderers."""

from __future__ import annotations

from ftqa.report import ConfigInfo, Summary


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


def config_phrase(config: ConfigInfo) -> str | None:
    """`ftqa.toml (ignores secrets; lowers 3 severities)`: the configuration files a run
    applied and what they changed; None when it ran on the defaults."""
    if not config.files and not config.changes:
        return None
    files = [f"{item.path} [discovered]" if item.discovered else item.path for item in config.files]
    where = ", ".join(files) or "no file"
    return f"{where} ({config.summary or 'no change from the defaults'})"


def config_details(config: ConfigInfo) -> list[str]:
    """Each configuration file with its sha256, then each change, as plain text."""
    return [f"{item.path}: sha256 {item.sha256}" for item in config.files] + config.changes
