"""Precision and recall of the `runs` rules on synthetic curves, and the cost of an analysis.

    python benchmarks/bench_runs.py               # 9 patterns x 3 noise levels x 40 seeds
    python benchmarks/bench_runs.py --seeds 100

The curves are synthetic: no corpus of real fine-tuning runs with labelled patterns exists in
this repository, so these numbers say how the rules behave on the shapes they are meant to
tell apart (and how noise blurs them), not how often they are right on real runs. Each curve
is written to show one pattern (or none: `healthy`) with multiplicative uniform noise on the
training loss; a finding of the pattern's rule is true, any other finding is false, except
where a pattern implies a second rule (`EXPECTED`). Precision = true / all findings of the
rule; recall = curves of the pattern that raised the rule / curves of the pattern.

Timing: `ftqa.runs.analyze` on an OpenAI-layout CSV of 10,000 steps (read, judge, advise).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from ftqa.runs import analyze

STEPS, EPOCHS = 120, 4
NOISE = (0.05, 0.15, 0.25)


def _decay(start: float, floor: float, scale: float) -> Callable[[int], float]:
    return lambda step: floor + (start - floor) * math.exp(-step / scale)


def _epochs(values: list[float]) -> Callable[[int], float]:
    size = STEPS // EPOCHS
    return lambda step: values[step // size - 1]


PATTERNS: dict[str, dict] = {
    "healthy": {"train": _decay(2.0, 0.4, 25), "valid": _epochs([1.2, 0.8, 0.7, 0.68])},
    "overfitting": {"train": _decay(2.0, 0.1, 25), "valid": _epochs([1.0, 0.85, 1.0, 1.2])},
    "plateau": {"train": _decay(2.6, 1.8, 12), "valid": _epochs([2.0, 1.9, 1.9, 1.9])},
    "learning-rate-too-low": {
        "train": lambda step: 1.5 - 0.0001 * step,
        "valid": _epochs([1.5, 1.5, 1.49, 1.49]),
    },
    "loss-rising": {"train": lambda step: 1.0 + step / 60, "valid": _epochs([1.5, 1.9, 2.4, 3])},
    "loss-spike": {"train": _decay(2.0, 0.4, 25), "valid": _epochs([1.2, 0.8, 0.7, 0.68])},
    "non-finite-loss": {"train": _decay(2.0, 0.4, 25), "valid": _epochs([1.2, 0.8, 0.7, 0.68])},
    "missing-validation": {"train": _decay(2.0, 0.4, 25), "valid": None},
    "token-accuracy-stalled": {
        "train": _decay(2.0, 0.4, 25),
        "valid": _epochs([1.2, 0.8, 0.7, 0.68]),
        "accuracy": lambda step: 0.61,
    },
}
# A pattern whose curve also shows another rule's pattern by construction.
EXPECTED = {"learning-rate-too-low": {"learning-rate-too-low"}}


def curve(pattern: str, noise: float, seed: int) -> list[dict]:
    spec = PATTERNS[pattern]
    rng = random.Random(seed)
    accuracy = spec.get("accuracy") or (lambda step: 0.5 + 0.4 * (1 - math.exp(-step / 30)))
    per_epoch = STEPS // EPOCHS
    spikes = set(rng.sample(range(40, STEPS), 2)) if pattern == "loss-spike" else set()
    entries = []
    for step in range(1, STEPS + 1):
        loss = spec["train"](step) * (1 + rng.uniform(-noise, noise))
        if step in spikes:
            loss = 4.0
        if pattern == "non-finite-loss" and step > 100:
            loss = math.nan
        epoch = step / per_epoch
        entries.append(
            {"step": step, "epoch": epoch, "loss": loss, "mean_token_accuracy": accuracy(step)}
        )
        if spec["valid"] is not None and step % per_epoch == 0:
            entries.append({"step": step, "epoch": epoch, "eval_loss": spec["valid"](step)})
    return entries


def precision(seeds: int) -> None:
    found: Counter[str] = Counter()
    true: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    runs: Counter[str] = Counter()
    silent = 0
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "log.jsonl"
        for pattern in PATTERNS:
            for noise in NOISE:
                for seed in range(seeds):
                    entries = curve(pattern, noise, seed)
                    path.write_text("".join(json.dumps(e) + "\n" for e in entries))
                    rules = {finding.rule for finding in analyze(path).findings}
                    expected = EXPECTED.get(pattern, {pattern} - {"healthy"})
                    runs[pattern] += 1
                    silent += pattern == "healthy" and not rules
                    hits[pattern] += pattern in rules
                    for rule in rules:
                        found[rule] += 1
                        true[rule] += rule in expected
    print(f"{'rule':<26} {'findings':>8} {'true':>6} {'precision':>9} {'recall':>7}")
    for rule in PATTERNS:
        if rule == "healthy":
            continue
        share = true[rule] / found[rule] if found[rule] else float("nan")
        recall = hits[rule] / runs[rule]
        print(f"{rule:<26} {found[rule]:>8} {true[rule]:>6} {share:>9.3f} {recall:>7.3f}")
    print(f"healthy curves that raised nothing: {silent} of {runs['healthy']}")
    print(f"curves: {sum(runs.values())} ({len(NOISE)} noise levels {NOISE}, {seeds} seeds)")


def timing() -> None:
    rng = random.Random(0)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "step_metrics.csv"
        lines = ["step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy"]
        for step in range(1, 10_001):
            loss = (0.3 + 1.7 * math.exp(-step / 2000)) * (1 + rng.uniform(-0.2, 0.2))
            valid = f"{loss * 1.1:.5f}" if step % 10 == 0 else ""
            lines.append(f"{step},{loss:.5f},0.8,{valid},")
        path.write_text("\n".join(lines) + "\n")
        best = math.inf
        for _ in range(5):
            started = time.perf_counter()
            analyze(path)
            best = min(best, time.perf_counter() - started)
    print(f"analyze, 10,000-step OpenAI CSV: {best * 1000:.1f} ms (best of 5)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=40)
    args = parser.parse_args()
    precision(args.seeds)
    timing()


if __name__ == "__main__":
    main()
