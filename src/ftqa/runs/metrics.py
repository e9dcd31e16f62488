"""The step metrics of one fine-tuning run, whatever wrote them.

Every reader (`ftqa.runs.readers`) turns its source into a `RunMetrics`: four series of
`Sample`s (training and validation loss, training and validation token accuracy), each sample
with its optimizer step, its epoch when the source says or implies it, and the line of the
source file it came from when the source is line-based.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

SERIES = ("train_loss", "valid_loss", "train_accuracy", "valid_accuracy")


@dataclass(frozen=True, slots=True)
class Sample:
    step: int
    value: float
    epoch: float | None = None
    line: int | None = None

    @property
    def finite(self) -> bool:
        return math.isfinite(self.value)


@dataclass
class RunMetrics:
    """What a run logged. `kind` names the layout read (`openai-csv`, `trainer-state`,
    `jsonl`, `manifest`); `manifest` is the `ftqa train` run manifest when the source was one
    (or sat next to it), `dataset_report` the dataset report it links to (parsed JSON)."""

    source: str
    kind: str
    train_loss: list[Sample] = field(default_factory=list)
    valid_loss: list[Sample] = field(default_factory=list)
    train_accuracy: list[Sample] = field(default_factory=list)
    valid_accuracy: list[Sample] = field(default_factory=list)
    epochs: float | None = None  # epochs the run was set to (or reached)
    steps_per_epoch: float | None = None
    manifest: dict[str, Any] | None = None
    dataset_report: dict[str, Any] | None = None
    job_status: str | None = None
    job_error: str | None = None

    def series(self, name: str) -> list[Sample]:
        values: list[Sample] = getattr(self, name)
        return values

    @property
    def last_step(self) -> int:
        steps = [s.step for name in SERIES for s in self.series(name)]
        return max(steps, default=0)

    def epoch_of(self, sample: Sample) -> float | None:
        """The sample's epoch: as logged, else from the steps per epoch."""
        if sample.epoch is not None:
            return sample.epoch
        if self.steps_per_epoch:
            return sample.step / self.steps_per_epoch
        return None

    def fill_epochs(self) -> None:
        """Derive steps per epoch from logged epochs, or from the configured epoch count."""
        if self.steps_per_epoch is None:
            logged = [s for s in self.train_loss + self.valid_loss if s.epoch and s.step]
            if logged:
                last = max(logged, key=lambda s: s.step)
                assert last.epoch is not None
                self.steps_per_epoch = last.step / last.epoch
            elif self.epochs and self.last_step:
                self.steps_per_epoch = self.last_step / self.epochs
        if self.epochs is None and self.steps_per_epoch:
            self.epochs = round(self.last_step / self.steps_per_epoch, 2)
