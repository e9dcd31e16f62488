"""`ftqa runs analyze SOURCE`: the command-line face of `ftqa.runs`.

Exit codes as for `check`: 0 no finding at or above `--fail-on` (default `error`); 1 findings at
or above it; 2 a source that cannot be read (one line naming the file and line) or a usage
error. With `--watch` on a run manifest, the job is polled until it ends first (bounded by
`--watch-timeout`; Ctrl-C stops the wait, and the same command resumes it).

`ftqa.cli` wires it with `add_parser(commands)` and `run(args)`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ftqa.errors import FtqaError
from ftqa.finding import Severity
from ftqa.outbound import outbound
from ftqa.render.safe import terminal_text
from ftqa.rewrite.targets import TextOutput
from ftqa.runs import analyze
from ftqa.runs.readers import MANIFEST_NAME
from ftqa.runs.render import RENDERERS, render_terminal

Watcher = Callable[..., Any]
FORMATS = ("terminal", "json", "markdown", "html")
DEFAULT_INTERVAL = 30.0
DEFAULT_WATCH_TIMEOUT = 24 * 3600.0


def positive_seconds(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {value}")
    return number


def add_watch_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--poll-interval",
        type=positive_seconds,
        default=DEFAULT_INTERVAL,
        metavar="S",
        help=f"seconds between two polls of the job (default: {DEFAULT_INTERVAL:g})",
    )
    parser.add_argument(
        "--watch-timeout",
        type=positive_seconds,
        default=DEFAULT_WATCH_TIMEOUT,
        metavar="S",
        help="stop waiting after S seconds (default: 24 h); the same command resumes",
    )


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Add `runs` (with its `analyze` subcommand) to `commands` (argparse subparsers)."""
    parser = commands.add_parser(
        "runs", help="read a fine-tuning run's metrics and advise the next round"
    )
    actions = parser.add_subparsers(dest="runs_command", metavar="ACTION")
    actions.required = True
    analyze_parser = actions.add_parser(
        "analyze",
        help="judge a run's loss and accuracy curves",
        description=(
            "Read a run's step metrics (OpenAI result CSV, trainer_state.json, JSON-lines "
            "logs, or an ftqa train manifest) and report over-fitting, plateaus, divergence, "
            "missing validation data and stalls, with advice for the next round."
        ),
    )
    analyze_parser.add_argument("source", metavar="SOURCE")
    analyze_parser.add_argument(
        "--format", dest="output_format", choices=FORMATS, default="terminal"
    )
    analyze_parser.add_argument("--output", metavar="FILE", help="write the report to FILE")
    analyze_parser.add_argument(
        "--fail-on",
        choices=[s.value for s in Severity],
        default=Severity.ERROR.value,
        help="lowest severity that fails the run (default: error)",
    )
    analyze_parser.add_argument(
        "--watch",
        action="store_true",
        help="for a run manifest: poll the job until it ends and fetch its metrics first",
    )
    add_watch_arguments(analyze_parser)
    return parser


def run(args: argparse.Namespace, watch: Watcher | None = None) -> int:
    """Run `ftqa runs analyze` with parsed arguments; returns the exit code. `watch` polls a
    manifest's job (`ftqa.train.watch.watch`: the training layer sits above this one, so the
    command line hands it in)."""
    if args.watch:
        if watch is None:
            raise FtqaError("--watch needs the training layer (run it as `ftqa runs analyze`)")
        manifest = Path(args.source)
        if manifest.is_dir():
            manifest = manifest / MANIFEST_NAME
        watch(manifest, interval=args.poll_interval, timeout=args.watch_timeout, say=_say)
    report = analyze(args.source, fail_on=args.fail_on)
    if args.output_format == "terminal":
        from rich.console import Console

        if args.output:
            with TextOutput(args.output) as handle:
                render_terminal(report, Console(file=handle, no_color=True, width=120))
        else:
            render_terminal(report, Console(soft_wrap=True))
    else:
        text = RENDERERS[args.output_format](report)
        if args.output:
            with TextOutput(args.output) as handle:
                handle.write(text)
        else:
            sys.stdout.write(text)
    return report.exit_code()


def _say(line: str) -> None:
    """A watch progress line: it quotes the provider's job id and status."""
    print(terminal_text(outbound(line)), file=sys.stderr, flush=True)
