"""Accuracy and speed of `ftqa check --select contradictions` on generated data.

    python benchmarks/bench_contradictions.py                    # 10,000 and 100,000 rows
    python benchmarks/bench_contradictions.py --rows 10000
    python benchmarks/bench_contradictions.py --no-semantic      # lexical tiers only
    python benchmarks/bench_contradictions.py --build            # also time the first-use build
    python benchmarks/bench_contradictions.py --python /tmp/base/bin/python   # a base install

For each generated file (benchmarks/generate.py; its sidecar lists the planted
`same_prompt_contradiction` and `paraphrase_contradiction` pairs) it runs, as child processes:

- **floor**: the orjson parsing floor of bench_format.py (the baseline of the ratio column);
- **cold**: ftqa with an empty embedding cache (the static model already built, see `--build`);
- **warm**: the same command again, with the embeddings cached by the cold run.

It prints wall time, rows/s, MB/s, peak RSS, the ratio to the floor, and recall and precision
of the reported conflicting-answer pairs against the planted pairs (both kinds), plus the
semantic tier's own counters. Targets (issue 5): 100k rows under 300 s cold and 30 s warm,
recall >= 0.9 for each planted kind, precision >= 0.8.

The ftqa cache lives in benchmarks/.cache/ftqa-home (FTQA_CACHE_DIR); `--build` deletes it
first so the cold run includes distilling the static model.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from _harness import Run, ensure_dataset, floor_argv, load_generator, measure, warm

HERE = Path(__file__).resolve().parent
CACHE_HOME = HERE / ".cache" / "ftqa-home"
KINDS = ("same_prompt_contradiction", "paraphrase_contradiction")
PREDICTING_RULES = ("conflicting-answers", "inconsistent-refusal")
TARGET_COLD_S = 300.0
TARGET_WARM_S = 30.0
TARGET_RECALL = 0.9
TARGET_PRECISION = 0.8
TARGET_ROWS = 100_000


PYTHON = [sys.executable]  # --python: run ftqa with another interpreter (e.g. a base install)


def ftqa_argv(path: Path, config: Path, output: Path) -> list[str]:
    return [
        PYTHON[0], "-m", "ftqa", "check", str(path), "--select", "contradictions",
        "--config", str(config), "--format", "json", "--output", str(output), "--quiet",
    ]  # fmt: skip


def run_ftqa(path: Path, config: Path, env: dict[str, str]) -> tuple[Run, dict[str, Any]]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        output = Path(out.name)
    argv = ftqa_argv(path, config, output)
    old = dict(os.environ)
    os.environ.update(env)
    try:
        run = measure(argv)
    finally:
        os.environ.clear()
        os.environ.update(old)
    if run.returncode not in (0, 1) or "Traceback (most recent call last)" in run.stderr:
        print(f"error: ftqa exited with {run.returncode}: {' '.join(argv)}", file=sys.stderr)
        sys.stderr.write(run.stderr)
        sys.exit(3)
    report = json.loads(output.read_text("utf-8"))
    output.unlink()
    return run, report


def pairs_of(lines: list[int]) -> set[tuple[int, int]]:
    return {(a, b) for a, b in itertools.combinations(sorted(lines), 2)}


def accuracy(report: dict[str, Any], truth: dict[str, Any]) -> dict[str, Any]:
    planted = {kind: {tuple(p) for p in truth["defects"][kind]} for kind in KINDS}
    everything = set().union(*planted.values())
    predicted: set[tuple[int, int]] = set()
    groups = 0
    good_groups = 0
    by_rule: dict[str, int] = {}
    for finding in report["findings"]:
        if finding["check"] != "contradictions":
            continue
        by_rule[finding["rule"]] = by_rule.get(finding["rule"], 0) + 1
        if finding["rule"] not in PREDICTING_RULES or not finding.get("lines"):
            continue
        group = pairs_of(finding["lines"])
        predicted |= group
        groups += 1
        good_groups += bool(group & everything)
    out: dict[str, Any] = {"findings": by_rule, "predicted_pairs": len(predicted)}
    for kind in KINDS:
        found = len(planted[kind] & predicted)
        out[kind] = {
            "planted": len(planted[kind]),
            "found": found,
            "recall": found / len(planted[kind]) if planted[kind] else None,
        }
    true_pairs = len(predicted & everything)
    out["precision"] = true_pairs / len(predicted) if predicted else None
    out["group_precision"] = good_groups / groups if groups else None
    return out


def write_config(directory: Path, semantic: bool, paraphrase: float | None = None) -> Path:
    path = directory / "bench-ftqa.toml"
    threshold = "" if paraphrase is None else f"paraphrase_threshold = {paraphrase}\n"
    path.write_text(
        "max_findings_per_rule = 1000000\n\n[contradictions]\n"
        f"semantic = {'true' if semantic else 'false'}\n{threshold}",
        "utf-8",
    )
    return path


def semantic_summary(report: dict[str, Any]) -> str:
    stats = report.get("stats", {}).get("contradictions", {})
    tiers = stats.get("tiers", {})
    semantic = tiers.get("semantic", {})
    parts = [
        f"identical {tiers.get('identical', {}).get('seconds', '-')}s",
        f"near {tiers.get('near', {}).get('seconds', '-')}s "
        f"({tiers.get('near', {}).get('pairs', '-')} pairs)",
    ]
    if semantic.get("status") == "ran":
        static = semantic.get("static", {})
        precise = semantic.get("precise", {})
        parts.append(
            f"semantic {semantic.get('seconds')}s: path {semantic.get('path')}, "
            f"{semantic.get('candidates')} candidates, static embedded "
            f"{static.get('embedded', 0)} / cached {static.get('from_cache', 0)} "
            f"({static.get('seconds', 0)}s), precise embedded {precise.get('embedded', 0)} / "
            f"cached {precise.get('from_cache', 0)} ({precise.get('seconds', 0)}s)"
        )
        if static.get("built_seconds"):
            parts.append(f"static model built in {static['built_seconds']}s")
    else:
        parts.append(f"semantic {semantic.get('status', '-')}")
    return "; ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-semantic", action="store_true", help="lexical tiers only")
    parser.add_argument("--build", action="store_true", help="start from an empty ftqa cache")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument("--check", action="store_true", help="exit 2 if a target is missed")
    parser.add_argument("--python", help="the interpreter that runs ftqa (default: this one)")
    parser.add_argument(
        "--paraphrase-threshold", type=float, help="contradictions' paraphrase_threshold"
    )
    args = parser.parse_args(argv)
    if args.python:
        PYTHON[0] = args.python
    if args.build:
        shutil.rmtree(CACHE_HOME, ignore_errors=True)
    CACHE_HOME.mkdir(parents=True, exist_ok=True)
    env = {"FTQA_CACHE_DIR": str(CACHE_HOME), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    print(
        f"python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"semantic {'off' if args.no_semantic else 'on'}; MB = 1e6 bytes; RSS = peak MB"
    )
    results: list[dict[str, Any]] = []
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        config = write_config(Path(tmp), not args.no_semantic, args.paraphrase_threshold)
        for rows in args.rows:
            path = ensure_dataset(rows, args.seed)
            truth = json.loads(load_generator().truth_path(path).read_text("utf-8"))
            warm(path)
            floor = measure(floor_argv(path))
            size = path.stat().st_size / 1e6
            shutil.rmtree(CACHE_HOME / "embeddings", ignore_errors=True)
            print(f"\n{path.name}: {rows:,} rows, {size:.1f} MB; floor {floor.seconds:.2f}s")
            row: dict[str, Any] = {"rows": rows, "mb": size, "floor_s": floor.seconds}
            for phase in ("cold", "warm"):
                run, report = run_ftqa(path, config, env)
                acc = accuracy(report, truth)
                row[phase] = {
                    "seconds": run.seconds,
                    "cpu_seconds": run.cpu_seconds,
                    "rss_mb": run.rss_mb,
                    "accuracy": acc,
                }
                recall = " ".join(
                    f"{kind.split('_')[0]} {acc[kind]['found']}/{acc[kind]['planted']}"
                    f" ({(acc[kind]['recall'] or 0):.3f})"
                    for kind in KINDS
                )
                precision = acc["precision"]
                print(
                    f"  {phase}: {run.seconds:7.1f}s (cpu {run.cpu_seconds:6.1f}s)  "
                    f"{rows / run.seconds:8,.0f} rows/s  "
                    f"{size / run.seconds:6.2f} MB/s  RSS {run.rss_mb:6.0f} MB  "
                    f"{run.seconds / floor.seconds:6.1f}x floor | recall {recall} | "
                    f"precision {precision if precision is None else round(precision, 3)} "
                    f"({acc['predicted_pairs']} pairs) | findings {acc['findings']}"
                )
                print(f"         {semantic_summary(report)}")
                if rows >= TARGET_ROWS:
                    limit = TARGET_COLD_S if phase == "cold" else TARGET_WARM_S
                    ok &= run.seconds < limit
                ok &= all((acc[k]["recall"] or 0) >= TARGET_RECALL for k in KINDS)
                ok &= (precision or 0) >= TARGET_PRECISION
            results.append(row)
    print()
    for row in results:
        if row["rows"] >= TARGET_ROWS:
            for phase, limit in (("cold", TARGET_COLD_S), ("warm", TARGET_WARM_S)):
                seconds = row[phase]["seconds"]
                cpu = row[phase]["cpu_seconds"]
                verdict = "PASS" if seconds < limit else "FAIL"
                print(
                    f"target {phase} < {limit:.0f}s at {row['rows']:,} rows: {verdict} "
                    f"({seconds:.1f}s wall, {cpu:.1f}s cpu)"
                )
        acc = row["warm"]["accuracy"]
        recall_ok = all((acc[k]["recall"] or 0) >= TARGET_RECALL for k in KINDS)
        precision_ok = (acc["precision"] or 0) >= TARGET_PRECISION
        print(
            f"target recall >= {TARGET_RECALL} (both kinds) at {row['rows']:,} rows: "
            f"{'PASS' if recall_ok else 'FAIL'}; precision >= {TARGET_PRECISION}: "
            f"{'PASS' if precision_ok else 'FAIL'}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    return 2 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
