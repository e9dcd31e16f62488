"""Time a full `ftqa check` (every checker) in one process and with the worker process.

    python benchmarks/bench_full.py                      # the generated 100k-row set, best of 1
    python benchmarks/bench_full.py --rows 10000 --repeat 3
    python benchmarks/bench_full.py --file data/train.jsonl

Both runs are `ftqa check FILE --format json` in a fresh process, once with FTQA_PARALLEL=0
(everything in one process) and once with FTQA_PARALLEL=1 (contradictions and near_duplicates
in a worker process; see docs/parallel.md), timed from spawn to exit. The baseline is the
one-process run, measured in the same invocation. CPU is user + system time of the command and
every process it waited for; peak RSS is that of its largest single process (os.wait4). The two
reports are compared, timings aside, and the script fails if they differ.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from _harness import Run, ensure_dataset, measure, warm

ENV = "/usr/bin/env"


def ftqa_argv(path: Path, mode: str, output: Path) -> list[str]:
    return [
        ENV, f"FTQA_PARALLEL={mode}", sys.executable, "-m", "ftqa", "check", str(path),
        "--format", "json", "--output", str(output), "--quiet",
    ]  # fmt: skip


def without_timings(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_timings(v) for k, v in value.items() if "seconds" not in k}
    if isinstance(value, list):
        return [without_timings(item) for item in value]
    return value


def best(runs: list[Run]) -> Run:
    return min(runs, key=lambda run: run.seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="generated dataset size")
    parser.add_argument("--file", type=Path, help="an existing dataset instead")
    parser.add_argument("--repeat", type=int, default=1, help="take the best of N timings")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    path = args.file if args.file is not None else ensure_dataset(args.rows, args.seed)
    warm(path)
    runs: dict[str, list[Run]] = {"0": [], "1": []}
    reports: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(args.repeat):
            for mode in ("0", "1"):
                output = Path(folder) / f"report-{mode}.json"
                run = measure(ftqa_argv(path, mode, output))
                if run.returncode not in (0, 1):
                    sys.stderr.write(run.stderr)
                    print(f"error: ftqa exited with {run.returncode}", file=sys.stderr)
                    return 3
                runs[mode].append(run)
                reports[mode] = json.loads(output.read_text(encoding="utf-8"))
    one, two = best(runs["0"]), best(runs["1"])
    rows = reports["0"]["dataset"]["rows"]
    mb = path.stat().st_size / 1e6
    print(f"{path.name}: {rows:,} rows, {mb:.1f} MB; best of {args.repeat}")
    print(f"{'':>16} {'wall s':>8} {'rows/s':>9} {'CPU s':>8} {'peak RSS MB':>12}")
    for label, run in (("one process", one), ("worker process", two)):
        print(
            f"{label:>16} {run.seconds:8.1f} {rows / run.seconds:9,.0f} "
            f"{run.cpu_seconds:8.1f} {run.rss_mb:12.0f}"
        )
    print(f"speed-up over one process: {one.seconds / two.seconds:.2f}x")
    same = without_timings(reports["0"]) == without_timings(reports["1"])
    print(f"reports identical apart from timings: {'yes' if same else 'NO'}")
    return 0 if same else 2


if __name__ == "__main__":
    raise SystemExit(main())
