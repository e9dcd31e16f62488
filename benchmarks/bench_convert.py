"""Benchmark `ftqa convert` against a plain orjson read-and-write loop over the same file.

    python benchmarks/bench_convert.py                       # 50,000 generated chat rows
    python benchmarks/bench_convert.py --rows 200000 --to alpaca

Measured in fresh processes (wall clock, CPU, peak RSS):

1. the baseline: read every line, `orjson.loads` it, `orjson.dumps` it back to another file
   (lines that do not parse, which the generator plants, are skipped);
2. `ftqa convert FILE --to LAYOUT -o OUT`: detection and normalization of every row, the export,
   the read-back comparison of every converted row, the quarantine through the row-conserving
   writer (with its scratch destination and read-back) and the output's row count.

After the run the script verifies conservation from the files: rows in = converted + quarantined.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from _harness import ensure_dataset, measure, warm

BASELINE = """
import sys, orjson
count = 0
with open(sys.argv[1], "rb") as src, open(sys.argv[2], "wb") as out:
    for line in src:
        if not line.strip():
            continue
        count += 1
        try:
            out.write(orjson.dumps(orjson.loads(line)) + b"\\n")
        except orjson.JSONDecodeError:
            pass  # the generator plants invalid rows; convert quarantines them
print(count)
"""


def _count_lines(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(1 for line in handle if line.strip())


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--to", default="sharegpt")
    args = parser.parse_args(argv)
    path = ensure_dataset(args.rows, args.seed)
    warm(path)
    size_mb = path.stat().st_size / 1e6
    with tempfile.TemporaryDirectory(dir=path.parent) as directory:
        baseline = measure([sys.executable, "-c", BASELINE, str(path), f"{directory}/copy.jsonl"])
        rows = int(baseline.stdout.split()[0])
        print(f"{path.name}: {rows:,} rows, {size_mb:.1f} MB, --to {args.to}")
        _line("baseline (orjson r+w)", baseline.seconds, baseline.rss_mb, rows, size_mb)
        out = Path(directory) / "out.jsonl"
        run = measure(
            [sys.executable, "-m", "ftqa", "convert", str(path), "--to", args.to, "-o", str(out)]
        )
        if run.returncode not in (0, 1):
            print(run.stderr, file=sys.stderr)
            return 1
        _line(f"ftqa convert --to {args.to}", run.seconds, run.rss_mb, rows, size_mb)
        converted = _count_lines(out)
        quarantined = _count_lines(Path(directory) / "out.quarantine.jsonl")
        print(
            f"    {converted:,} converted + {quarantined:,} quarantined = "
            f"{converted + quarantined:,} of {rows:,} rows; "
            f"{run.seconds / baseline.seconds:.1f}x the baseline"
        )
        if converted + quarantined != rows:
            print("conservation FAILED", file=sys.stderr)
            return 1
    print(
        json.dumps(
            {
                "rows": rows,
                "baseline_s": round(baseline.seconds, 3),
                "convert_s": round(run.seconds, 3),
                "ratio": round(run.seconds / baseline.seconds, 2),
                "convert_rss_mb": round(run.rss_mb),
            }
        )
    )
    return 0


def _line(label: str, seconds: float, rss: float, rows: int, size_mb: float) -> None:
    print(
        f"  {label:<30} {seconds:8.2f} s {rows / seconds:10,.0f} rows/s "
        f"{size_mb / seconds:7.1f} MB/s {rss:7.0f} MB peak RSS"
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
