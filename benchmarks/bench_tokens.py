"""Time ftqa's token counting (`--select token_length`) against a bare `encode_ordinary` loop.

    python benchmarks/bench_tokens.py                     # 100,000 generated rows, best of 3
    python benchmarks/bench_tokens.py --rows 10000 --repeat 1
    python benchmarks/bench_tokens.py --file data/train.jsonl --model gpt-3.5-turbo
    python benchmarks/bench_tokens.py --two-processes     # also: what a second core would give

Each measurement is a fresh child process, timed and sized like bench_format.py (wall clock
from spawn to exit; peak RSS from os.wait4). Both children first load the same verified
vocabulary through ftqa.tokens (not timed), then:

- loop: parses every line with orjson, collects the text strings ftqa tokenizes (message
  contents, names, tool-call names and arguments) and times
  `for s in strings: n += len(encoding.encode_ordinary(s))` — the floor. It also times the same
  loop counting each system/developer prompt once (`loop, repeats once`), which is what ftqa
  does for those recurring strings.
- ftqa: the checker's `map` (through the TOKENS provider) and `reduce` on every row, CPU time;
  then `ftqa.check(FILE, select=["token_length"], model=MODEL)`, the engine's timing of the
  checker (report.checks[...].seconds) next to the whole run.

The target (issue #16): ftqa's checker time at most 1.2x the bare loop over the same strings.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
RATIO_TARGET = 1.2

LOOP_CODE = """\
import sys, time
import orjson
from ftqa.tokens import get_profile

profile = get_profile(sys.argv[2])
tokenizer = profile.tokenizer
encode = tokenizer.encoding.encode_ordinary if hasattr(tokenizer, "encoding") else None
count = (lambda s: len(encode(s))) if encode else tokenizer.count
strings, repeated = [], []
rows = 0
inter_cpu = inter_wall = 0.0
inter_tokens = 0
with open(sys.argv[1], "rb") as f:
    for line in f:
        if line.isspace():
            continue
        rows += 1
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("messages"), list):
            continue
        mine = []
        for m in obj["messages"]:
            if not isinstance(m, dict):
                continue
            content = m.get("content")
            if isinstance(content, str) and content:
                mine.append(content)
                repeated.append(m.get("role") in ("system", "developer"))
            if isinstance(m.get("name"), str):
                mine.append(m["name"])
                repeated.append(False)
            for call in m.get("tool_calls") or ():
                fn = call.get("function") if isinstance(call, dict) else None
                if isinstance(fn, dict):
                    for key in ("name", "arguments"):
                        if isinstance(fn.get(key), str) and fn[key]:
                            mine.append(fn[key])
                            repeated.append(False)
        # the same strings, counted as each row is read (as a streaming checker sees them)
        w, c = time.perf_counter(), time.process_time()
        for s in mine:
            inter_tokens += count(s)
        inter_wall += time.perf_counter() - w
        inter_cpu += time.process_time() - c
        strings.extend(mine)
start, cpu = time.perf_counter(), time.process_time()
tokens = 0
for s in strings:
    tokens += count(s)
loop, loop_cpu = time.perf_counter() - start, time.process_time() - cpu
start, cpu = time.perf_counter(), time.process_time()
memo = {}
once = 0
for s, rep in zip(strings, repeated):
    if rep:
        n = memo.get(s)
        if n is None:
            n = memo[s] = count(s)
        once += n
    else:
        once += count(s)
dedup, dedup_cpu = time.perf_counter() - start, time.process_time() - cpu
assert once == tokens
two = None
if sys.argv[3] == "1":
    from multiprocessing import get_context
    def part(chunk):
        return sum(count(s) for s in chunk)
    ctx = get_context("fork")
    half = len(strings) // 2
    with ctx.Pool(2) as pool:
        pool.map(part, [["warm"], ["up"]])
        start = time.perf_counter()
        assert sum(pool.map(part, [strings[:half], strings[half:]])) == tokens
        two = time.perf_counter() - start
assert inter_tokens == tokens
print(orjson.dumps({"rows": rows, "strings": len(strings), "tokens": tokens, "loop": loop,
                    "inter_cpu": inter_cpu, "inter_wall": inter_wall,
                    "loop_cpu": loop_cpu, "dedup": dedup, "dedup_cpu": dedup_cpu,
                    "two": two}).decode())
"""

FTQA_CODE = """\
import sys, time
import orjson
import ftqa
from ftqa.checker import CheckContext
from ftqa.checks.token_length import TokenLengthChecker
from ftqa.load import open_path
from ftqa.normalize import Normalizer
from ftqa.providers import Provided, RunContext
from ftqa.providers.tokens import token_target
from ftqa.rowresult import RowKey

