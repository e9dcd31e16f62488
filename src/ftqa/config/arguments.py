"""`--config FILE` and `--no-config`, the same on every command that reads data."""

from __future__ import annotations

import argparse


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the two mutually exclusive configuration options to a command's parser."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--config",
        metavar="FILE",
        help="configuration file (any name; no discovery)",
    )
    group.add_argument(
        "--no-config",
        action="store_true",
        help="ignore ftqa.toml / pyproject.toml found near the data: use the defaults",
    )
