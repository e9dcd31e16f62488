"""The `ftqa` command line. The only module that prints; exit codes 0 / 1 / 2 as in DESIGN.md."""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import sys
import traceback
from collections.abc import Sequence

from ftqa import api
from ftqa._version import __version__
from ftqa.cli_options import MAP_HELP, add_engine, add_map
from ftqa.config import NO_CONFIG, add_config_arguments
from ftqa.errors import FtqaError, failure_message, is_crash
from ftqa.finding import Severity
from ftqa.formats import FORMATS
from ftqa.interrupt import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated, sigterm_as_interrupt
from ftqa.outbound import outbound
from ftqa.registry import checkers, rule_summaries
from ftqa.render import TEXT_RENDERERS
from ftqa.render.progress import ProgressBar
from ftqa.render.safe import terminal_text
from ftqa.report import Report
from ftqa.rewrite import convert_cli, fix_cli
from ftqa.rewrite.targets import OutputFile, TextOutput, guard_target
from ftqa.runs import cli as runs_cli
from ftqa.train import cli as train_cli

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
OUTPUT_FORMATS = ("terminal", "json", "markdown", "html", "github", "sarif")


def _ids(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ftqa",
        description="Check LLM fine-tuning datasets before you spend money or GPU hours on them.",
    )
    parser.add_argument("--version", action="version", version=f"ftqa {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    check = commands.add_parser("check", help="check dataset files and report every problem")
    check.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="dataset files, datasets save_to_disk folders or hf://ORG/NAME[:SPLIT] (one dataset)",
    )
    check.add_argument(
        "--validation",
        action="append",
        default=[],
        metavar="PATH",
        help="validation file(s) checked alongside",
    )
    check.add_argument(
        "--format",
        dest="output_format",
        choices=OUTPUT_FORMATS,
        default="terminal",
        help="report format (default: terminal)",
    )
    check.add_argument("--output", metavar="FILE", help="write the report to FILE")
    add_config_arguments(check)
    check.add_argument(
        "--select", type=_ids, metavar="IDS", help="comma-separated check ids or rules to run"
    )
    check.add_argument(
        "--ignore", type=_ids, metavar="IDS", help="comma-separated check ids or rules to skip"
    )
    check.add_argument(
        "--fail-on",
        choices=[s.value for s in Severity],
        help="lowest severity that fails the run (default: error)",
    )
    check.add_argument(
        "--input-format",
        choices=["auto", *FORMATS],
        metavar="FORMAT",
        help=f"force the input format: auto, {', '.join(FORMATS)}",
    )
    check.add_argument(
        "--show",
        type=int,
        default=5,
        metavar="N",
        help="locations shown per rule in the terminal (default: 5)",
    )
    check.add_argument("--quiet", action="store_true", help="no progress bar")
    check.add_argument(
        "--reference",
        action="extend",
        nargs="+",
        default=[],
        metavar="PATH",
        help="held-out or benchmark files to test contamination against (repeatable)",
    )
    check.add_argument(
        "--model",
        metavar="NAME",
        help="target model: a profile, a local Hugging Face model folder, or PROVIDER:MODEL "
        "(together, mistral, azure, vertex, local) for its tokenizer, limit and price",
    )
    check.add_argument(
        "--epochs",
        type=int,
        metavar="N",
        help="epochs for the cost estimate (default: the provider's rule)",
    )
    add_map(check)
    add_engine(check)
    check.add_argument(
        "--examples-out",
        metavar="FILE",
        help="write the per-example table to FILE (.parquet or .csv)",
    )

    fix = commands.add_parser(
        "fix", help="write a fixed copy of a dataset; dropped rows go to a quarantine file"
    )
    fix.add_argument("path", metavar="PATH")
    fix.add_argument("--output", required=True, metavar="CLEAN", help="the fixed dataset")
    fix.add_argument(
        "--quarantine",
        metavar="REMOVED",
        help="where dropped rows go, untouched (default: CLEAN.quarantine.EXT)",
    )
    fix.add_argument(
        "--log", metavar="FILE", help="change log, JSON lines (default: CLEAN.changes.log.jsonl)"
    )
    fix.add_argument("--only", type=_ids, metavar="RULES", help="apply only these fixes")
    fix.add_argument(
        "--unsafe",
        action="store_true",
        help="also apply unsafe fixes (dropping unusable rows, removing tokens)",
    )
    fix.add_argument(
        "--dedupe",
        action="store_true",
        help="drop every duplicate and near-duplicate but the first of its group",
    )
    fix.add_argument(
        "--redact",
        action="store_true",
        help="replace detected secrets and personal data with typed placeholders",
    )
    add_config_arguments(fix)
    add_map(fix)

    commands.add_parser("checks", help="list checkers and their rules")

    schema = commands.add_parser(
        "schema", help="print the JSON Schema of an input format or report"
    )
    schema.add_argument("name", metavar="FORMAT", help=f"report, {', '.join(FORMATS)}")
    split = commands.add_parser(
        "split", help="seeded, stratified, leak-free train/validation split"
    )
    split.add_argument("path", metavar="PATH")
    size = split.add_mutually_exclusive_group(required=True)
    size.add_argument("--validation-fraction", type=float, metavar="F")
    size.add_argument("--validation-count", type=int, metavar="N")
    split.add_argument("--seed", type=int, required=True, metavar="N")
    split.add_argument("--output-dir", required=True, metavar="DIR")
    split.add_argument(
        "--stratify-by",
        default="auto",
        metavar="KEY",
        help="auto (label, else category), a top-level key, or none",
    )
    split.add_argument(
        "--exact-only",
        action="store_true",
        help="group exact duplicates only (skip near-duplicate clustering)",
    )
    add_config_arguments(split)
    add_map(split)
    train_cli.add_parser(commands)
    convert_cli.add_parser(commands, MAP_HELP)
    runs_cli.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:  # the `ftqa` command itself, not a caller passing arguments in-process
        # Everything imported so far lives as long as the process: move it out of the cyclic
        # collector's reach, so no full collection walks it again (about 0.05 s of a small check).
        gc.freeze()
    parser = _parser()
    args = parser.parse_args(argv)
    with sigterm_as_interrupt():
        try:
            return _run(args)
        except FtqaError as error:
            _fail(str(error))
            return EXIT_USAGE
        except Terminated:
            _fail("terminated (SIGTERM); temporary files were removed")
            return EXIT_TERMINATED
        except KeyboardInterrupt:
            _fail("interrupted")
            return EXIT_INTERRUPTED
        except BrokenPipeError:
            return EXIT_OK
        except BaseException as error:
            if not is_crash(error):
                raise
            if os.environ.get("FTQA_DEBUG"):
                traceback.print_exc()
            _fail(_masked(failure_message(error, _subject(args), args.command)))
            return EXIT_USAGE


