"""The checkers of one run, resolved once from the settings: which run, with what options, and
what they may know about the run. A plan is plain data, so a worker process rebuilds the same
checkers from it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ftqa.checker import CheckContext, Checker, Rule
from ftqa.config import Settings
from ftqa.engine.inputs import Inputs
from ftqa.providers import RunContext


@dataclass(frozen=True)
class RunPlan:
    settings: Settings
    context: CheckContext
    classes: tuple[type[Checker], ...]
    model: str | None
    collect_examples: bool

    @classmethod
    def of(cls, inputs: Inputs, settings: Settings) -> RunPlan:
        context = CheckContext(
            files=tuple(source.path for source in inputs.train),
            validation_files=tuple(source.path for source in inputs.validation),
            reference_files=tuple(source.path for source in inputs.references),
            forced_format=settings.forced_format,
            model=inputs.model,
            epochs=inputs.epochs,
        )
        selected = [c for c in settings.candidates() if settings.checker_active(c)]
        # (order, id): the order old stateful checkers rely on; pure checkers need none.
        classes = tuple(sorted(selected, key=lambda c: (getattr(c, "order", 100), c.id)))
        return cls(settings, context, classes, inputs.model, inputs.collect_examples)

    @property
    def pure(self) -> bool:
        """Every checker maps rows purely: the map step may run in other processes."""
        return all(c.pure_map for c in self.classes)

    def checkers(self) -> list[Checker]:
        return [c(self.settings.options_for(c.id), self.context) for c in self.classes]

    def run_context(self) -> RunContext:
        options: dict[str, Any] = {
            c.id: self.settings.options_for(c.id) for c in self.settings.candidates()
        }
        return RunContext(model=self.model, options=options)

    def rules(self) -> dict[tuple[str, str], Rule]:
        return {(c.id, rule.slug): rule for c in self.classes for rule in c.rules}
