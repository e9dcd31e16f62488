"""`ftqa convert`: the command-line face of `ftqa.rewrite.convert`.

Exit codes: 0 every row was converted; 1 some rows were quarantined (the summary counts them by
reason, the reason log locates each); 2 a usage error or an input or output that cannot be used
(one line naming the file, from `ftqa.cli`).

`ftqa.cli` wires it with `add_parser(commands)` and `run(args)`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ftqa.config import add_config_arguments
from ftqa.formats.export import EXPORTERS
from ftqa.outbound import outbound
from ftqa.render.safe import terminal_text
from ftqa.render.words import counted
from ftqa.rewrite.convert import ConvertSummary, convert_dataset

EXIT_OK, EXIT_QUARANTINED = 0, 1


def add_parser(commands: Any, map_help: str) -> argparse.ArgumentParser:
    """Add the `convert` subcommand to `commands` (an argparse subparsers object)."""
    parser = commands.add_parser(
        "convert",
        help="rewrite a dataset in another layout; rows it cannot hold go to a quarantine file",
        description=(
            "Write every row of PATH in LAYOUT as JSON Lines. Each converted row is read back and "
            "compared with the input; rows that cannot be converted without loss go, exactly as "
            "written, to a quarantine file, and a reason log says why."
        ),
    )
    parser.add_argument("path", metavar="PATH")
    parser.add_argument(
        "--to", required=True, metavar="LAYOUT", help=f"target layout: {', '.join(EXPORTERS)}"
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="the converted dataset, .jsonl or .jsonl.gz (default: PATH's stem.LAYOUT.jsonl)",
    )
    parser.add_argument(
        "--quarantine",
        metavar="REMOVED",
        help="where rows that cannot be converted go, untouched (default: OUT.quarantine.EXT)",
    )
    parser.add_argument(
        "--log", metavar="FILE", help="reason log, JSON lines (default: OUT.convert.log.jsonl)"
    )
    add_config_arguments(parser)
    parser.add_argument("--map", dest="field_map", metavar="FIELD=KEY,...", help=map_help)
    parser.add_argument("--quiet", action="store_true", help="print nothing when all went well")
    return parser


def default_output(path: str, to: str) -> str:
    name = Path(path).name
    stem = name.split(".")[0] if not name.startswith(".") else name
    return str(Path(path).with_name(f"{stem}.{to}.jsonl"))


def run(args: argparse.Namespace) -> int:
    """Run `ftqa convert` with parsed arguments; returns the exit code."""
    summary = convert_dataset(
        args.path,
        args.output or default_output(args.path, args.to),
        args.to,
        quarantine=args.quarantine,
        log=args.log,
        config=args.config,
        mapping=args.field_map,
    )
    if not (args.quiet and not summary.rows_quarantined):
        for line in summary_lines(args.path, summary):
            print(line)
    return EXIT_QUARANTINED if summary.rows_quarantined else EXIT_OK


def summary_lines(path: str, summary: ConvertSummary) -> list[str]:
    read = ", ".join(f"{name} {count}" for name, count in sorted(summary.formats_in.items()))
    lines = [
        f"{terminal_text(path)}: {counted(summary.rows_in, 'row')} in"
        + (f" ({read})" if read else ""),
        f"  {summary.rows_converted} converted to {summary.to}: {terminal_text(summary.output)}",
        f"  {summary.rows_quarantined} quarantined: {terminal_text(summary.quarantine)} "
        f"(reasons: {terminal_text(summary.log)})",
    ]
    for reason, count in sorted(summary.by_reason.items(), key=lambda item: (-item[1], item[0])):
        lines.append(f"    {count:>6}  {terminal_text(outbound(reason))}")
    return lines
