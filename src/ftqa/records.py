"""The canonical record model every input format is normalized to.

Checkers only ever see these objects. A record keeps where it came from (file, line, row) and the
parsed value as it was read, so format-level checks can still look at the raw shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from dataclasses import field as _field
from typing import Any

CANONICAL_ROLES = ("system", "developer", "user", "assistant", "tool")


@dataclass(slots=True, frozen=True)
class ToolCall:
    id: str | None
    name: str | None
    arguments: str | None


@dataclass(slots=True)
class Message:
    role: str
    content: str
    field: str
    name: str | None = None
    weight: float | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None

    @property
    def trainable(self) -> bool:
        return self.role == "assistant" and self.weight != 0


@dataclass(slots=True, frozen=True)
class Problem:
    """Something wrong with how a row is written, found while reading or normalizing it.

    `fatal` problems mean the row could not be read as a value at all.
    """

    rule: str
    message: str
    column: int | None = None
    evidence: str | None = None
    fatal: bool = True
    field: str | None = None
    # `duplicate-key`: each repeated key with the earlier value a later one replaced (JSON keeps
    # the last). Those values are gone from the parsed row but still in the file's bytes, so the
    # checkers that must see every byte (`secrets`, `pii`) scan them too.
    shadowed: tuple[tuple[str, Any], ...] = _field(default=(), compare=False, repr=False)


@dataclass(slots=True, frozen=True)
class Header:
    """The header row of a CSV/TSV file: its physical line and its cells (names stripped), one
    object shared by every record of the file. The names are keys of each row's `raw` too, but
    they are written once, on this line, so findings about them belong here."""

    line: int
    cells: tuple[str, ...]


@dataclass(slots=True)
class Record:
    """One example.

    `messages` is the conversation for supervised formats (for preference data, the shared prompt);
    `chosen`/`rejected` hold the two responses of a preference pair; `text`/`label` hold
    classification examples.
    """

    file: str
    row: int
    # 1-based physical line; None for in-memory rows, Parquet, and JSON-array elements that
    # share their first line with another element (a minified array): `row` locates those.
    line: int | None
    raw: Any = None
    split: str = "train"
    # The row as written (JSON bytes without the line ending, or a CSV row's cells). Not every
    # reader sets it.
    source: Any = None
    # Where the record's bytes lie in the file's (decompressed) byte stream: [start, end), line
    # ending included. File readers set it for every record and notice that stands for bytes, so
    # the row-conserving writer can copy any record exactly, whatever its size. None for Parquet
    # (rows are located by `row`) and in-memory rows.
    span: tuple[int, int] | None = None
    scan_text: bool = True  # False when the loader proved the source holds no hidden characters
    format: str | None = None
    tabular: bool = False
    header: Header | None = None  # CSV/TSV rows: the file's header row
    problems: list[Problem] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    chosen: list[Message] | None = None
    rejected: list[Message] | None = None
    text: str | None = None
    label: str | None = None
    tools: tuple[str, ...] | None = None
    # The chat template a plain-text example was already rendered with ("chatml", "llama3", …);
    # its turns are then in `messages`. None for every other row.
    template: str | None = None
    # How the row's keys were read when they are not the format's own: "messages=conversations"
    # (an alias ftqa knows) or the user's `--map`. None when the row uses the format's keys.
    mapping: str | None = None
    # Per-row values computed once in the pass and shared between checkers (e.g. token counts).
    cache: dict[str, Any] = field(default_factory=dict)
    # Per-row measurements for the examples table (`report.examples`, `--examples-out`).
    measures: dict[str, Any] = field(default_factory=dict)

    @property
    def readable(self) -> bool:
        return not self.problems or not any(problem.fatal for problem in self.problems)

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else f"{self.file}[{self.row}]"
