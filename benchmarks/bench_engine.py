"""A full default `ftqa check` on each executor, cold and warm, against the parse floor.

    python benchmarks/bench_engine.py                    # the generator's 100k rows
    python benchmarks/bench_engine.py --rows 10000 --executors local process
    python benchmarks/bench_engine.py --file data/train.jsonl

Every run is `ftqa check FILE --format json --executor E` in a fresh process, timed from spawn
to exit (wall, CPU of the whole process tree, peak RSS of its largest process, and the workers'
peak from the report's `stats.engine`). The floor is a bare orjson parse of every line,
measured in the same invocation; ratios are wall time over the floor's. On a shared 2-CPU
machine single timings swing by a third, so the floor is the median of `--repeat` runs spread
over the session (one before the ftqa runs, the rest after), and a warm run is repeated
`--repeat` times and its median reported; the cold run is made once.

- **cold**: an empty row cache and an empty embedding cache (the static embedding model is
  shipped with ftqa, so nothing is built at run time);
- **warm**: the same command again, the row cache and the embedding cache filled by the cold
  run.

The reports of every run are compared field by field (check timings and `stats.engine`
aside); the script exits 2 if any differ. Issue #16's targets for the 100k file with the
`process` executor on 2 cores: warm <= 30x the floor, cold <= 60x.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from _harness import Run, ensure_dataset, floor_argv, measure, warm
from ftqa.report_compare import run_independent

TARGETS = {("process", "warm"): 30.0, ("process", "cold"): 60.0}


def ftqa_argv(path: Path, executor: str, output: Path, cache: Path, user_cache: Path) -> list[str]:
    return [
        "/usr/bin/env", f"FTQA_ROW_CACHE={cache}", f"FTQA_CACHE_DIR={user_cache}",
        sys.executable, "-m", "ftqa", "check", str(path), "--executor", executor,
        "--format", "json", "--output", str(output), "--quiet",
    ]  # fmt: skip


def comparable(report: dict[str, Any]) -> Any:
    return run_independent(report)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="generated dataset size")
    parser.add_argument("--file", type=Path, help="an existing dataset instead")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--executors", nargs="+", default=["local", "process"])
    parser.add_argument("--check", action="store_true", help="exit 2 when a target is missed")
    parser.add_argument(
        "--repeat", type=int, default=3, help="floor measurements and warm runs (median)"
    )
    args = parser.parse_args(argv)
    path = args.file if args.file is not None else ensure_dataset(args.rows, args.seed)
    warm(path)
    floors = [measure(floor_argv(path))]
    rows = int(floors[0].stdout.split()[0])
    mb = path.stat().st_size / 1e6
    results: list[tuple[str, str, Run, dict[str, Any]]] = []
    reports: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        for executor in args.executors:
            cache = Path(folder) / f"rows-{executor}"
            user_cache = Path(folder) / f"user-{executor}"
            for mode in ("cold", "warm"):
                output = Path(folder) / f"{executor}-{mode}.json"
                runs = []
                for _ in range(1 if mode == "cold" else max(1, args.repeat)):
                    run = measure(ftqa_argv(path, executor, output, cache, user_cache))
                    if run.returncode not in (0, 1):
                        sys.stderr.write(run.stderr[-4000:])
                        print(f"error: ftqa exited with {run.returncode}", file=sys.stderr)
                        return 3
                    runs.append(run)
                    report = json.loads(output.read_text(encoding="utf-8"))
                    reports.append(report)
                run = median_run(runs)
                results.append((executor, mode, run, report["stats"].get("engine", {})))
            shutil.rmtree(cache, ignore_errors=True)
    floors.extend(measure(floor_argv(path)) for _ in range(max(0, args.repeat - 1)))
    floor = median_run(floors)
    print(f"{path.name}: {rows:,} rows, {mb:.1f} MB; {os.cpu_count()} CPUs")
    spread = ", ".join(f"{run.seconds:.2f}" for run in floors)
    print(
        f"parse floor: {floor.seconds:.2f} s ({rows / floor.seconds:,.0f} rows/s;"
        f" median of {spread})"
    )
    header = (
        f"{'executor':>9} {'mode':>5} {'wall s':>8} {'rows/s':>9} {'MB/s':>7} {'CPU s':>8}"
        f" {'peak MB':>8} {'worker MB':>9} {'x floor':>8} {'target':>7}"
    )
    print(header)
    missed = False
    for executor, mode, run, engine in results:
        ratio = run.seconds / floor.seconds
        target = TARGETS.get((executor, mode))
        if target is not None and ratio > target:
            missed = True
        print(
            f"{executor:>9} {mode:>5} {run.seconds:8.1f} {rows / run.seconds:9,.0f}"
            f" {mb / run.seconds:7.2f} {run.cpu_seconds:8.1f} {run.rss_mb:8.0f}"
            f" {engine.get('worker_peak_mb', 0):9.0f} {ratio:8.1f}"
            f" {('<=' + format(target, '.0f')) if target else '':>7}"
        )
        cache = engine.get("cache")
        if cache:
            print(f"{'':>15} row cache: {cache['hits']:,} hits, {cache['misses']:,} misses")
    first = comparable(reports[0])
    same = all(comparable(report) == first for report in reports[1:])
    print(f"reports identical (timings and stats.engine aside): {'yes' if same else 'NO'}")
    if not same:
        return 2
    return 2 if args.check and missed else 0


def median_run(runs: list[Run]) -> Run:
    return sorted(runs, key=lambda run: run.seconds)[len(runs) // 2]


if __name__ == "__main__":
    raise SystemExit(main())
