"""`local`, `process` and `dask` executors on the same file, and what more workers would give.

    python benchmarks/bench_dask.py                     # the generator's 1M rows
    python benchmarks/bench_dask.py --rows 100000

Each executor runs `ftqa check FILE --executor E --no-cache --format json` in a fresh process
(`dask` with `--scheduler local:2`: a LocalCluster of 2 worker processes). Columns: wall time,
rows/s, peak memory of the client process and of the largest worker (from `stats.engine`), and
the time workers spent reading and mapping (summed over jobs).

**Bytes sent back per row**: the rows of the first 5,000 lines are mapped in this process and
their results serialised as a worker sends them (pickle, protocol 5); times the file's rows,
that is what crosses the network in a run.

**Projection**: with the measured worker time W (reading and mapping, parallel) and the rest of
the wall time S = wall - W / workers (planning, reduce, report: serial on the client), N workers
take about S + W / N, so rows/s ~ rows / (S + W / N).

The reports of the three runs must be identical (timings, the embedding cache's counters and
`stats.engine` aside); the script exits 2 if not.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Any

from _harness import ensure_dataset, floor_argv, measure, warm
from bench_engine import comparable

SAMPLE_LINES = 5000


def result_bytes_per_row(path: Path) -> float:
    """Pickled map results per row, for the first SAMPLE_LINES lines of `path`."""
    from ftqa.config import load_settings
    from ftqa.engine import Inputs
    from ftqa.engine.mapping import Mapper
    from ftqa.engine.plan import RunPlan
    from ftqa.engine.worker import Job, map_job
    from ftqa.load import Limits, open_path
    from ftqa.load.chunks import plan_ranges
    from ftqa.timelimit import CallTimer

    with (
        tempfile.NamedTemporaryFile("wb", suffix=".jsonl", delete=False) as head,
        open(path, "rb") as source,
    ):
        for _ in range(SAMPLE_LINES):
            line = source.readline()
            if not line:
                break
            head.write(line)
    settings = load_settings({"cache": False})
    inputs = Inputs(train=[open_path(head.name)])
    plan = RunPlan.of(inputs, settings)
    mapper = Mapper.build(plan, CallTimer(None), plan.checkers())
    _, _, parts = plan_ranges(head.name, 1 << 40)
    result = map_job(mapper, Job("train", head.name, Limits(), parts[0]))
    Path(head.name).unlink()
    return len(pickle.dumps(result, protocol=5)) / max(1, result.counted)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--file", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--project", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32])
    args = parser.parse_args(argv)
    path = args.file or ensure_dataset(args.rows, 0)
    warm(path)
    floor = measure(floor_argv(path))
    rows = int(floor.stdout.split()[0])
    runs: dict[str, Any] = {}
    reports: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        for executor in ("local", "process", "dask"):
            output = Path(folder) / f"{executor}.json"
            extra = ["--scheduler", f"local:{args.workers}"] if executor == "dask" else []
            extra += ["--jobs", str(args.workers)] if executor == "process" else []
            run = measure([
                sys.executable, "-m", "ftqa", "check", str(path), "--executor", executor,
                *extra, "--no-cache", "--format", "json", "--output", str(output), "--quiet",
            ])  # fmt: skip
            if run.returncode not in (0, 1):
                sys.stderr.write(run.stderr[-4000:])
                return 3
            runs[executor] = run
            reports[executor] = json.loads(output.read_text(encoding="utf-8"))
    per_row = result_bytes_per_row(path)
    mb = path.stat().st_size / 1e6
    print(f"{path.name}: {rows:,} rows, {mb:.0f} MB; parse floor {floor.seconds:.1f} s")
    print(
        f"{'executor':>9} {'wall s':>8} {'rows/s':>9} {'x floor':>8} {'client MB':>10}"
        f" {'worker MB':>10} {'worker s':>9}"
    )
    for executor, run in runs.items():
        engine = reports[executor]["stats"].get("engine", {})
        print(
            f"{executor:>9} {run.seconds:8.1f} {rows / run.seconds:9,.0f}"
            f" {run.seconds / floor.seconds:8.1f} {run.rss_mb:10.0f}"
            f" {engine.get('worker_peak_mb', 0):10.0f} {engine.get('map_seconds', 0):9.1f}"
        )
    print(
        f"sent back by workers: {per_row:,.0f} bytes per row, about "
        f"{per_row * rows / 1e6:,.0f} MB for this file ({per_row / (mb * 1e6 / rows):.1%} of "
        "the input's bytes)"
    )
    dask = runs["dask"]
    worker_seconds = reports["dask"]["stats"].get("engine", {}).get("map_seconds", 0.0)
    serial = max(0.0, dask.seconds - worker_seconds / args.workers)
    print(f"dask: serial part {serial:.1f} s, worker part {worker_seconds:.1f} s (1 worker)")
    print("projected rows/s by workers: " + ", ".join(
        f"{n}: {rows / (serial + worker_seconds / n):,.0f}" for n in args.project
    ))  # fmt: skip
    first = comparable(reports["local"])
    same = all(comparable(reports[name]) == first for name in ("process", "dask"))
    print(f"reports identical: {'yes' if same else 'NO'}")
    return 0 if same else 2


if __name__ == "__main__":
    raise SystemExit(main())
