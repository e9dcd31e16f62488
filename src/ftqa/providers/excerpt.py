"""The excerpt of a text that evidence shows, computed once per row and text: checkers that keep
an excerpt per row for their dataset-wide findings (`duplicates`, `near_duplicates`,
`train_test_leakage`) share it when they show the same text."""

from __future__ import annotations

from ftqa.dedup.index import excerpt_feature
from ftqa.providers import Provided, Provider


def _excerpt(provided: Provided, text: str) -> str:
    return excerpt_feature(text)


EXCERPT = Provider("excerpt", _excerpt, "a text's start as evidence shows it, masked and clipped")
