"""The row cache: a re-check after editing 1% of the rows, against the cold check.

    python benchmarks/bench_cache.py                     # the generator's 1M rows
    python benchmarks/bench_cache.py --rows 100000 --edit 0.01

1. **cold**: `ftqa check FILE` with an empty row cache (the embedding cache filled first, by
   an untimed run with the row cache off, so the comparison times the row cache alone);
2. every 100th row (for `--edit 0.01`) gets a changed reply, written to a copy of the file;
3. **warm**: `ftqa check COPY` with the row cache of step 1;
4. **reference**: `ftqa check COPY --no-cache`, whose report the warm one must equal (timings,
   the embedding cache's counters and `stats.engine` aside).

Issue #16's target: the warm re-check takes <= 10% of the cold time.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from _harness import ensure_dataset, measure, warm
from bench_engine import comparable


def check_argv(path: Path, output: Path, cache: Path | None, executor: str) -> list[str]:
    argv = [
        "/usr/bin/env", f"FTQA_ROW_CACHE={cache or '/nonexistent'}",
        sys.executable, "-m", "ftqa", "check", str(path), "--executor", executor,
        "--format", "json", "--output", str(output), "--quiet",
    ]  # fmt: skip
    return argv if cache is not None else [*argv, "--no-cache"]


def edited_copy(path: Path, target: Path, every: int) -> int:
    changed = 0
    with open(path, "rb") as source, open(target, "wb") as out:
        for number, line in enumerate(source):
            if number % every == every - 1 and line.strip().startswith(b"{"):
                try:
                    row = json.loads(line)
                except ValueError:
                    out.write(line)
                    continue
                messages = row.get("messages") if isinstance(row, dict) else None
                if isinstance(messages, list) and messages and isinstance(messages[-1], dict):
                    messages[-1]["content"] = f"{messages[-1].get('content')} (edited {number})"
                    line = (json.dumps(row, ensure_ascii=False) + "\n").encode()
                    changed += 1
            out.write(line)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--file", type=Path)
    parser.add_argument("--edit", type=float, default=0.01, help="share of rows edited")
    parser.add_argument("--executor", default="auto")
    args = parser.parse_args(argv)
    path = args.file or ensure_dataset(args.rows, 0)
    warm(path)
    every = max(1, round(1 / args.edit))
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        cache = work / "rows"
        copy = work / f"edited-{path.name}"
        reports: dict[str, Any] = {}
        measure(check_argv(path, work / "embed.json", None, args.executor))  # embeddings
        cold = measure(check_argv(path, work / "cold.json", cache, args.executor))
        changed = edited_copy(path, copy, every)
        hot = measure(check_argv(copy, work / "warm.json", cache, args.executor))
        reference = measure(check_argv(copy, work / "reference.json", None, args.executor))
        for run in (cold, hot, reference):
            if run.returncode not in (0, 1):
                sys.stderr.write(run.stderr[-4000:])
                return 3
        for name in ("warm", "reference"):
            reports[name] = json.loads((work / f"{name}.json").read_text(encoding="utf-8"))
    engine = reports["warm"]["stats"].get("engine", {})
    rows = reports["reference"]["dataset"]["rows"]
    print(f"{path.name}: {rows:,} rows; {changed:,} edited ({changed / rows:.1%})")
    print(f"{'run':>22} {'wall s':>8} {'CPU s':>8} {'peak MB':>8}")
    for name, run in (("cold (empty cache)", cold), ("warm (1% edited)", hot),
                      ("no cache (reference)", reference)):  # fmt: skip
        print(f"{name:>22} {run.seconds:8.1f} {run.cpu_seconds:8.1f} {run.rss_mb:8.0f}")
    print(f"row cache: {engine.get('cache')}")
    print(f"warm / cold: {hot.seconds / cold.seconds:.1%} (target <= 10%)")
    same = comparable(reports["warm"]) == comparable(reports["reference"])
    print(f"warm report equals the uncached one: {'yes' if same else 'NO'}")
    return 0 if same else 2


if __name__ == "__main__":
    raise SystemExit(main())
