"""Providers: per-row values several checkers need, computed once per row and shared.

A provider is a named pure function of a record (and of the run's settings, through
`RunContext`), such as every string of the row with its path, the row's dedup parts for a scope,
or its token counts for the target model. A checker declares the providers its `map` reads in
its `needs`; `Provided` computes each one at most once per row and refuses a provider the
checker did not declare, so what a checker depends on is written on the checker. Providers
replace the string keys checkers once wrote into `record.cache` and the `order` that made one
checker run before another.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from ftqa.records import Record

T = TypeVar("T")


@dataclass(frozen=True)
class RunContext:
    """What providers may know about the run: the target model, any checker's options (a
    provider such as token counts follows the options of the checker that owns the idea, run or
    not; `options.get(id)` is None for an unknown id) and the ids of the checkers that run."""

    model: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    active: frozenset[str] = frozenset()
    memo: dict[Hashable, Any] = field(default_factory=dict, compare=False)

    def once(self, key: Hashable, build: Callable[[], T]) -> T:
        """A run-wide value (a tokenizer, a resolved profile) built once per process."""
        if key not in self.memo:
            self.memo[key] = build()
        return self.memo[key]  # type: ignore[no-any-return]


@dataclass(frozen=True, eq=False)
class Provider(Generic[T]):
    """`compute(provided, *args)`: `provided.record` is the row, `provided.run` the run, and
    `provided.get(OTHER)` reads another provider. `args` select a variant (a dedup scope, a
    normalization) and must be hashable."""

    name: str
    compute: Callable[..., T]
    doc: str = ""


class UndeclaredProvider(RuntimeError):
    pass


class Provided:
    """The provided values of one row, for the checkers that run on it."""

    __slots__ = ("_allowed", "_memo", "record", "run")

    def __init__(self, record: Record, run: RunContext) -> None:
        self.record = record
        self.run = run
        self._memo: dict[tuple[Any, ...], Any] = {}
        self._allowed: frozenset[Provider[Any]] | None = None

    def allow(self, needs: frozenset[Provider[Any]] | None) -> Provided:
        """Restrict the next reads to a checker's declared needs (None: any provider)."""
        self._allowed = needs
        return self

    def __call__(self, provider: Provider[T], *args: Hashable) -> T:
        allowed = self._allowed
        if allowed is not None and provider not in allowed:
            raise UndeclaredProvider(f"provider {provider.name!r} is not declared in `needs`")
        # `get`, inlined: checkers read about fifty provided values a row.
        key = (provider, *args)
        memo = self._memo
        if key in memo:
            return memo[key]  # type: ignore[no-any-return]
        value = memo[key] = provider.compute(self, *args)
        return value

    def get(self, provider: Provider[T], *args: Hashable) -> T:
        """The value without the `needs` check: for providers built on other providers."""
        key = (provider, *args)
        memo = self._memo
        if key in memo:
            return memo[key]  # type: ignore[no-any-return]
        value = memo[key] = provider.compute(self, *args)
        return value


def provide(record: Record, provider: Provider[T], *args: Hashable) -> T:
    """A provider's value for a record outside a run (tests, the fixer, tools)."""
    return Provided(record, RunContext())(provider, *args)
