"""Cost of the outbound-text layer (`ftqa.outbound`) per string, and of building findings.

    python benchmarks/bench_outbound.py                 # 200,000 strings per case
    python benchmarks/bench_outbound.py --count 50000

Each case calls the layer on `--count` distinct strings (so the cache never helps, unless the
case says so) and prints microseconds per call: finding messages and field paths as checkers
write them, excerpts of prose, excerpts of code and ids (which reach the detailed scan), strings
that hold a credential or an email address, the same message repeated (cache hits), and the
construction of a `Finding` with message, field, evidence and fix, against a plain pydantic
model with the same fields (what a finding cost before the layer).
"""

from __future__ import annotations

import argparse
import random
import string
import time
from collections.abc import Callable

from pydantic import BaseModel

from ftqa.finding import Finding, Severity
from ftqa.outbound import outbound, outbound_excerpt

WORDS = [
    "the", "model", "answer", "question", "because", "data", "training", "user", "assistant",
    "returns", "value", "France", "capital", "Paris", "example", "people", "should", "never",
]  # fmt: skip


class PlainFinding(BaseModel):
    check: str
    rule: str
    severity: Severity
    message: str
    field: str | None = None
    evidence: str | None = None
    fix: str | None = None


def _prose(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)) + f" {rng.randrange(10**6)}"


def _code(rng: random.Random) -> str:
    token = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(24))
    return f"def handler_{rng.randrange(10**6)}(request_id='{token}'): return fetch(url)"


def _secret(rng: random.Random) -> str:
    key = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(48))
    return f"my key is sk-proj-{key} and more"


def _email(rng: random.Random) -> str:
    local = "".join(rng.choice(string.ascii_lowercase) for _ in range(10))
    return f"contact {local}{rng.randrange(100)}@gmail.com for details"


CASES: dict[str, Callable[[random.Random, int], str]] = {
    "finding message": lambda rng, i: (
        f"`messages[{i % 7}].content` is empty or whitespace only (row {i})"
    ),
    "field path": lambda rng, i: f"messages[{i % 9}].tool_calls[{i % 3}].function.arguments{i}",
    "prose excerpt (80 chars)": lambda rng, i: _prose(rng, 12)[:80],
    "code excerpt (ids, calls)": lambda rng, i: _code(rng),
    "holds a credential": lambda rng, i: _secret(rng),
    "holds an email address": lambda rng, i: _email(rng),
}


def _time(label: str, calls: list[Callable[[], object]]) -> float:
    start = time.perf_counter()
    for call in calls:
        call()
    per_call = (time.perf_counter() - start) / len(calls) * 1e6
    print(f"{label:<44} {per_call:9.2f} µs")
    return per_call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    outbound("warm up the detectors: sk-proj-" + "a1B2" * 10)
    print(f"{'case':<44} {'per call':>12}")
    for name, make in CASES.items():
        texts = [make(rng, i) for i in range(args.count)]
        function = outbound_excerpt if "excerpt" in name else outbound
        _time(f"outbound: {name}", [lambda t=text, f=function: f(t) for text in texts])
    repeated = "`messages[1].content` is empty or whitespace only"
    _time("outbound: the same message again (cache)", [lambda: outbound(repeated)] * args.count)
    rows = [(i, _prose(rng, 12)[:80]) for i in range(args.count // 4)]
    fields = {
        "check": "format",
        "rule": "empty-content",
        "severity": Severity.ERROR,
        "fix": "remove the row or fill in the content",
    }
    plain = _time(
        "PlainFinding(...) without the layer",
        [
            lambda i=i, text=text: PlainFinding(
                **fields, message=f"row {i} is empty", field=f"messages[{i % 5}]", evidence=text
            )
            for i, text in rows
        ],
    )
    masked = _time(
        "Finding(...) through the layer",
        [
            lambda i=i, text=text: Finding(
                **fields, message=f"row {i} is empty", field=f"messages[{i % 5}]", evidence=text
            )
            for i, text in rows
        ],
    )
    print(f"layer cost per finding: {masked - plain:.2f} µs")


if __name__ == "__main__":
    main()
