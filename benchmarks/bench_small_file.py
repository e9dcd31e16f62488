"""Does a small file feel instant? A full default `ftqa check` of a 1,000-row chat file, by phase.

    python benchmarks/bench_small_file.py                 # the generator's 1,000 rows, best of 5
    python benchmarks/bench_small_file.py --rows 5000 --repeat 3
    python benchmarks/bench_small_file.py --file data/train.jsonl --check

Every measurement is a fresh process, timed from spawn to exit, best of `--repeat` (the
machine is shared: the minimum is the least disturbed run). Phases, each its own process:

- `python`: `python -c "import json"`, the interpreter's own start-up (the unit of the ratio);
- `import`: `import ftqa.cli` and loading every registered checker, what any check pays first;
- `tokenizers`: the above plus both built-in tiktoken encodings (o200k_base, cl100k_base),
  verified and built (`.encoding`: tables are built on first use);
- `format only`: `ftqa check FILE --select format`, reading and parsing the file;
- `full check`: `ftqa check FILE` with every default checker (the target: <= 1.0 s);
- `full, cold`: the same with an empty ftqa cache directory (FTQA_CACHE_DIR): no parsed
  tokenizer ranks, no embeddings; run once, after the warm runs.

All checks write JSON to a temporary file with `--quiet`. `--check` exits with status 2 when
the warm full check is over `--target` seconds (default 1.0).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from _harness import Run, ensure_dataset, measure, warm

ENV = "/usr/bin/env"
IMPORT = "import ftqa.cli, ftqa.registry as r; r.checkers()"
TOKENIZERS = (
    IMPORT + "; from ftqa.tokens import load_encoding as e; e('o200k_base').encoding; "
    "e('cl100k_base').encoding"
)


def check_argv(path: Path, output: Path, *extra: str, cache: Path | None = None) -> list[str]:
    env = [ENV, f"FTQA_CACHE_DIR={cache}"] if cache is not None else []
    return [
        *env, sys.executable, "-m", "ftqa", "check", str(path), *extra,
        "--format", "json", "--output", str(output), "--quiet",
    ]  # fmt: skip


def best_of(argv: list[str], repeat: int) -> Run:
    runs = []
    for _ in range(repeat):
        run = measure(argv)
        if run.returncode not in (0, 1) or "Traceback" in run.stderr:
            sys.stderr.write(run.stderr)
            raise SystemExit(f"error: {argv[-8:]} exited with {run.returncode}")
        runs.append(run)
    return min(runs, key=lambda run: run.seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1000, help="generated dataset size")
    parser.add_argument("--file", type=Path, help="an existing dataset instead")
    parser.add_argument("--repeat", type=int, default=5, help="take the best of N timings")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--target", type=float, default=1.0, help="seconds, for --check")
    parser.add_argument("--check", action="store_true", help="exit 2 when over the target")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    path = args.file if args.file is not None else ensure_dataset(args.rows, args.seed)
    warm(path)
    python = sys.executable
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        phases: dict[str, Run] = {
            "python": best_of([python, "-c", "import json"], args.repeat),
            "import": best_of([python, "-c", IMPORT], args.repeat),
            "tokenizers": best_of([python, "-c", TOKENIZERS], args.repeat),
            "format only": best_of(check_argv(path, report, "--select", "format"), args.repeat),
            "full check": best_of(check_argv(path, report), args.repeat),
        }
        rows = json.loads(report.read_text(encoding="utf-8"))["dataset"]["rows"]
        cold_cache = Path(folder) / "cold-cache"
        phases["full, cold"] = best_of(check_argv(path, report, cache=cold_cache), 1)
    unit = phases["python"].seconds
    print(f"{path.name}: {rows:,} rows, {path.stat().st_size / 1e6:.1f} MB; best of {args.repeat}")
    print(f"{'phase':>12} {'wall s':>8} {'x python':>9} {'CPU s':>7} {'RSS MB':>7}")
    for name, run in phases.items():
        print(
            f"{name:>12} {run.seconds:8.3f} {run.seconds / unit:9.1f} "
            f"{run.cpu_seconds:7.2f} {run.rss_mb:7.0f}"
        )
    full = phases["full check"].seconds
    print(f"full check: {full:.2f} s (target <= {args.target:.1f} s): "
          f"{'met' if full <= args.target else 'MISSED'}")  # fmt: skip
    if args.json is not None:
        results = {name: vars(run) | {"stdout": "", "stderr": ""} for name, run in phases.items()}
        args.json.write_text(json.dumps({"rows": rows, "phases": results}, indent=2), "utf-8")
    return 2 if args.check and full > args.target else 0


if __name__ == "__main__":
    raise SystemExit(main())