path, model = sys.argv[1], sys.argv[2]
options = TokenLengthChecker.Options()
run = RunContext(model=model, options={"token_length": options})
token_target(run)  # load the vocabulary before timing, as the loop does
# 1. ftqa's own path, driven like the engine does (a fresh Provided per row, map, then reduce),
# CPU time of map + reduce only.
checker = TokenLengthChecker(options, CheckContext(files=(path,), model=model))
needs = frozenset(checker.needs)
normalizer = Normalizer()
cpu = wall = 0.0
for record in open_path(path).records():
    record.split = "train"
    normalizer.normalize(record)
    if not record.readable or record.row < 0:
        continue
    w, c = time.perf_counter(), time.process_time()
    result = checker.map(record, Provided(record, run).allow(needs))
    if result is not None and result.features is not None:
        checker.reduce(RowKey("train", record.file, record.row, record.line), result.features)
    wall += time.perf_counter() - w
    cpu += time.process_time() - c
w, c = time.perf_counter(), time.process_time()
list(checker.finish())
checker.stats()
checker.extras()
finish_wall, finish_cpu = time.perf_counter() - w, time.process_time() - c
# 2. the whole check through the public API; the engine times each checker (wall clock).
start = time.perf_counter()
report = ftqa.check(path, select=["token_length"], model=model)
run_wall = time.perf_counter() - start
run = next(c for c in report.checks if c.id == "token_length")
if run.status != "ran":
    raise SystemExit(f"token_length {run.status}: {run.note}")
stats = report.stats["token_length"]
print(orjson.dumps({"rows": report.dataset.rows, "rows_cpu": cpu, "rows_wall": wall,
                    "finish_cpu": finish_cpu, "finish_wall": finish_wall,
                    "checker": run.seconds, "run": run_wall,
                    "tokens_total": stats["total"], "examples": stats["examples"]}).decode())
