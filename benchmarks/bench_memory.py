"""Peak memory of a full default `ftqa check` on large inputs (issue #16's targets).

    python benchmarks/bench_memory.py                       # 1M chat rows and 5M tiny rows
    python benchmarks/bench_memory.py --chat-rows 200000 --tiny-rows 1000000
    python benchmarks/bench_memory.py --executor local

- **chat**: the generator's 1,000,000 chat rows (about 1.8 GB): target <= 2 GB peak.
- **tiny**: 5,000,000 one-turn rows of a few bytes each: target "finishes, <= 4 GB peak".

Each run is `ftqa check FILE --format json --executor E --no-cache` in a fresh process; peak
memory is that of its largest process (the launcher's wait4) and, for the `process` executor,
the workers' own peak from the report's `stats.engine`. The parse floor of each file is
measured in the same invocation, for the ratio.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from _harness import CACHE, ensure_dataset, floor_argv, measure, warm

TARGET_MB = {"chat": 2000.0, "tiny": 4000.0}


def tiny_dataset(rows: int) -> Path:
    path = CACHE / f"tiny-r{rows}.jsonl"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        print(f"generating {path.name} ...", file=sys.stderr, flush=True)
        with open(path, "w", encoding="utf-8") as out:
            for row in range(rows):
                question, answer = f'"q{row}"', f'"a{row % 997}"'
                out.write(
                    f'{{"messages":[{{"role":"user","content":{question}}},'
                    f'{{"role":"assistant","content":{answer}}}]}}\n'
                )
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chat-rows", type=int, default=1_000_000)
    parser.add_argument("--tiny-rows", type=int, default=5_000_000)
    parser.add_argument("--executor", default="process")
    parser.add_argument("--skip", choices=("chat", "tiny"), action="append", default=[])
    args = parser.parse_args(argv)
    cases = []
    if "chat" not in args.skip:
        cases.append(("chat", ensure_dataset(args.chat_rows, 0)))
    if "tiny" not in args.skip:
        cases.append(("tiny", tiny_dataset(args.tiny_rows)))
    print(
        f"{'case':>5} {'rows':>10} {'MB':>7} {'floor s':>8} {'ftqa s':>8} {'x floor':>8}"
        f" {'rows/s':>9} {'peak MB':>8} {'worker MB':>9} {'target':>7}"
    )
    missed = False
    for name, path in cases:
        warm(path)
        floor = measure(floor_argv(path))
        rows = int(floor.stdout.split()[0])
        with tempfile.TemporaryDirectory() as folder:
            output = Path(folder) / "report.json"
            argv_ = [
                sys.executable, "-m", "ftqa", "check", str(path), "--executor", args.executor,
                "--no-cache", "--format", "json", "--output", str(output), "--quiet",
            ]  # fmt: skip
            run = measure(argv_)
            if run.returncode not in (0, 1):
                sys.stderr.write(run.stderr[-4000:])
                return 3
            engine = json.loads(output.read_text(encoding="utf-8"))["stats"].get("engine", {})
        peak = max(run.rss_mb, engine.get("worker_peak_mb", 0.0))
        missed |= peak > TARGET_MB[name]
        print(
            f"{name:>5} {rows:>10,} {path.stat().st_size / 1e6:7.0f} {floor.seconds:8.1f}"
            f" {run.seconds:8.1f} {run.seconds / floor.seconds:8.1f} {rows / run.seconds:9,.0f}"
            f" {run.rss_mb:8.0f} {engine.get('worker_peak_mb', 0):9.0f}"
            f" {'<=' + format(TARGET_MB[name], '.0f'):>7}"
        )
    return 2 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
