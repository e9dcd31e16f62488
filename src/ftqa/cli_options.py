"""Options several `ftqa` commands share: field mapping and where rows are mapped."""

from __future__ import annotations

import argparse

MAP_HELP = (
    "read keys that are not the format's own: FIELD=KEY,... (e.g. prompt=question,"
    "completion=answer; also role-key=KEY, content-key=KEY, role.assistant=TAG)"
)


def add_map(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--map", dest="field_map", metavar="FIELD=KEY,...", help=MAP_HELP)


def add_engine(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--executor",
        choices=("auto", "local", "process", "dask"),
        help="where rows are mapped: this process, worker processes, or a Dask cluster "
        "(ftqa[dask]); the report is the same (default: auto)",
    )
    parser.add_argument(
        "--jobs", type=int, metavar="N", help="worker processes for --executor process"
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="--executor dask: tcp://HOST:8786, or local:N for a local cluster of N workers",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="neither read nor write the row cache (.ftqa_cache/)",
    )
