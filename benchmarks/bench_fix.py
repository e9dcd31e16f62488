"""Benchmark `ftqa fix`: the row-conserving writer's cost, against the parse floor and against
the check it runs anyway, in one run.

    python benchmarks/bench_fix.py                    # 100,000 generated rows
    python benchmarks/bench_fix.py --rows 1000000     # the memory bound

Measured in fresh processes (wall clock, CPU, peak RSS):

1. the floor: open the generated file and `orjson.loads` every line;
2. `ftqa check FILE --select format,encoding,leakage`: the checks `fix` needs for safe fixes;
3. `ftqa fix FILE --output OUT` (safe fixes), and `--unsafe --dedupe` (every row class, invalid
   JSON quarantined, duplicates removed).

`fix` = check + write + a confirming check of its output (the fixed point) + the writer's
read-back; the table shows what the writing adds over the check alone. After each fix the script
verifies conservation from the files: rows in = rows written + rows quarantined.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from _harness import ensure_dataset, floor_argv, measure, warm


def _count_lines(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(1 for line in handle if line.strip())


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    path = ensure_dataset(args.rows, args.seed)
    warm(path)
    size_mb = path.stat().st_size / 1e6
    ftqa = [sys.executable, "-m", "ftqa"]
    floor = measure(floor_argv(path))
    rows = int(floor.stdout.split()[0]) if floor.stdout.strip() else args.rows
    print(f"{path.name}: {args.rows:,} rows, {size_mb:.1f} MB")
    _line("floor (orjson parse)", floor.seconds, floor.cpu_seconds, floor.rss_mb, rows, size_mb)
    check = measure(
        [
            *ftqa,
            "check",
            str(path),
            "--select",
            "format,encoding,leakage",
            "--format",
            "json",
            "--quiet",
        ]
    )
    _line("check (fix's checkers)", check.seconds, check.cpu_seconds, check.rss_mb, rows, size_mb)
    with tempfile.TemporaryDirectory(dir=path.parent) as directory:
        for label, flags in (
            ("fix (safe)", []),
            ("fix --unsafe --dedupe", ["--unsafe", "--dedupe"]),
        ):
            out = Path(directory) / f"out-{len(flags)}.jsonl"
            run = measure([*ftqa, "fix", str(path), "--output", str(out), *flags])
            if run.returncode != 0:
                print(run.stderr, file=sys.stderr)
                return 1
            _line(label, run.seconds, run.cpu_seconds, run.rss_mb, rows, size_mb)
            written = _count_lines(out)
            removed = _count_lines(out.with_name(out.stem + ".quarantine.jsonl"))
            log = out.with_name(out.stem + ".changes.log.jsonl")
            changes = _count_lines(log)
            print(
                f"    {written:,} written + {removed:,} quarantined = {written + removed:,} "
                f"rows; {changes:,} logged changes; {run.seconds / floor.seconds:.1f}x the floor, "
                f"{run.seconds / check.seconds:.2f}x the check"
            )
    print(json.dumps({"floor_s": floor.seconds, "check_s": check.seconds}))
    return 0


def _line(label: str, seconds: float, cpu: float, rss: float, rows: int, size_mb: float) -> None:
    print(
        f"  {label:<24} {seconds:8.2f} s wall {cpu:8.2f} s CPU "
        f"{rows / seconds:10,.0f} rows/s {size_mb / seconds:7.1f} MB/s {rss:7.0f} MB RSS"
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
