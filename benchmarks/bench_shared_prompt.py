"""Bounded memory when one prompt is shared by many rows (issue 16, "Bounded memory and time").

    python benchmarks/bench_shared_prompt.py                 # 50,000 rows
    python benchmarks/bench_shared_prompt.py --rows 10000

The file: `--rows` chat rows that all ask one open-ended question ("Tell me a fun fact."), each
answered differently (a different number), plus a small group that asks a yes/no question and is
answered both "Yes" and "No" (a real contradiction that must still be found). It runs, as child
processes: the orjson parse floor (the baseline of the ratio column), `ftqa check` with only
`contradictions`, and the full default check. It prints wall time, rows/s, MB/s, peak RSS, the
ratio to the floor, and whether the planted yes/no contradiction was reported.

Targets (issue 16): the full check of 50,000 rows sharing one prompt in <= 60 s and <= 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

from _harness import Run, floor_argv, measure

TARGET_SECONDS = 60.0
TARGET_RSS_MB = 1500.0
YES_NO_ROWS = 20


def write_dataset(path: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    things = ["cat", "dog", "sun", "moon", "river", "mountain", "violin", "comet"]
    with path.open("w", encoding="utf-8") as out:
        for index in range(rows):
            answer = (
                f"Fact number {index}: the {rng.choice(things)} is "
                f"{rng.randint(1, 10**6)} units away."
            )
            out.write(json.dumps(_chat("Tell me a fun fact.", answer)) + "\n")
        for index in range(YES_NO_ROWS):
            answer = "Yes, it is." if index % 2 else "No, it is not."
            out.write(json.dumps(_chat("Is the Earth round?", answer)) + "\n")


def _chat(question: str, answer: str) -> dict[str, object]:
    return {
        "messages": [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ]
    }


def ftqa_argv(path: Path, report: Path, select: str | None) -> list[str]:
    argv = [sys.executable, "-m", "ftqa", "check", str(path), "--format", "json"]
    argv += ["--output", str(report), "--quiet"]
    return argv + (["--select", select] if select else [])


def row(name: str, run: Run, rows: int, mb: float, floor: Run) -> str:
    return (
        f"{name:<28} {run.seconds:>8.2f} {rows / run.seconds:>10,.0f} {mb / run.seconds:>7.2f} "
        f"{run.rss_mb:>8.0f} {run.seconds / floor.seconds:>7.1f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "shared-prompt.jsonl"
        write_dataset(path, args.rows, args.seed)
        rows = args.rows + YES_NO_ROWS
        mb = path.stat().st_size / 1e6
        floor = measure(floor_argv(path))
        print(f"{rows:,} rows, {mb:.1f} MB, one prompt shared by {args.rows:,} rows")
        print(f"{'run':<28} {'seconds':>8} {'rows/s':>10} {'MB/s':>7} {'RSS MB':>8} {'ratio':>8}")
        print(row("orjson parse floor", floor, rows, mb, floor))
        verdicts = []
        for name, select in (("contradictions only", "contradictions"), ("full check", None)):
            report = Path(directory) / f"{name.replace(' ', '-')}.json"
            run = measure(ftqa_argv(path, report, select))
            if run.returncode not in (0, 1):
                sys.exit(f"ftqa exited {run.returncode}: {run.stderr[-2000:]}")
            print(row(name, run, rows, mb, floor))
            data = json.loads(report.read_text(encoding="utf-8"))
            status = {check["id"]: check["status"] for check in data["checks"]}
            conflicts = data["stats"]["findings_by_rule"].get("contradictions/conflicting-answers")
            verdicts.append(
                f"{name}: contradictions {status.get('contradictions')}, "
                f"conflicting-answers findings {conflicts or 0} (the planted yes/no group: 1)"
            )
            if select is None:
                within = run.seconds <= TARGET_SECONDS and run.rss_mb <= TARGET_RSS_MB
                verdicts.append(
                    f"target <= {TARGET_SECONDS:.0f} s and <= {TARGET_RSS_MB:.0f} MB: "
                    f"{'met' if within else 'NOT met'}"
                )
        print("\n".join(verdicts))


if __name__ == "__main__":
    main()
