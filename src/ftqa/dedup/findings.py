"""Helpers to turn clusters of row indices (into a `RowLog`) into per-file group findings.

A finding's `rows`/`lines` are rows of the finding's `file`, so a cluster that spans several
files becomes one finding per file, each listing that file's members; the first file's finding
starts with the row that is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ftqa.dedup.index import RowLog

LISTED = 10


@dataclass(frozen=True, slots=True)
class FileGroup:
    file: str
    members: np.ndarray  # indices into the RowLog, ascending
    first: bool  # holds the cluster's first (kept) row

    def rows(self, log: RowLog) -> list[int]:
        return [log.row[i] for i in self.members.tolist()]

    def lines(self, log: RowLog) -> list[int] | None:
        lines = [log.line[i] for i in self.members.tolist()]
        return None if any(line < 0 for line in lines) else lines


def by_file(log: RowLog, members: np.ndarray) -> list[FileGroup]:
    file_ids = np.frombuffer(log.file, dtype=np.int32)[members]
    seen: list[int] = []
    for file_id in file_ids.tolist():
        if file_id not in seen:
            seen.append(file_id)
    return [
        FileGroup(log.files[file_id], members[file_ids == file_id], index == 0)
        for index, file_id in enumerate(seen)
    ]


def place(log: RowLog, index: int, same_file: bool = True) -> str:
    """`line 12` (or `row 11`), or `other.jsonl:12` when not in the finding's file."""
    if not same_file:
        return log.where(index)
    line = log.line[index]
    return f"line {line}" if line >= 0 else f"row {log.row[index]}"


def listing(
    log: RowLog,
    indices: Sequence[int],
    similarity: np.ndarray | None = None,
    limit: int = LISTED,
) -> str:
    """`line 40, line 77 and 3 more`, with `(0.82)` after each when similarities are given."""
    shown = []
    for index in list(indices)[:limit]:
        text = place(log, index)
        if similarity is not None:
            text += f" ({float(similarity[index]):.2f})"
        shown.append(text)
    rest = len(indices) - len(shown)
    if rest > 0:
        return ", ".join(shown) + f" and {rest} more"
    if len(shown) > 1:
        return ", ".join(shown[:-1]) + " and " + shown[-1]
    return shown[0] if shown else ""


def removal(log: RowLog, kept: int, repeats: int) -> str | None:
    """The suggested fix of a group finding."""
    if repeats < 1:
        return None
    noun = "repeat" if repeats == 1 else "repeats"
    return f"keep {place(log, kept)}, remove the {repeats} {noun} (ftqa fix --dedupe)"


def group_location(log: RowLog, group: FileGroup, kept: int) -> dict[str, Any]:
    """Where a group finding points, as `Checker.finding` keywords: its first member's file,
    line and row, every member's rows and lines, the kept row's excerpt and the removal fix."""
    first = int(group.members[0])
    return {
        "file": group.file,
        "line": log.line_of(first),
        "row": log.row[first],
        "rows": group.rows(log),
        "lines": group.lines(log),
        "evidence": log.excerpt(kept) or None,
        "fix": removal(log, first, len(group.members) - 1),
    }
