"""A row's token counts for the run's target model, shared by every checker that reads them
(`token_length` reports them, `balance` measures responses in tokens, `constraints` evaluates
`tokens_*` columns), so the counts agree whichever of them runs.

The target is resolved once per process (`RunContext.once`) from `--model` and the
`token_length` options of the run (`model`, `profiles`, `prices`; the defaults when the run has
none), and the tokenizer is loaded once per process (`ftqa.tokens.load_encoding` is cached).
A local model folder (`--model PATH`) renders each row through its chat template; a row the
template refuses is counted on its content alone, with the refusal's reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ftqa.providers import Provided, Provider, RunContext
from ftqa.tokens import Profile, UnknownProfileError, VocabularyNotFound
from ftqa.tokens.rows import RowCounter, RowCounts
from ftqa.tokens.target import resolve_target

# What resolving the target or loading its tokenizer may raise: a checker that only reads
# counts when they can be had (`balance`, `constraints`) treats these as "no counts".
TARGET_ERRORS: tuple[type[BaseException], ...] = (
    UnknownProfileError,
    VocabularyNotFound,
    ImportError,
    OSError,
)


@dataclass(frozen=True, eq=False)
class TokenTarget:
    """The resolved target: its profile, the tokenizer used in its place when ftqa cannot
    tokenize for it (`estimated`, else None), and the counter of rows."""

    profile: Profile
    estimated: str | None
    counter: RowCounter
    special_starts: frozenset[str]

    @property
    def exact(self) -> bool:
        return self.counter.exact and self.estimated is None


@dataclass(frozen=True, slots=True)
class RowTokens:
    """One row's counts; `refused`: the chat template's reason when it refused the row."""

    counts: RowCounts
    refused: str | None = None


def token_options(run: RunContext) -> tuple[str | None, Any, Any]:
    """(model, profiles, prices) of the run's `token_length` options (defaults without)."""
    options = run.options.get("token_length")
    if options is None:
        return None, {}, {}
    return options.model, options.profiles, options.prices


def token_target(run: RunContext) -> TokenTarget:
    """The run's target, resolved once per process."""
    return run.once("token_target", lambda: _build_target(run))


def _build_target(run: RunContext) -> TokenTarget:
    configured, profiles, prices = token_options(run)
    profile, estimated = resolve_target(run.model, configured, profiles, prices)
    profile.tokenizer  # noqa: B018 - load (and verify) the vocabulary now, once
    specials = profile.special_tokens
    starts = frozenset(token[:1] for token in specials)
    return TokenTarget(profile, estimated, RowCounter(profile), starts)


def _tokens(provided: Provided) -> RowTokens | None:
    record = provided.record
    if record.format is None:
        return None
    target = token_target(provided.run)
    profile = target.profile
    if profile.model_path is None:
        return RowTokens(target.counter.row(record))
    from ftqa.tokens.template_rows import TemplateError, count_with_template

    try:
        return RowTokens(count_with_template(profile.local_model, record))
    except TemplateError as error:
        return RowTokens(target.counter.row(record), str(error))


TOKENS = Provider("tokens", _tokens, "the row's token counts for the run's target model")


def tokens_if_known(provided: Provided) -> RowTokens | None:
    """`TOKENS`, or None when the target cannot be resolved or its tokenizer loaded (the
    `token_length` checker reports why)."""
    try:
        return provided(TOKENS)
    except TARGET_ERRORS:
        return None
