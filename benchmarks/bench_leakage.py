"""Time the `leakage` check against parse-only runs, measure its recall on planted template
tokens, and compare the combined-matcher engines.

    python benchmarks/bench_leakage.py                   # the generated 100,000-row dataset
    python benchmarks/bench_leakage.py --rows 10000 --repeat 1
    python benchmarks/bench_leakage.py --file data/train.jsonl

Three commands run as fresh child processes, best of --repeat, timed from spawn to exit:

- floor: orjson parsing every line (bench_format.py's floor);
- parse-only: `ftqa check FILE --select format` (reading, normalizing, the format check);
- leakage: `ftqa check FILE --select leakage` (reading, normalizing, the leakage check).

The leakage check's own cost is the difference of the last two; the ratio leakage / parse-only
is the number to watch. Recall: every `template_token` the generator planted (truth sidecar)
must be reported on its line by `leakage/leaked-template-token` or `leaked-special-token`
naming the token; token findings on other lines are counted as false positives (clean
generated text holds no template token). The matcher comparison times, in this process, one
pass over every message content of the file with each engine.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"ftqa_bench_{name}", HERE / f"{name}.py")
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load benchmarks/{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bench = load("bench_format")


def ftqa_argv(path: Path, check: str, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "ftqa", "check", str(path), "--select", check,
        "--format", "json", "--quiet", *extra,
    ]  # fmt: skip


def timed(argv: list[str], repeat: int) -> tuple[float, float, Any]:
    runs = []
    for _ in range(repeat):
        run = bench.measure(argv)
        if not bench.ftqa_ok(run) and run.returncode != 0:
            bench.fail(argv[3] if len(argv) > 3 else "command", argv, run)
        runs.append(run)
    return min(r.seconds for r in runs), max(r.rss_mb for r in runs), runs[-1]


def recall(path: Path) -> dict[str, Any]:
    """Run the leakage check once (all findings listed) and compare with the truth sidecar."""
    truth_path = path.with_name(path.name.replace(".jsonl", ".truth.json"))
    if not truth_path.exists():
        return {"note": "no truth sidecar"}
    truth = json.loads(truth_path.read_text())
    planted = truth["defects"].get("template_token", [])
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "bench.toml"
        config.write_text("max-findings-per-rule = 100000000\n")
        report_path = Path(tmp) / "report.json"
        argv = ftqa_argv(path, "leakage", "--config", str(config), "--output", str(report_path))
        run = bench.measure(argv)
        if not bench.ftqa_ok(run):
            bench.fail("ftqa", argv, run)
        report = json.loads(report_path.read_text())
    token_rules = {"leaked-template-token", "leaked-special-token"}
    by_line: dict[int, list[str]] = {}
    for finding in report["findings"]:
        if finding["check"] == "leakage" and finding["rule"] in token_rules:
            by_line.setdefault(finding["line"], []).append(finding["message"])
    found = 0
    missed: list[Any] = []
    for line, token in planted:
        shown = "`" + json.dumps(token, ensure_ascii=False)[1:-1] + "`"
        if any(shown in message for message in by_line.get(line, [])):
            found += 1
        else:
            missed.append([line, token])
    planted_lines = {line for line, _ in planted}
    return {
        "planted": len(planted),
        "found": found,
        "recall": found / len(planted) if planted else None,
        "missed": missed[:10],
        "false_positive_lines": sorted(set(by_line) - planted_lines)[:10],
        "false_positives": len(set(by_line) - planted_lines),
        "by_rule": {
            key: value
            for key, value in report["stats"]["findings_by_rule"].items()
            if key.startswith("leakage/")
        },
        "matcher": report["stats"]["leakage"]["matcher"],
    }


def contents(path: Path) -> list[str]:
    texts: list[str] = []
    with open(path, "rb") as handle:
        for line in handle:
            try:
                row = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            messages = row.get("messages") if isinstance(row, dict) else None
            if not isinstance(messages, list):
                continue
            for message in messages:
                if isinstance(message, dict) and isinstance(message.get("content"), str):
                    texts.append(message["content"])
    return texts


def matchers(path: Path, repeat: int) -> list[dict[str, Any]]:
    from ftqa.checks.leakage import LeakageOptions, Matcher, Vocabulary

    vocabulary = Vocabulary.build(LeakageOptions(), None)
    literals = vocabulary.matcher.literals
    patterns = [pattern.pattern for pattern in vocabulary.matcher.patterns]
    texts = contents(path)
    chars = sum(map(len, texts))
    engines: list[tuple[str, Any]] = []
    with contextlib.suppress(ImportError):  # the automaton needs ahocorasick-rs
        automaton = Matcher(literals, patterns, "ahocorasick")
        engines.append(("ahocorasick-rs automaton", automaton.find))
    engines.append(("re, branches by first char", Matcher(literals, patterns, "re").find))
    naive = re.compile("|".join([re.escape(word) for word in literals] + patterns))
    engines.append(("re, plain alternation", lambda text: list(naive.finditer(text))))
    results = []
    for name, find in engines:
        best = float("inf")
        hits = 0
        for _ in range(repeat):
            start = time.perf_counter()
            hits = sum(len(find(text)) for text in texts)
            best = min(best, time.perf_counter() - start)
        results.append(
            {"engine": name, "seconds": best, "mchars_s": chars / best / 1e6, "hits": hits}
        )
    results.append({"engine": f"({len(texts):,} texts, {chars / 1e6:.1f}M chars, "
                    f"{len(literals)} literals)", "seconds": None})  # fmt: skip
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=None, help="generated rows (default 100000)")
    parser.add_argument("--file", type=Path, help="an existing JSONL file instead")
    parser.add_argument("--repeat", type=int, default=3, help="best of N timings")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    if args.file is not None:
        path = args.file
    else:
        path = bench.ensure_dataset(args.rows or 100_000, args.seed)
    bench.warm(path)
    size_mb = path.stat().st_size / 1e6
    floor_s, floor_rss, floor_run = timed(bench.floor_argv(path), args.repeat)
    rows = int(floor_run.stdout.split()[0])
    # The report goes to a scratch file: ftqa refuses a device as an output (docs/guarantees.md).
    null = ("--output", str(Path(tempfile.gettempdir()) / f"ftqa-bench-leakage-{os.getpid()}.json"))
    parse_s, parse_rss, _ = timed(ftqa_argv(path, "format", *null), args.repeat)
    leak_s, leak_rss, _ = timed(ftqa_argv(path, "leakage", *null), args.repeat)
    print(f"{path.name}: {rows:,} rows, {size_mb:.1f} MB; best of {args.repeat}; "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    print(f"{'run':<24}{'seconds':>9}{'rows/s':>11}{'MB/s':>8}{'peak RSS MB':>13}")
    for name, seconds, rss in (
        ("floor (orjson)", floor_s, floor_rss),
        ("parse-only (format)", parse_s, parse_rss),
        ("leakage", leak_s, leak_rss),
    ):
        print(f"{name:<24}{seconds:>9.3f}{rows / seconds:>11,.0f}{size_mb / seconds:>8.1f}"
              f"{rss:>13.1f}")  # fmt: skip
    own = max(0.0, leak_s - parse_s)
    print(f"leakage / parse-only: {leak_s / parse_s:.2f}x   leakage / floor: "
          f"{leak_s / floor_s:.2f}x   leakage's own time: {own:.3f}s "
          f"({own / rows * 1e6:.1f} us/row)")  # fmt: skip
    quality = recall(path)
    if "planted" in quality:
        print(f"planted template tokens: {quality['found']}/{quality['planted']} found "
              f"(recall {quality['recall']:.3f}), {quality['false_positives']} false-positive "
              f"lines, matcher {quality['matcher']}")  # fmt: skip
        if quality["missed"]:
            print(f"  missed (first 10): {quality['missed']}")
        print(f"  findings: {quality['by_rule']}")
    engines = matchers(path, args.repeat)
    print("matcher, one pass over every message content:")
    for entry in engines:
        if entry["seconds"] is None:
            print(f"  {entry['engine']}")
        else:
            print(f"  {entry['engine']:<30}{entry['seconds']:>8.3f}s{entry['mchars_s']:>8.0f} "
                  f"Mchar/s  {entry['hits']} hits")  # fmt: skip
    if args.json:
        payload = {
            "file": str(path), "rows": rows, "mb": size_mb, "floor_s": floor_s,
            "parse_s": parse_s, "leakage_s": leak_s, "ratio_parse": leak_s / parse_s,
            "rss_mb": leak_rss, "recall": quality, "matchers": engines,
        }  # fmt: skip
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
