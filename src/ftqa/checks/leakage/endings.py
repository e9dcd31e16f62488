"""Ending markers: what ends prompts (the separator) and completions (the stop sequence), read
from the data."""

from __future__ import annotations

import math
import re
from array import array
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ftqa.checks.leakage.options import ENDING_TAIL, MARKER_LIMIT, SAMPLE_CAPACITY, SCAFFOLD_CHARS
from ftqa.checks.leakage.textual import _common_prefix, _common_suffix, masked

# word such as ` END`.
_ENDING_REVERSED = re.compile(
    r"(?:>[|｜]?[\w▁]{1,30}[|｜]?/?<|\][/A-Z_]{1,20}\[)?"
    r"(?:[A-Z]{2,8}(?![A-Za-z0-9]))?"
    r"(?::[ \t]*(?:[A-Za-z0-9]{0,15}[A-Z] ){0,2}[A-Za-z0-9]{0,15}[A-Z](?![A-Za-z0-9])"
    r"|>[|｜]?[\w▁]{1,30}[|｜]?/?<|\s+|[!-/:-@\[-`{-~]+)*"
)
_SENTENCE_END = ".?!,;)]}\"'»”’…"


def ending_marker(text: str) -> str:
    """The structural ending of a text: the separator-like characters it ends with.

    `What is 2+2?\\n\\n###\\n\\n` -> `\\n\\n###\\n\\n`; `Q: hi\\nA:` -> `\\nA:`;
    `... done END` -> ` END`; `Hello.` -> `` (sentence punctuation alone is no marker).
    """
    tail = text[-ENDING_TAIL:]
    match = _ENDING_REVERSED.match(tail[::-1])
    size = match.end() if match else 0
    marker = tail[len(tail) - size :] if size else ""
    index = 0
    while index < len(marker) and marker[index] in _SENTENCE_END:
        index += 1
    return marker[index:]


def is_marker(text: str) -> bool:
    return bool(text.strip())


class _Samples:
    """A Misra-Gries summary that keeps a text for the few heaviest keys (bounded memory).

    With `prefix=True` the text kept is the longest common prefix of the key's rows."""

    def __init__(self, capacity: int = SAMPLE_CAPACITY, prefix: bool = False) -> None:
        self.capacity = capacity
        self.prefix = prefix
        self.entries: dict[int, list[Any]] = {}

    def add(self, key: int, text: str) -> None:
        entry = self.entries.get(key)
        if entry is not None:
            entry[0] += 1
            if self.prefix and not text.startswith(entry[1]):
                entry[1] = _common_prefix(entry[1], text)
            return
        if len(self.entries) >= 2 * self.capacity:
            counts = sorted((entry[0] for entry in self.entries.values()), reverse=True)
            cut = counts[self.capacity]
            self.entries = {k: [e[0] - cut, e[1]] for k, e in self.entries.items() if e[0] > cut}
        self.entries[key] = [1, text[:SCAFFOLD_CHARS]]

    def text(self, key: int) -> str | None:
        entry = self.entries.get(key)
        return None if entry is None else entry[1]


# A non-empty prompt or completion: its ending marker, occurrences of that marker inside it (and
# of the prompt's marker inside the completion), whether it has a newline, and its masked tail.
SideFeatures = tuple[str, int, int, bool, str]


def side_features(text: str, marker: str, inner: int, other: int = 0) -> SideFeatures | None:
    if not text:
        return None
    return masked(marker), inner, other, "\n" in text, masked(text[-SCAFFOLD_CHARS:])


