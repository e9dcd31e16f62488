"""Records back to each layout: reading an exported row gives the same record (lossless pairs),
and what a layout cannot hold is refused with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ftqa.formats.export import EXPORTERS, Unrepresentable, to_layout
from ftqa.load import open_memory, open_path
from ftqa.normalize import Normalizer
from ftqa.records import Record

REAL = Path(__file__).resolve().parent / "data" / "formats-real"


def _read(rows: list[dict]) -> list[Record]:
    normalizer = Normalizer()
    return [normalizer.normalize(r) for r in open_memory(rows).records()]


def _shape(record: Record) -> tuple:
    def turns(messages):
        return [
            (m.role, m.content, tuple((c.name, c.arguments) for c in m.tool_calls))
            for m in messages or []
        ]

    return (
        turns(record.messages),
        turns(record.chosen),
        turns(record.rejected),
        record.label,
        record.text,
    )


def _real_records() -> list[Record]:
    normalizer = Normalizer()
    out = []
    for path in sorted(REAL.rglob("*.json*")):
        if path.name == "dataset_info.json":
            continue
        out.extend(normalizer.normalize(r) for r in open_path(path).records() if r.row >= 0)
    return out


@pytest.mark.parametrize("record", _real_records(), ids=lambda r: f"{Path(r.file).name}:{r.row}")
def test_every_public_row_round_trips_through_its_own_layout(record):
    exported = to_layout(record, record.format)
    again = _read([exported])[0]
    assert again.format == record.format
    assert not [p for p in again.problems if p.rule not in ("unexpected-key",)]
    assert _shape(again) == _shape(record)


text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40).filter(
    lambda s: s.strip() == s and s
)


@settings(max_examples=60, deadline=None)
@given(
    system=st.one_of(st.none(), text),
    history=st.lists(st.tuples(text, text), max_size=2),
    prompt=text,
    reply=text,
    target=st.sampled_from(
        ["chat", "sharegpt", "alpaca", "completion", "dolly", "question_answer"]
    ),
)
def test_conversion_round_trips_for_lossless_pairs(system, history, prompt, reply, target):
    messages = [{"role": "system", "content": system}] if system else []
    for question, answer in history:
        messages += [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ]
    messages += [{"role": "user", "content": prompt}, {"role": "assistant", "content": reply}]
    record = _read([{"messages": messages}])[0]
    try:
        exported = to_layout(record, target)
    except Unrepresentable:
        assert target in ("completion", "dolly", "question_answer")
        assert system or history
        return
    again = _read([exported])[0]
    assert again.format == target
    assert _shape(again)[:1] == _shape(record)[:1]


@pytest.mark.parametrize(
    ("row", "target", "reason"),
    [
        (
            {
                "messages": [
                    {"role": "user", "content": "q"},
                    {
                        "role": "assistant",
                        "content": "",
                        "tool_calls": [
                            {
                                "id": "c1",
                                "type": "function",
                                "function": {"name": "f", "arguments": "{}"},
                            }
                        ],
                    },
                    {"role": "tool", "tool_call_id": "c1", "content": "1"},
                    {"role": "assistant", "content": "done"},
                ]
            },
            "alpaca",
            "no place for tool calls",
        ),
        (
            {
                "messages": [
                    {"role": "user", "content": "a"},
                    {"role": "assistant", "content": "b"},
                    {"role": "user", "content": "c"},
                    {"role": "assistant", "content": "d"},
                ]
            },
            "completion",
            "no join rule",
        ),
        (
            {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]},
            "text",
            "takes a template",
        ),
        ({"prompt": "p", "chosen": "a", "rejected": "b"}, "chat", "not one conversation"),
    ],
)
def test_unrepresentable_rows_say_why(row, target, reason):
    with pytest.raises(Unrepresentable, match=reason):
        to_layout(_read([row])[0], target)


def test_there_is_an_exporter_for_every_layout():
    from ftqa.formats import FORMATS

    # plus `trl`, which writes each record in the TRL shape it fits (read back as one of them)
    assert set(EXPORTERS) == set(FORMATS) | {"trl"}


@pytest.mark.parametrize(
    "name", ['say "hi"', "back\\slash", "line\nbreak", "名前", 'a", "arguments": {"x": 1}, "b": "']
)
def test_sharegpt_function_call_is_valid_json_whatever_the_name(name):
    import json

    call = {"id": "c1", "type": "function", "function": {"name": name, "arguments": '{"q": "é"}'}}
    row = {
        "messages": [
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": "", "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "c1", "content": "1"},
            {"role": "assistant", "content": "done"},
        ]
    }
    exported = to_layout(_read([row])[0], "sharegpt")
    value = exported["conversations"][1]["value"]
    assert json.loads(value) == {"name": name, "arguments": {"q": "é"}}
    again = _read([exported])[0]
    assert again.messages[1].tool_calls[0].name == name
    assert json.loads(again.messages[1].tool_calls[0].arguments) == {"q": "é"}


def test_sharegpt_function_call_with_arguments_that_are_not_json_is_refused():
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{oops"}}
    row = {
        "messages": [
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": "", "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "c1", "content": "1"},
            {"role": "assistant", "content": "done"},
        ]
    }
    with pytest.raises(Unrepresentable, match="not valid JSON"):
        to_layout(_read([row])[0], "sharegpt")
