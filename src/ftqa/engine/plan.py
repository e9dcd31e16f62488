"""The checkers of one run, resolved once from the settings: which run, with what options, and
what they may know about the run. A plan is plain data, so a worker process rebuilds the same
checkers from it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ftqa.checker import CheckContext, Checker, Rule
from ftqa.config import Settings
from ftqa.engine.inputs import Inputs
from ftqa.providers import RunContext
from ftqa.registry import checker_ids, is_checker


class CheckerOptions(Mapping[str, Any]):
    """Every installed checker's options, loaded when first read."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __getitem__(self, check_id: str) -> Any:
        if not is_checker(check_id):
            raise KeyError(check_id)
        return self.settings.options_for(check_id)

    def __iter__(self) -> Iterator[str]:
        return iter(checker_ids())

    def __len__(self) -> int:
        return len(checker_ids())


@dataclass(frozen=True)
class RunPlan:
    settings: Settings
    context: CheckContext
    classes: tuple[type[Checker], ...]
    model: str | None
    collect_examples: bool
    with_fixes: bool = False  # attach each finding's fixes (`ftqa fix`)

    @classmethod
    def of(cls, inputs: Inputs, settings: Settings, with_fixes: bool = False) -> RunPlan:
        context = CheckContext(
            files=tuple(source.path for source in inputs.train),
            validation_files=tuple(source.path for source in inputs.validation),
            reference_files=tuple(source.path for source in inputs.references),
            forced_format=settings.forced_format,
            model=inputs.model,
            epochs=inputs.epochs,
            embedding_cache_max_mb=settings.globals.embedding_cache_max_mb,
        )
        selected = [c for c in settings.candidates() if settings.checker_active(c)]
        # (order, id): the order old stateful checkers rely on; pure checkers need none.
        classes = tuple(sorted(selected, key=lambda c: (getattr(c, "order", 100), c.id)))
        return cls(settings, context, classes, inputs.model, inputs.collect_examples, with_fixes)

    @property
    def pure(self) -> bool:
        """Every checker maps rows purely: the map step may run in other processes."""
        return all(c.pure_map for c in self.classes)

    def checkers(self) -> list[Checker]:
        return [c(self.settings.options_for(c.id), self.context) for c in self.classes]

    def run_context(self) -> RunContext:
        return RunContext(
            model=self.model,
            options=CheckerOptions(self.settings),
            active=frozenset(c.id for c in self.classes),
        )

    def rules(self) -> dict[tuple[str, str], Rule]:
        return {(c.id, rule.slug): rule for c in self.classes for rule in c.rules}