class _Endings:
    """Ending markers of one side (prompts or completions): interned, counted, per row."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.texts: list[str] = []
        self.counts: list[int] = []
        self.rows = array("q")  # index into the checker's row table
        self.marker = array("i")  # marker id; -1 empty text; -2 not remembered
        self.inner = array("i")  # occurrences of the row's own marker inside its text
        self.other = array("i")  # occurrences of the prompt's marker inside the completion
        self.common: str | None = None
        self.n = 0
        self.newline = False

    def intern(self, marker: str) -> int:
        found = self.ids.get(marker)
        if found is None:
            if len(self.texts) >= MARKER_LIMIT:
                return -2
            found = self.ids[marker] = len(self.texts)
            self.texts.append(marker)
            self.counts.append(0)
        self.counts[found] += 1
        return found

    def add(self, row: int, side: SideFeatures | None) -> None:
        """One row's side (`side_features`), None when its text is empty."""
        self.rows.append(row)
        if side is None:
            self.marker.append(-1)
            self.inner.append(0)
            self.other.append(0)
            return
        marker, inner, other, newline, tail = side
        self.n += 1
        self.newline = self.newline or newline
        self.marker.append(self.intern(marker))
        self.inner.append(inner)
        self.other.append(other)
        self.common = tail if self.common is None else _common_suffix(self.common, tail)

    def distribution(self) -> dict[str, int]:
        return {text: count for text, count in zip(self.texts, self.counts, strict=True) if count}


@dataclass
class Detection:
    """What ends one side: the separators (stop sequences) in use, most common first."""

    values: list[tuple[str, int]]
    source: str  # configured | detected | common-suffix | none
    rows: int
    covered: int = 0

    @property
    def primary(self) -> str | None:
        return self.values[0][0] if self.values else None


def detect(
    endings: _Endings, min_share: float, variant_min_share: float, whitespace_share: float = 0.9
) -> Detection:
    """The separators in use: the most frequent marker-like endings, each covering the rows
    whose ending ends with it, as long as together they cover `min_share` of the rows. Falls
    back to the common suffix of every row (which may be whitespace, e.g. `\\n`)."""
    counts = endings.distribution()
    total = endings.n
    threshold = max(2, math.ceil(variant_min_share * total))
    remaining = {text: count for text, count in counts.items() if text}
    chosen: list[tuple[str, int]] = []
    for candidate, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        if count < threshold or len(chosen) >= 8:
            break
        if candidate not in remaining:
            continue
        covered = [text for text in remaining if text.endswith(candidate)]
        rows = sum(remaining[text] for text in covered)
        if not is_marker(candidate) and rows < whitespace_share * total:
            continue
        for text in covered:
            del remaining[text]
        chosen.append((candidate, rows))
    covered_rows = sum(count for _, count in chosen)
    if chosen and covered_rows >= min_share * total:
        return Detection(chosen, "detected", total, covered_rows)
    common = ending_marker(endings.common or "") if endings.common else ""
    if endings.common and not common and not endings.common.strip():
        common = endings.common
    if common and total >= 2:
        return Detection([(common, total)], "common-suffix", total, total)
    return Detection([], "none", total)


def full_value(detection: Detection, endings: _Endings) -> str:
    """The primary separator as written: when every row ends with it, the common suffix of all
    rows, if that extends it from a boundary (`\n\n### Answer (short):\n` rather than `:\n`)."""
    primary = detection.primary or ""
    common = endings.common or ""
    if (
        detection.source != "detected"
        or detection.covered < detection.rows
        or len(detection.values) > 1
    ):
        return primary
    index = 0
    while index < len(common) and common[index] in _SENTENCE_END:
        index += 1
    common = common[index:]
    if len(common) > len(primary) and common.endswith(primary) and not common[0].isalnum():
        return common
    return primary


@dataclass(slots=True)
class _RowState:
    """What the per-row rules learn about one row besides its findings (`map` turns it into
    features): template tokens counted, line endings seen, the tokens that end its replies
    (a run of the same token once) and those held back as a possible stop sequence
    ([token, field, place, count, evidence])."""

    tokens: int = 0
    crlf: bool = False
    lf: bool = False
    mixed: bool = False
    token_counts: Counter[str] = field(default_factory=Counter)
    endings: list[str] = field(default_factory=list)
    held: list[list[Any]] = field(default_factory=list)