def _run(args: argparse.Namespace) -> int:
    if getattr(args, "no_config", False):  # argparse already refused it with --config
        args.config = NO_CONFIG
    if args.command == "check":
        return _check(args)
    if args.command == "checks":
        return _list_checks()
    if args.command == "fix":
        return fix_cli.run(args)
    if args.command == "train":
        return train_cli.run(args)
    if args.command == "convert":
        return convert_cli.run(args)
    if args.command == "split":
        return _split(args)
    return runs_cli.run(args, train_cli.watch) if args.command == "runs" else _schema(args.name)


def _masked(message: str) -> str:
    """An unexpected error's text may quote data: it leaves through the outbound layer."""
    return outbound(message)


def _subject(args: argparse.Namespace) -> str:
    """The inputs a command was working on, for a message about an unexpected failure."""
    paths = getattr(args, "paths", None) or [getattr(args, "path", None) or "ftqa"]
    return ", ".join(str(path) for path in paths)


def _fail(message: str) -> None:
    # An error may quote dataset content (a parser's message): it leaves through `outbound`.
    print(f"ftqa: error: {terminal_text(outbound(message))}", file=sys.stderr)


def _check(args: argparse.Namespace) -> int:
    for target, what in ((args.output, "report"), (args.examples_out, "examples table")):
        if target:
            guard_target(target, _inputs(args), what)
    progress = ProgressBar(args.paths, quiet=args.quiet)
    try:
        report = api.check(
            args.paths,
            args.validation or None,
            config=args.config,
            select=args.select,
            ignore=args.ignore,
            fail_on=args.fail_on,
            input_format=args.input_format,
            reference=args.reference or None,
            model=args.model,
            epochs=args.epochs,
            examples=bool(args.examples_out),
            progress=progress.update if progress.enabled else None,
            map=args.field_map,
            executor=args.executor,
            jobs=args.jobs,
            scheduler=args.scheduler,
            cache=False if args.no_cache else None,
        )
    finally:
        progress.close()
    if args.examples_out:
        _write_examples(report, args.examples_out, _inputs(args))
    _emit(report, args)
    return report.exit_code()


