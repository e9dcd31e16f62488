"""What the `token_length` checker reports about examples a local model's chat template refuses
to render: one finding per refused row, or one for the file when most of its rows are refused."""

from __future__ import annotations

from array import array
from collections import Counter

# Refusals are reported once for a file when at least REFUSED_MIN_ROWS rows, and more than
# REFUSED_FILE_SHARE of its rows, are refused; else one by one.
REFUSED_FILE_SHARE = 0.5
REFUSED_MIN_ROWS = 20


class Refusals:
    """Rows a chat template refused: where they are and why (each distinct reason kept once)."""

    def __init__(self) -> None:
        # Per file: the refused rows, their lines and the index of their reason in `reasons`.
        self.rows: dict[str, tuple[array[int], array[int], array[int]]] = {}
        self.reasons: list[str] = []
        self._reason_index: dict[str, int] = {}
        self.seen: Counter[str] = Counter()

    def saw(self, file: str) -> None:
        self.seen[file] += 1

    def add(self, file: str, row: int, line: int | None, reason: str) -> None:
        rows, lines, reasons = self.rows.setdefault(file, (array("q"), array("q"), array("l")))
        rows.append(row)
        lines.append(line if line is not None else -1)
        index = self._reason_index.setdefault(reason, len(self.reasons))
        if index == len(self.reasons):
            self.reasons.append(reason)
        reasons.append(index)

    def messages(self, model: str) -> list[tuple[str, int | None, int | None, str]]:
        """(file, line, row, message) of each finding: one per refused row, or one for the
        file when most of its rows are refused."""
        out: list[tuple[str, int | None, int | None, str]] = []
        for file, (rows, lines, reasons) in self.rows.items():
            refused, seen = len(rows), self.seen[file]
            if refused >= REFUSED_MIN_ROWS and refused > REFUSED_FILE_SHARE * seen:
                first = min(range(refused), key=rows.__getitem__)  # whatever the arrival order
                reason = self.reasons[reasons[first]]
                out.append(
                    (
                        file,
                        None,
                        None,
                        f"{model}'s chat template refuses {refused:,} of {seen:,} examples "
                        f"(the first: {reason}); the trainer will stop on them too",
                    )
                )
                continue
            out.extend(
                (
                    file,
                    line if line >= 0 else None,
                    row,
                    f"{model}'s chat template refuses the example: {self.reasons[reason]}",
                )
                for row, line, reason in zip(rows, lines, reasons, strict=True)
            )
        return out
