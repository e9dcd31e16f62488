"""`ftqa train`: the command-line face of `ftqa.train`.

Exit codes: 0 launched (or a dry run that would launch); 1 the gate refused (the blocking
findings are summarized, or a configuration discovered near the data relaxes the checks);
2 anything else that stopped the launch: a usage error, an unreadable input, a stale, foreign
or edited `--report`, a file changed after it was checked, a provider that is not installed or
cannot take these files, no confirmation for a paid launch, the provider's API refusing it or
not answering within the timeouts. Interrupted: 130 (Ctrl-C), 143 (SIGTERM); the manifest is
then marked `failed` and the private copies of the files are removed.

`ftqa.cli` wires it with `add_parser(commands)` and `run(args)`; `python -m ftqa.train.cli`
runs it on its own.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ftqa.config import NO_CONFIG, add_config_arguments
from ftqa.errors import FtqaError
from ftqa.interrupt import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated, sigterm_as_interrupt
from ftqa.render.safe import terminal_text
from ftqa.runs import analyze
from ftqa.runs.cli import add_watch_arguments
from ftqa.runs.render import render_json, render_terminal
from ftqa.train.base import installed
from ftqa.train.gate import DiscoveredConfigRefused, TrainingRefused
from ftqa.train.redact import mask_credentials
from ftqa.train.run import prepare
from ftqa.train.watch import watch

__all__ = ["add_parser", "main", "run", "watch"]

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
MAX_RETRIES = 10
ANALYSIS_NAME = "ftqa-analysis.json"


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return number


def _positive_float(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {value}")
    return number


def _retries(value: str) -> int:
    number = int(value)
    if not 0 <= number <= MAX_RETRIES:
        raise argparse.ArgumentTypeError(f"must be between 0 and {MAX_RETRIES}, got {value}")
    return number


def _option(value: str) -> tuple[str, Any]:
    key, sep, text = value.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {value!r}")
    try:
        parsed: Any = json.loads(text)
    except ValueError:
        parsed = text
    return key.strip().replace("-", "_"), parsed


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Add the `train` subcommand to `commands` (an argparse subparsers object)."""
    parser = commands.add_parser(
        "train",
        help="launch fine-tuning only on data whose report passed",
        description=(
            "Check the dataset (or load a saved JSON report made for these exact files), refuse "
            "to launch unless it passes under the configured fail-on level, show the plan, then "
            "start the fine-tuning job and write a run manifest that ties it to the report."
        ),
    )
    parser.add_argument("path", metavar="TRAIN", help="training file")
    parser.add_argument("--validation", metavar="VAL", help="validation file")
    providers = ", ".join(sorted(installed())) or "none installed"
    parser.add_argument(
        "--provider", required=True, metavar="NAME", help=f"where to train ({providers})"
    )
    parser.add_argument("--model", required=True, metavar="BASE", help="base model to fine-tune")
    parser.add_argument("--epochs", type=_positive_int, metavar="N", help="training epochs")
    parser.add_argument("--batch-size", type=_positive_int, metavar="N", help="batch size")
    parser.add_argument(
        "--learning-rate-multiplier",
        type=_positive_float,
        metavar="X",
        help="learning-rate multiplier (openai)",
    )
    parser.add_argument(
        "--learning-rate", type=_positive_float, metavar="X", help="learning rate (together, hf)"
    )
    parser.add_argument("--lora", action="store_true", help="train a LoRA adapter (together, hf)")
    parser.add_argument(
        "--dry-run", action="store_true", help="check, gate and show the plan; launch nothing"
    )
    parser.add_argument(
        "--report",
        metavar="REPORT.json",
        help="use this saved `ftqa check --format json` report instead of checking now",
    )
    parser.add_argument(
        "--accept",
        action="append",
        default=[],
        metavar="RULE",
        help="launch despite this rule's findings (check/rule; repeat per rule; recorded)",
    )
    parser.add_argument(
        "--yes",
        action="store_true",
        help="do not ask before a paid launch (required without a terminal)",
    )
    add_config_arguments(parser)
    parser.add_argument(
        "--map",
        dest="field_map",
        metavar="FIELD=KEY,...",
        help="read keys that are not the format's own (as for ftqa check)",
    )
    parser.add_argument(
        "--output-dir",
        metavar="DIR",
        help="where the manifest, the report copy (and for hf the model) go "
        "(default: ftqa-runs/<time>-<provider>)",
    )
    parser.add_argument(
        "--base-url", metavar="URL", help="provider API base URL (openai, together)"
    )
    parser.add_argument(
        "--connect-timeout",
        type=_positive_float,
        metavar="S",
        help="seconds to connect to the provider (default: configuration, else 10)",
    )
    parser.add_argument(
        "--read-timeout",
        type=_positive_float,
        metavar="S",
        help="seconds to wait for the provider's answer (default: configuration, else 120)",
    )
    parser.add_argument(
        "--retries",
        type=_retries,
        metavar="N",
        help="retries of a failed provider request (default: configuration, else 2)",
    )
    parser.add_argument(
        "--watch",
        action="store_true",
        help="after the launch, poll the job until it ends, save its metrics next to the "
        "manifest and analyze them (as `ftqa runs analyze`)",
    )
    add_watch_arguments(parser)
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        type=_option,
        metavar="KEY=VALUE",
        help="provider option, e.g. max_steps=100 for hf",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Run `ftqa train` with parsed arguments; returns the exit code."""
    options = dict(args.option)
    if args.base_url:
        options["base_url"] = args.base_url
    try:
        launch = prepare(
            args.path,
            args.validation,
            provider=args.provider,
            model=args.model,
            epochs=args.epochs,
            batch_size=args.batch_size,
            learning_rate_multiplier=args.learning_rate_multiplier,
            learning_rate=args.learning_rate,
            lora=args.lora,
            report=args.report,
            accept=args.accept,
            config=NO_CONFIG if args.no_config else args.config,
            output_dir=args.output_dir,
            options=options,
            connect_timeout=args.connect_timeout,
            read_timeout=args.read_timeout,
            retries=args.retries,
            mapping=args.field_map,
        )
    except TrainingRefused as refused:
        _print(refused.decision.summary_lines())
        return EXIT_REFUSED
    except DiscoveredConfigRefused as refused:
        _print(refused.lines)
        return EXIT_REFUSED
    except FtqaError as error:
        _fail(str(error))
        return EXIT_USAGE
    plan = launch.plan
    _print(plan.lines())
    if args.dry_run:
        _print(["dry run: nothing launched"])
        return EXIT_OK
    if plan.paid and not args.yes:
        if not sys.stdin.isatty():
            _fail(
                f"not launched: a paid launch on {plan.provider} needs --yes when stdin is not "
                "a terminal (review the plan above first)"
            )
            return EXIT_USAGE
        try:
            answer = input(f"Launch this paid fine-tuning job on {plan.provider}? [y/N] ")
        except EOFError:
            answer = ""
        if answer.strip().lower() not in {"y", "yes"}:
            _fail("not launched: the launch was not confirmed")
            return EXIT_USAGE
    try:
        result = launch.start()
    except FtqaError as error:
        _fail(str(error))
        return EXIT_USAGE
    job = result.job
    assert job is not None
    lines = [f"launched: job {job.id} on {plan.provider} ({job.status})"]
    lines.extend(f"  {line}" for line in job.follow)
    lines.append(f"  manifest: {result.manifest_path}")
    _print(lines)
    if args.watch and result.manifest_path is not None:
        return _watch_and_analyze(result.manifest_path, args)
    return EXIT_OK


def _watch_and_analyze(manifest: Path, args: argparse.Namespace) -> int:
    """Exit 0 when the analysis finds nothing at or above `error` (a failed job is a `runs`
    error: exit 1); 2 when the watch itself fails or times out."""
    try:
        watch(
            manifest,
            interval=args.poll_interval,
            timeout=args.watch_timeout,
            say=lambda line: _print([line]),
        )
        report = analyze(manifest)
    except FtqaError as error:
        _fail(str(error))
        return EXIT_USAGE
    analysis = manifest.parent / ANALYSIS_NAME
    analysis.write_text(render_json(report), encoding="utf-8")
    from rich.console import Console

    render_terminal(report, Console(soft_wrap=True))
    _print([f"  analysis: {analysis}"])
    return report.exit_code()


def _print(lines: Sequence[str]) -> None:
    for line in lines:
        print(terminal_text(mask_credentials(line)))
    sys.stdout.flush()


def _fail(message: str) -> None:
    print(f"ftqa: error: {terminal_text(mask_credentials(message))}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m ftqa.train.cli ARGS` == `ftqa train ARGS`."""
    parser = argparse.ArgumentParser(prog="ftqa")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    add_parser(commands)
    args = parser.parse_args(["train", *(argv if argv is not None else sys.argv[1:])])
    with sigterm_as_interrupt():
        try:
            return run(args)
        except Terminated:
            _fail("terminated (SIGTERM)")
            return EXIT_TERMINATED
        except KeyboardInterrupt:
            _fail("interrupted")
            return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
