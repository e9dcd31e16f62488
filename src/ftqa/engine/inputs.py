"""What one run reads: the dataset, its validation split and reference files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ftqa.load import Source

ProgressHook = Callable[[Source, int], None]


@dataclass
class Inputs:
    """Everything one run reads: the dataset, its validation split, reference files."""

    train: list[Source]
    validation: list[Source] = field(default_factory=list)
    references: list[Source] = field(default_factory=list)
    model: str | None = None
    epochs: int | None = None
    collect_examples: bool = False

    def splits(self) -> list[tuple[str, list[Source]]]:
        return [
            ("train", self.train),
            ("validation", self.validation),
            ("reference", self.references),
        ]