def _inputs(args: argparse.Namespace) -> list[str]:
    """Every file a `check` reads: no output may replace one of them."""
    return [*args.paths, *args.validation, *args.reference, *([args.config] if args.config else [])]


def _write_examples(report: Report, path: str, inputs: list[str]) -> None:
    if not path.endswith((".parquet", ".csv", ".csv.gz")):
        raise FtqaError(f"{path}: --examples-out must end in .parquet or .csv")
    guard_target(path, inputs, "examples table")
    frame = report.examples
    with OutputFile(path, "examples table") as handle:
        if path.endswith(".parquet"):
            frame.to_parquet(handle, index=False)
        else:
            frame.to_csv(io.TextIOWrapper(handle, encoding="utf-8", newline=""), index=False)


def _emit(report: Report, args: argparse.Namespace) -> None:
    fmt = args.output_format
    if fmt == "terminal":
        from rich.console import Console

        from ftqa.render.terminal import render_terminal

        summaries = rule_summaries(finding.check for finding in report.findings)
        if args.output:
            with TextOutput(args.output) as handle:
                console = Console(file=handle, no_color=True, width=120, soft_wrap=True)
                render_terminal(report, console, args.show, summaries)
        else:
            render_terminal(report, Console(soft_wrap=True), args.show, summaries)
        return
    text = TEXT_RENDERERS[fmt](report)
    if args.output:
        with TextOutput(args.output) as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)


def _split(args: argparse.Namespace) -> int:
    from ftqa.split import split_dataset

    manifest = split_dataset(
        args.path,
        args.output_dir,
        validation_fraction=args.validation_fraction,
        validation_count=args.validation_count,
        seed=args.seed,
        config=args.config,
        stratify_by=None if args.stratify_by == "none" else args.stratify_by,
        near_duplicates=not args.exact_only,
        mapping=args.field_map,
    )
    print(json.dumps(manifest, indent=2, ensure_ascii=False))
    return EXIT_OK


def _list_checks() -> int:
    for check_id, cls in checkers().items():
        print(f"{check_id}: {cls.summary}")
        for rule in cls.rules:
            name = f"{check_id}/{rule.slug}"
            print(f"  {name:<48} {rule.severity.value:<8} {rule.summary}")
    return EXIT_OK


def _schema(name: str) -> int:
    if name == "report":
        schema = Report.json_schema()
    elif name in FORMATS:
        schema = FORMATS[name].schema()
    else:
        raise FtqaError(f"unknown schema `{name}` (known: report, {', '.join(FORMATS)})")
    print(json.dumps(schema, indent=2, ensure_ascii=False))
    return EXIT_OK
