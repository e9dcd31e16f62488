"""`Provided` computes each provider once per row and refuses providers a checker did not
declare in its `needs`."""

from __future__ import annotations

import pytest

from ftqa.providers import Provided, Provider, RunContext, UndeclaredProvider
from ftqa.records import Record


def test_a_provider_is_computed_once_per_row_and_variant():
    calls: list[tuple[str, int]] = []

    def compute(provided: Provided, number: int) -> str:
        calls.append((provided.record.file, number))
        return f"{provided.record.file}:{number}"

    squared = Provider("squared", compute)
    record = Record(file="a.jsonl", row=0, line=1, raw={})
    provided = Provided(record, RunContext()).allow(frozenset({squared}))
    assert provided(squared, 2) == "a.jsonl:2"
    assert provided(squared, 2) == "a.jsonl:2"
    assert provided(squared, 3) == "a.jsonl:3"
    assert calls == [("a.jsonl", 2), ("a.jsonl", 3)]


def test_an_undeclared_provider_is_refused_but_providers_may_read_each_other():
    inner = Provider("inner", lambda provided: 41)
    outer = Provider("outer", lambda provided: provided.get(inner) + 1)
    record = Record(file="a.jsonl", row=0, line=1, raw={})
    provided = Provided(record, RunContext()).allow(frozenset({outer}))
    assert provided(outer) == 42
    with pytest.raises(UndeclaredProvider, match="'inner' is not declared"):
        provided(inner)
    assert provided.allow(None)(inner) == 41
