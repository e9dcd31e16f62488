"""Time `ftqa check --select format` against a bare orjson parsing floor.

    python benchmarks/bench_format.py                      # 10k and 100k generated rows
    python benchmarks/bench_format.py --rows 1000000 --repeat 1
    python benchmarks/bench_format.py --file data/train.jsonl

Both the floor and ftqa run as fresh child processes and are timed by wall clock from
spawn to exit, so both include interpreter start-up. Peak RSS is the child's ru_maxrss as
returned by os.wait4() for that one child: the high-water mark of the largest single
process in its tree (children it spawned and waited for are included, but concurrently
running workers are not summed).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import sys
import tempfile
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import orjson

from _harness import Run, ensure_dataset, floor_argv, measure, warm

RATIO_TARGET = 5.0
RATIO_TARGET_ROWS = 100_000  # below this, interpreter and import start-up dominate both times
RSS_TARGET_MB = 1000.0
RSS_TARGET_ROWS = 1_000_000
REPORT = Path(tempfile.gettempdir()) / f"ftqa-bench-format-{os.getpid()}.json"


@dataclass
class Result:
    file: str
    rows: int
    mb: float
    floor_s: float
    floor_rss_mb: float
    ftqa_s: float | None = None
    ftqa_rss_mb: float | None = None

    @property
    def ratio(self) -> float | None:
        return None if self.ftqa_s is None else self.ftqa_s / self.floor_s


def ftqa_argv(path: Path) -> list[str]:
    return [
        sys.executable, "-m", "ftqa", "check", str(path),
        "--select", "format", "--format", "json", "--output", str(REPORT), "--quiet",
    ]  # fmt: skip


def ftqa_ok(run: Run) -> bool:
    if run.returncode == 0:
        return True
    return run.returncode == 1 and "Traceback (most recent call last)" not in run.stderr


def fail(what: str, argv: list[str], run: Run) -> None:
    print(f"error: {what} exited with {run.returncode}: {' '.join(argv)}", file=sys.stderr)
    sys.stderr.write(run.stderr)
    sys.exit(3)


def repeated(argv: list[str], repeat: int) -> list[Run]:
    return [measure(argv) for _ in range(repeat)]


def bench(path: Path, repeat: int, with_ftqa: bool) -> Result:
    warm(path)
    floors: list[Run] = []
    ftqas: list[Run] = []
    for _ in range(repeat):
        run = measure(floor_argv(path))
        if run.returncode != 0:
            fail("floor", floor_argv(path), run)
        floors.append(run)
        if with_ftqa:
            run = measure(ftqa_argv(path))
            if not ftqa_ok(run):
                fail("ftqa", ftqa_argv(path), run)
            ftqas.append(run)
    rows = int(floors[0].stdout.split()[0])
    result = Result(
        file=str(path),
        rows=rows,
        mb=path.stat().st_size / 1e6,
        floor_s=min(r.seconds for r in floors),
        floor_rss_mb=max(r.rss_mb for r in floors),
    )
    if ftqas:
        result.ftqa_s = min(r.seconds for r in ftqas)
        result.ftqa_rss_mb = max(r.rss_mb for r in ftqas)
    return result


COLUMNS = (
    ("rows", 10),
    ("MB", 8),
    ("floor s", 8),
    ("floor rows/s", 13),
    ("floor MB/s", 10),
    ("floor RSS", 10),
    ("ftqa s", 8),
    ("ftqa rows/s", 12),
    ("ftqa MB/s", 10),
    ("ftqa RSS", 9),
    ("ftqa/floor", 10),
)


def table_row(r: Result) -> str:
    cells = [
        f"{r.rows:,}",
        f"{r.mb:.1f}",
        f"{r.floor_s:.3f}",
        f"{r.rows / r.floor_s:,.0f}",
        f"{r.mb / r.floor_s:.1f}",
        f"{r.floor_rss_mb:.1f}",
    ]
    if r.ftqa_s is None or r.ftqa_rss_mb is None or r.ratio is None:
        cells += ["-"] * 5
    else:
        cells += [
            f"{r.ftqa_s:.3f}",
            f"{r.rows / r.ftqa_s:,.0f}",
            f"{r.mb / r.ftqa_s:.1f}",
            f"{r.ftqa_rss_mb:.1f}",
            f"{r.ratio:.2f}x",
        ]
    return " ".join(cell.rjust(width) for cell, (_, width) in zip(cells, COLUMNS, strict=True))


def ftqa_version() -> str:
    try:
        return version("ftqa")
    except PackageNotFoundError:
        return "(no distribution metadata)"


def startup(repeat: int, with_ftqa: bool) -> str:
    base = min(r.seconds for r in repeated([sys.executable, "-c", "import orjson"], repeat))
    text = f"start-up: python + import orjson {base:.3f}s"
    if with_ftqa:
        argv = [sys.executable, "-m", "ftqa", "--help"]
        runs = repeated(argv, repeat)
        if runs[0].returncode == 0:
            text += f"; python -m ftqa --help {min(r.seconds for r in runs):.3f}s"
    return text


def per_row_ratio(results: list[Result]) -> float | None:
    """(ftqa large - ftqa small) / (floor large - floor small): the ratio of what one more row
    costs, with start-up cancelled out."""
    if len(results) < 2:
        return None
    small = min(results, key=lambda r: r.rows)
    large = max(results, key=lambda r: r.rows)
    floor_delta = large.floor_s - small.floor_s
    if large.rows == small.rows or floor_delta <= 0 or large.ftqa_s is None or small.ftqa_s is None:
        return None
    return (large.ftqa_s - small.ftqa_s) / floor_delta


def verdict(results: list[Result]) -> tuple[list[str], bool]:
    lines: list[str] = []
    ok = True
    measured = [r for r in results if r.ratio is not None]
    if not measured:
        return ["targets: not checked (ftqa skipped)"], True
    judged = [r for r in measured if r.rows >= RATIO_TARGET_ROWS] or measured
    worst = max(judged, key=lambda r: r.ratio or 0.0)
    ratio_ok = (worst.ratio or 0.0) <= RATIO_TARGET
    ok &= ratio_ok
    scope = f">= {RATIO_TARGET_ROWS:,} rows" if worst.rows >= RATIO_TARGET_ROWS else "all sizes"
    lines.append(
        f"target ftqa/floor <= {RATIO_TARGET:g}x ({scope}): {'PASS' if ratio_ok else 'FAIL'} "
        f"(worst {worst.ratio:.2f}x at {worst.rows:,} rows)"
    )
    small = [r for r in measured if r.rows < RATIO_TARGET_ROWS and r not in judged]
    for r in small:
        lines.append(
            f"  not judged: {r.ratio:.2f}x at {r.rows:,} rows, where start-up is most of the time"
        )
    marginal = per_row_ratio(measured)
    if marginal is not None:
        lines.append(
            f"per-row cost ratio between the smallest and largest file (start-up cancelled): "
            f"{marginal:.2f}x"
        )
    big = [r for r in measured if r.rows >= RSS_TARGET_ROWS]
    if big:
        peak = max(big, key=lambda r: r.ftqa_rss_mb or 0.0)
        rss_ok = (peak.ftqa_rss_mb or 0.0) < RSS_TARGET_MB
        ok &= rss_ok
        lines.append(
            f"target peak RSS < 1 GB at >= {RSS_TARGET_ROWS:,} rows: "
            f"{'PASS' if rss_ok else 'FAIL'} ({peak.ftqa_rss_mb:.0f} MB at {peak.rows:,} rows)"
        )
    else:
        largest = max(measured, key=lambda r: r.rows)
        lines.append(
            f"target peak RSS < 1 GB at {RSS_TARGET_ROWS:,} rows: not measured "
            f"(largest run {largest.rows:,} rows, {largest.ftqa_rss_mb:.0f} MB); "
            f"run with --rows {RSS_TARGET_ROWS}"
        )
    return lines, ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rows", type=int, nargs="+", help="generated dataset sizes (default: 10000 100000)"
    )
    parser.add_argument("--file", type=Path, action="append", default=[], help="existing JSONL")
    parser.add_argument("--repeat", type=int, default=3, help="take the best of N timings")
    parser.add_argument("--seed", type=int, default=0, help="seed for generated datasets")
    parser.add_argument("--skip-ftqa", action="store_true", help="only measure the floor")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument(
        "--check", action="store_true", help="exit 2 if a measured target is missed"
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    with_ftqa = not args.skip_ftqa
    if with_ftqa and importlib.util.find_spec("ftqa") is None:
        print(
            f"error: ftqa is not importable by {sys.executable} "
            "(pip install -e . first, or pass --skip-ftqa)",
            file=sys.stderr,
        )
        return 3
    for path in args.file:
        if not path.is_file():
            parser.error(f"no such file: {path}")
    sizes = args.rows if args.rows is not None else ([] if args.file else [10_000, 100_000])
    paths = list(args.file) + [ensure_dataset(n, args.seed) for n in sizes]

    print(
        f"python {platform.python_version()}, orjson {orjson.__version__}, "
        f"ftqa {ftqa_version() if with_ftqa else 'skipped'}, {os.cpu_count()} CPUs, "
        f"best of {args.repeat}; MB = 1e6 bytes; RSS = peak MB of the child (os.wait4)"
    )
    print(startup(args.repeat, with_ftqa))
    print(" ".join(name.rjust(width) for name, width in COLUMNS), flush=True)
    results: list[Result] = []
    for path in paths:
        result = bench(path, args.repeat, with_ftqa)
        results.append(result)
        print(table_row(result), flush=True)
    lines, ok = verdict(results)
    for line in lines:
        print(line)
    if args.json:
        payload: list[dict[str, Any]] = [asdict(r) | {"ratio": r.ratio} for r in results]
        args.json.write_text(json.dumps(payload, indent=2) + "\n", "utf-8")
    return 2 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
