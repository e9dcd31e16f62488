"""A row's comparable text for the checkers that compare rows (`duplicates`, `near_duplicates`,
`train_test_leakage`, `contradictions`): the parts of a scope (example, prompt or response side;
`ftqa.dedup.scope`), each part normalized, and the scope's 128-bit key and normalized text.

Variants are provider arguments: `provided(SCOPE_PARTS, "prompt", True)`,
`provided(SCOPE_KEY, "example", norm, True)` with a `Normalization` (hashable). Checkers that
compare the same scope with the same normalization share the work on each row.
"""

from __future__ import annotations

from ftqa.dedup.normalize import Normalization
from ftqa.dedup.scope import Scope, key_of_parts, scope_parts, text_of_parts
from ftqa.providers import Provided, Provider


def _parts(provided: Provided, scope: Scope, include_system: bool) -> list[tuple[str, str]]:
    return scope_parts(provided.record, scope, include_system)


def _normalized(provided: Provided, text: str, norm: Normalization) -> str:
    if norm.character_level:
        return norm.base_apply(text)
    return norm.finish(provided.get(NORMALIZED_TEXT, text, norm.base))


def _key(
    provided: Provided, scope: Scope, norm: Normalization, include_system: bool
) -> bytes | None:
    parts = provided.get(SCOPE_PARTS, scope, include_system)
    return key_of_parts(parts, norm, lambda text: provided.get(NORMALIZED_TEXT, text, norm.base))


def _text(provided: Provided, scope: Scope, norm: Normalization, include_system: bool) -> str:
    parts = provided.get(SCOPE_PARTS, scope, include_system)
    return text_of_parts(parts, lambda text: provided.get(NORMALIZED_TEXT, text, norm))


SCOPE_PARTS = Provider("scope_parts", _parts, "(tag, text) parts of a scope of the row")
NORMALIZED_TEXT = Provider("normalized_text", _normalized, "one text under a normalization")
SCOPE_KEY = Provider("scope_key", _key, "128-bit key of a scope's normalized parts, or None")
SCOPE_TEXT = Provider("scope_text", _text, "a scope's normalized parts joined by newlines")
