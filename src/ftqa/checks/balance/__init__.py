"""The `balance` checker: how lopsided the dataset is, along what a dataset builder controls.

For classification data: the label distribution, its imbalance ratio and normalized entropy,
and classes with too few examples. For chat and generation data: distributions over the system
prompt (template variant), a task/category field, the language (a script and stopword heuristic,
see `ftqa.checks.balance.language`), the number of turns, response lengths, the share of refusals
and of tool use. One value dominating a dimension beyond `max-share` is a warning; the
distributions always go into `stats.balance`. Training rows only; validation rows get their
per-row measures.

Per row it keeps a few counters and one int (the response length); no text beyond the first
characters of at most `MAX_EXCERPTS` distinct system prompts.

Per-row measures come from providers (`ftqa.providers.measures`: language, category, responses;
`ftqa.providers.tokens`: response tokens when `token_length` is in the run), shared with
`constraints`. Modules: `options` (rules, options, limits), `language` (names the language
guess), `distribution`, `findings` and `statistics` (mixins of the checker), and
`checker` (the class that joins them).
"""

from ftqa.checks.balance.checker import BalanceChecker
from ftqa.checks.balance.distribution import MAX_DISTINCT, OTHER
from ftqa.checks.balance.findings import OPENAI_MINIMUM
from ftqa.checks.balance.language import guess_language
from ftqa.checks.balance.options import (
    DEFAULT_REFUSAL_PHRASES,
    MAX_EXCERPTS,
    NO_SYSTEM_PROMPT,
    PROMPT_EXCERPT,
    REFUSAL_WINDOW,
    RULES,
    BalanceOptions,
)
from ftqa.checks.balance.statistics import CHAR_BUCKETS, LANGUAGE_METHOD, TOKEN_BUCKETS

__all__ = [
    "CHAR_BUCKETS",
    "DEFAULT_REFUSAL_PHRASES",
    "LANGUAGE_METHOD",
    "MAX_DISTINCT",
    "MAX_EXCERPTS",
    "NO_SYSTEM_PROMPT",
    "OPENAI_MINIMUM",
    "OTHER",
    "PROMPT_EXCERPT",
    "REFUSAL_WINDOW",
    "RULES",
    "TOKEN_BUCKETS",
    "BalanceChecker",
    "BalanceOptions",
    "guess_language",
]