"""


@dataclass
class Result:
    file: str
    rows: int
    mb: float
    strings: int
    content_tokens: int
    loop_s: float
    loop_cpu_s: float
    inter_cpu_s: float  # the same loop, row by row while reading the file
    inter_wall_s: float
    dedup_cpu_s: float
    two_processes_s: float | None
    loop_child_s: float
    loop_rss_mb: float
    ftqa_cpu_s: float  # map + reduce over every row, CPU time
    ftqa_wall_s: float  # the same, wall clock
    ftqa_finish_cpu_s: float  # finish + stats (cost range: other tokenizers) + extras
    ftqa_checker_s: float  # the engine's own timing of the checker in ftqa.check (wall)
    ftqa_run_s: float  # the whole ftqa.check call
    ftqa_child_s: float
    ftqa_rss_mb: float
    ftqa_tokens_total: int

    @property
    def ratio(self) -> float:
        return self.ftqa_cpu_s / self.inter_cpu_s

    @property
    def ratio_list(self) -> float:
        return self.ftqa_cpu_s / self.loop_cpu_s

    @property
    def ratio_dedup(self) -> float:
        return self.ftqa_cpu_s / self.dedup_cpu_s

    @property
    def ratio_wall(self) -> float:
        return self.ftqa_checker_s / self.loop_s


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"ftqa_bench_{name}", HERE / f"{name}.py")
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load benchmarks/{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def child(fmt: ModuleType, code: str, *args: str) -> tuple[dict[str, Any], Any]:
    argv = [sys.executable, "-c", code, *args]
    run = fmt.measure(argv)
    if run.returncode != 0:
        fmt.fail("child", argv, run)
    return json.loads(run.stdout.strip().splitlines()[-1]), run


def bench(fmt: ModuleType, path: Path, model: str, repeat: int, two: bool) -> Result:
    fmt.warm(path)
    loops: list[tuple[dict[str, Any], Any]] = []
    ftqas: list[tuple[dict[str, Any], Any]] = []
    for _ in range(repeat):
        loops.append(child(fmt, LOOP_CODE, str(path), model, "1" if two else "0"))
        ftqas.append(child(fmt, FTQA_CODE, str(path), model))
    first = loops[0][0]
    twos = [item[0]["two"] for item in loops if item[0]["two"] is not None]

    def best(items: list[tuple[dict[str, Any], Any]], key: str) -> float:
        return min(item[0][key] for item in items)

    return Result(
        file=str(path),
        rows=first["rows"],
        mb=path.stat().st_size / 1e6,
        strings=first["strings"],
        content_tokens=first["tokens"],
        loop_s=best(loops, "loop"),
        loop_cpu_s=best(loops, "loop_cpu"),
        inter_cpu_s=best(loops, "inter_cpu"),
        inter_wall_s=best(loops, "inter_wall"),
        dedup_cpu_s=best(loops, "dedup_cpu"),
        two_processes_s=min(twos) if twos else None,
        loop_child_s=min(item[1].seconds for item in loops),
        loop_rss_mb=max(item[1].rss_mb for item in loops),
        ftqa_cpu_s=best(ftqas, "rows_cpu"),
        ftqa_wall_s=best(ftqas, "rows_wall"),
        ftqa_finish_cpu_s=best(ftqas, "finish_cpu"),
        ftqa_checker_s=best(ftqas, "checker"),
        ftqa_run_s=best(ftqas, "run"),
        ftqa_child_s=min(item[1].seconds for item in ftqas),
        ftqa_rss_mb=max(item[1].rss_mb for item in ftqas),
        ftqa_tokens_total=ftqas[0][0]["tokens_total"],
    )


def report(r: Result) -> list[str]:
    lines = [
        f"{r.file}: {r.rows:,} rows, {r.mb:.1f} MB, {r.strings:,} strings, "
        f"{r.content_tokens:,} content tokens ({r.ftqa_tokens_total:,} with chat overhead)",
        "                                              CPU s   wall s",
        f"  loop   encode_ordinary over every string   {r.loop_cpu_s:7.3f}  {r.loop_s:7.3f}  "
        f"{r.content_tokens / r.loop_cpu_s / 1e6:5.2f} M tokens/s  "
        f"{r.rows / r.loop_cpu_s:8,.0f} rows/s",
        f"  loop   the same, row by row while reading {r.inter_cpu_s:7.3f}  {r.inter_wall_s:7.3f}  "
        f"{r.content_tokens / r.inter_cpu_s / 1e6:5.2f} M tokens/s",
        f"  loop   system prompts counted once       {r.dedup_cpu_s:7.3f}",
    ]
    if r.two_processes_s is not None:
        lines.append(
            f"  loop   two processes (fork, 2 chunks)            {r.two_processes_s:7.3f}  "
            f"({r.loop_s / r.two_processes_s:.2f}x faster than one process)"
        )
    lines += [
        f"  ftqa   token_length, every row           {r.ftqa_cpu_s:7.3f}  {r.ftqa_wall_s:7.3f}  "
        f"{r.rows / r.ftqa_cpu_s:8,.0f} rows/s",
        f"  ftqa   finish, stats (cost range), extras {r.ftqa_finish_cpu_s:7.3f}",
        f"  ftqa   the engine's checker time                 {r.ftqa_checker_s:7.3f}",
        f"  ftqa   whole ftqa.check (read, parse, check)     {r.ftqa_run_s:7.3f}  "
        f"{r.rows / r.ftqa_run_s:8,.0f} rows/s  {r.mb / r.ftqa_run_s:5.1f} MB/s",
        f"  peak RSS: loop child {r.loop_rss_mb:.0f} MB (holds every string), "
        f"ftqa child {r.ftqa_rss_mb:.0f} MB; spawn to exit: loop {r.loop_child_s:.1f} s, "
        f"ftqa {r.ftqa_child_s:.1f} s",
        f"  ratio  ftqa / loop row by row: CPU {r.ratio:.3f}x; / loop over the list: CPU "
        f"{r.ratio_list:.3f}x, wall {r.ratio_wall:.3f}x (engine timing); / loop counting "
        f"system prompts once: CPU {r.ratio_dedup:.3f}x",
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", help="generated sizes (default 100000)")
    parser.add_argument("--file", type=Path, action="append", default=[], help="existing JSONL")
    parser.add_argument("--model", default="gpt-4o-mini", help="target model profile")
    parser.add_argument("--repeat", type=int, default=3, help="take the best of N timings")
    parser.add_argument("--seed", type=int, default=0, help="seed for generated datasets")
    parser.add_argument(
        "--two-processes", action="store_true", help="also time the loop split over 2 processes"
    )
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument("--check", action="store_true", help="exit 2 if the target is missed")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    for path in args.file:
        if not path.is_file():
            parser.error(f"no such file: {path}")
    fmt = load("bench_format")
    sizes = args.rows if args.rows is not None else ([] if args.file else [100_000])
    paths = list(args.file) + [fmt.ensure_dataset(n, args.seed) for n in sizes]

    from ftqa.tokens import get_profile

    profile = get_profile(args.model)
    print(
        f"python {platform.python_version()}, ftqa {fmt.ftqa_version()}, {os.cpu_count()} CPUs, "
        f"model {profile.name} ({profile.encoding_name or profile.tokenizer_path}), "
        f"best of {args.repeat}; MB = 1e6 bytes",
        flush=True,
    )
    results = []
    for path in paths:
        result = bench(fmt, path, args.model, args.repeat, args.two_processes)
        results.append(result)
        for line in report(result):
            print(line, flush=True)
    worst = max(results, key=lambda r: r.ratio)
    ok = worst.ratio <= RATIO_TARGET
    print(
        f"target ftqa token counting <= {RATIO_TARGET:g}x the bare loop (CPU time): "
        f"{'PASS' if ok else 'FAIL'} (worst {worst.ratio:.3f}x at {worst.rows:,} rows)"
    )
    if args.json:
        payload = [asdict(r) | {"ratio": r.ratio, "ratio_dedup": r.ratio_dedup} for r in results]
        args.json.write_text(json.dumps(payload, indent=2) + "\n", "utf-8")
    return 2 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
