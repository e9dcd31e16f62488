"""The change log of a rewrite: one JSON line per change, located in the ORIGINAL input.

Excerpts and reasons come from the dataset, so they pass through the outbound-text layer like
every other string ftqa writes: secrets and personal data are masked on both sides of a change.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, BinaryIO

import orjson

from ftqa.outbound import change_text, outbound


class ChangeLog:
    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.by_rule: Counter[str] = Counter()
        self.dropped_by_rule: Counter[str] = Counter()
        self.edits = 0

    def add(
        self,
        *,
        row: int | None,
        line: int | None,
        check: str,
        rule: str,
        action: str,
        reason: str,
        before: str | None = None,
        after: str | None = None,
        round_: int = 1,
    ) -> None:
        self.by_rule[f"{check}/{rule}"] += 1
        if action == "edit":
            self.edits += 1
        else:
            self.dropped_by_rule[f"{check}/{rule}"] += 1
        entry: dict[str, Any] = {
            "row": row,
            "line": line,
            "check": check,
            "rule": rule,
            "action": action,
            "before": change_text(before),
            "after": change_text(after),
            "reason": outbound(reason),
        }
        if round_ > 1:
            entry["round"] = round_
        self.stream.write(orjson.dumps(entry) + b"\n")
