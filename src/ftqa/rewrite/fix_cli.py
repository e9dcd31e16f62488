"""`ftqa fix`: the command-line face of `ftqa.rewrite.fixer.fix_dataset` (wired by `ftqa.cli`)."""

from __future__ import annotations

import argparse
import sys

from ftqa.render.safe import terminal_text
from ftqa.render.words import counted

EXIT_OK = 0


def run(args: argparse.Namespace) -> int:
    """Run `ftqa fix` as parsed by `ftqa.cli`; 0 when done (errors raise `FtqaError`)."""
    from ftqa.rewrite.fixer import fix_dataset

    summary = fix_dataset(
        args.path,
        args.output,
        quarantine=args.quarantine,
        log=args.log,
        only=args.only,
        unsafe=args.unsafe,
        dedupe=args.dedupe,
        redact=args.redact,
        config=args.config,
        mapping=args.field_map,
    )
    print(
        f"{terminal_text(args.path)}: {summary.rows_in} rows in, {summary.rows_out} written to "
        f"{terminal_text(summary.output)}, {summary.rows_quarantined} quarantined to "
        f"{terminal_text(summary.quarantine)}; {counted(summary.edits, 'edit')} "
        f"(log: {terminal_text(summary.log)})"
    )
    for rule, count in sorted(summary.by_rule.items()):
        dropped = summary.dropped_by_rule.get(rule, 0)
        removed = f" ({counted(dropped, 'row')} quarantined)" if dropped else ""
        print(f"  {rule}: {count}{removed}")
    if summary.rounds > 1:
        print(f"  fixes settled after {summary.rounds} rounds (a fix enabled another)")
    if not summary.settled:
        print(
            f"ftqa: warning: fixes had not settled after {summary.rounds} rounds; running fix "
            "on the output may change it further",
            file=sys.stderr,
        )
    return EXIT_OK
