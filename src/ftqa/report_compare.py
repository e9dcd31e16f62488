"""A report's data without what legitimately differs between two runs of the same check:
timings (any `seconds` or `*_seconds`), the embedding cache's counters (they describe the
cache before the run: a second run finds what the first embedded, and the neighbour search
the first ran), the tokenizer's note that
its verified vocabulary was parsed from the user cache (`; parsed ranks cached in ...`: a first
run parses and caches it) and `stats.engine` (which executor ran and how). What is left must be
identical across executors, worker counts and row-cache states; tests and benchmarks compare
reports through it."""

from __future__ import annotations

from typing import Any

RUN_STATE = frozenset({"embedded", "from_cache", "search_from_cache"})
RANKS_CACHE_NOTE = "; parsed ranks cached in "


def run_independent(report: dict[str, Any]) -> Any:
    """`report` (a report's JSON data) without timings, cache counters and `stats.engine`."""
    stats = {key: value for key, value in report.get("stats", {}).items() if key != "engine"}
    tokens = stats.get("token_length")
    if isinstance(tokens, dict) and isinstance(tokens.get("tokenizer"), str):
        tokenizer = tokens["tokenizer"].split(RANKS_CACHE_NOTE, 1)[0]
        stats["token_length"] = {**tokens, "tokenizer": tokenizer}
    return without_timings({**report, "stats": stats})


def without_timings(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: without_timings(item)
            for key, item in value.items()
            if not (key == "seconds" or key.endswith("_seconds") or key in RUN_STATE)
        }
    if isinstance(value, list):
        return [without_timings(item) for item in value]
    return value
