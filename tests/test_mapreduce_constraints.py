"""`constraints` on the map/reduce contract: `map` is pure and its features round-trip, and
reducing them in row order with a fresh checker gives the findings and statistics of a normal
run, whatever order the rows were mapped in; the columns it computes itself equal the measures
the owning checkers report."""

from __future__ import annotations

import sys
from pathlib import Path

import ftqa
from mapreduce import assert_same, comparable, engine_run, map_reduce

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "constraints"
POLICY = tomllib.loads((DATA / "policy.toml").read_text())["constraints"]


def test_replayed_rows_give_the_report_of_a_run():
    config = {"constraints": POLICY}
    got, _ = assert_same("constraints", [DATA / "chat.jsonl"], config=config, seeds=(0, 1))
    assert got.findings


def test_small_chunks_give_the_same_answer():
    config = {"constraints": {**POLICY, "chunk_rows": 2}}
    expected = engine_run("constraints", [DATA / "chat.jsonl"], config={"constraints": POLICY})
    got = map_reduce("constraints", [DATA / "chat.jsonl"], config=config, seed=4)
    assert comparable(got.findings) == comparable(expected.findings)


def test_computed_columns_equal_the_examples_table():
    columns = ("tokens_total", "language", "category", "response_chars", "system_prompt")
    rules = [
        {"name": f"has-{column.replace('_', '-')}", "check": f"{column} == null"}
        for column in columns
    ]
    got = map_reduce("constraints", [DATA / "chat.jsonl"], config={"constraints": {"rules": rules}})
    table = ftqa.check(
        DATA / "chat.jsonl", select=["token_length", "balance", "leakage"], examples=True
    ).examples
    # `== null` fails on every row with a value: each finding shows that row's value
    shown = {(f.field, f.line): f.message.rsplit("has ", 1)[1] for f in got.findings}
    assert {name for name, _ in shown} == {rule["name"] for rule in rules}  # each has values
    for column in columns:
        name = f"has-{column.replace('_', '-')}"
        for line, value in zip(table["line"], table[column], strict=True):
            if value is None or value != value:  # None or NaN: no finding
                assert (name, line) not in shown
                continue
            text = repr(value) if isinstance(value, str) else str(value)
            if isinstance(value, float) and value.is_integer():
                text = str(int(value))
            assert shown[(name, line)] == f"{column} = {text}"
