"""Which model the `token_length` checker counts for, and what it reports about that choice:
an unknown model name counted with another tokenizer as an estimate (never silently), and
examples a local model's chat template refuses to render."""

from __future__ import annotations

import dataclasses
from array import array
from collections import Counter
from collections.abc import Mapping

from ftqa.records import Record
from ftqa.tokens import Profile, ProfileConfig, UnknownProfileError, get_profile

# Refusals are reported once for a file when more than this share of its rows are refused.
REFUSED_FILE_SHARE = 0.5


def resolve_target(
    requested: str | None, configured: str | None, custom: Mapping[str, ProfileConfig]
) -> tuple[Profile, str | None]:
    """The profile to count with, and (for a name ftqa does not know) the tokenizer used in its
    place as an estimate. `requested` is `--model`; `configured` the checker's `model` option."""
    name = requested or configured
    try:
        return get_profile(name, custom), None
    except UnknownProfileError:
        if requested is None:
            raise
    base = get_profile(configured, custom)
    used = f"{base.name}'s tokenizer ({base.encoding_name or base.tokenizer.source})"
    profile = dataclasses.replace(
        base,
        name=requested,
        max_tokens=None,
        price_per_million=None,
        builtin=False,
        notes=(
            f"ftqa has no profile for {requested}: tokens are counted with {used} as an "
            "ESTIMATE; pass --model with a local model folder (or a model in your Hugging Face "
            "cache) for exact counts and its context limit"
        ),
    )
    return profile, used


class Refusals:
    """Rows a chat template refused: where they are and the first reason per file."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[array[int], array[int]]] = {}
        self.reasons: dict[str, str] = {}
        self.seen: Counter[str] = Counter()

    def saw(self, record: Record) -> None:
        self.seen[record.file] += 1

    def add(self, record: Record, reason: str) -> None:
        rows, lines = self.rows.setdefault(record.file, (array("q"), array("q")))
        rows.append(record.row)
        lines.append(record.line if record.line is not None else -1)
        self.reasons.setdefault(record.file, reason)

    def messages(self, model: str) -> list[tuple[str, int | None, int | None, str]]:
        """(file, line, row, message) of each finding: one per refused row, or one for the
        file when most of its rows are refused."""
        out: list[tuple[str, int | None, int | None, str]] = []
        for file, (rows, lines) in self.rows.items():
            refused, seen, reason = len(rows), self.seen[file], self.reasons[file]
            if refused > 1 and refused > REFUSED_FILE_SHARE * seen:
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
            message = f"{model}'s chat template refuses the example: {reason}"
            out.extend(
                (file, line if line >= 0 else None, row, message)
                for row, line in zip(rows, lines, strict=True)
            )
        return out
