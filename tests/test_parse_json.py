"""`parse_json`, the per-row parser, agrees with the standard library's strict reading.

The fast path is jiter (with duplicate-key detection); the careful path is the standard library.
These properties pin down that the fast path never accepts what strict JSON rejects, never
loses a duplicate key, and returns the same value as `json.loads` for every valid row.
"""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ftqa.load.values import parse_json


class _Rejected(Exception):
    pass


def strict_reference(data: bytes) -> tuple[Any, bool]:
    """(value, had duplicate keys) per RFC 8259 read strictly; raises _Rejected otherwise."""
    duplicates = False

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal duplicates
        seen: dict[str, Any] = {}
        for key, value in items:
            duplicates = duplicates or key in seen
            seen[key] = value
        return seen

    def constant(name: str) -> float:
        raise _Rejected(name)

    try:
        text = data.decode("utf-8")
        text.encode("utf-8")  # lone surrogates cannot be encoded
        value = json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
    except (ValueError, RecursionError, _Rejected) as error:
        raise _Rejected(str(error)) from error
    return value, duplicates


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return any(0xD800 <= ord(char) <= 0xDFFF for char in value)
    if isinstance(value, list):
        return any(_has_lone_surrogate(item) for item in value)
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    return False


def same(left: Any, right: Any) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return left == right or (math.isnan(left) and math.isnan(right))
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(same(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, dict) and isinstance(right, dict):
        return list(left) == list(right) and all(same(left[k], right[k]) for k in left)
    return type(left) is type(right) and left == right


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None)
@given(value=json_values, ensure_ascii=st.booleans(), spaced=st.booleans())
def test_valid_json_parses_to_the_same_value_without_problems(value, ensure_ascii, spaced):
    separators = (", ", ": ") if spaced else (",", ":")
    data = json.dumps(value, ensure_ascii=ensure_ascii, separators=separators).encode("utf-8")
    if _has_lone_surrogate(value):
        return  # covered by the lone-surrogate tests in test_loading.py
    parsed, problems = parse_json(data)
    assert problems == []
    assert same(parsed, value)


def _escaped(char: str) -> str:
    """`char` as JSON \\u escapes (a surrogate pair beyond the Basic Multilingual Plane)."""
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


@settings(max_examples=300, deadline=None)
@given(
    value=st.dictionaries(st.text(max_size=6), json_values, min_size=1, max_size=4),
    repeat=st.integers(min_value=0, max_value=3),
    escape=st.booleans(),
)
def test_a_repeated_key_is_always_reported(value, repeat, escape):
    keys = list(value)
    key = keys[repeat % len(keys)]
    members = [json.dumps(k) + ":" + json.dumps(v) for k, v in value.items()]
    # The same key again, possibly spelled with \\u escapes: still the same key.
    spelled = '"' + "".join(_escaped(char) for char in key) + '"' if escape else json.dumps(key)
    members.append(spelled + ":1")
    data = ("{" + ",".join(members) + "}").encode("utf-8")
    _, problems = parse_json(data)
    assert "duplicate-key" in [problem.rule for problem in problems]


@settings(max_examples=500, deadline=None)
@given(
    data=st.binary(max_size=60)
    | st.text(alphabet='{}[]":,.-+0123456789eEtruefalsnN \\u/bI\x00\x7f\t\n', max_size=40).map(
        str.encode
    )
)
def test_arbitrary_bytes_are_accepted_only_when_strict_json_accepts_them(data):
    parsed, problems = parse_json(data)
    try:
        expected, duplicates = strict_reference(data)
    except _Rejected:
        # Strict JSON refuses the bytes: parse_json must say why, never pass them silently.
        assert problems, f"accepted {data!r}"
        return
    if duplicates:
        assert "duplicate-key" in [problem.rule for problem in problems]
    else:
        assert problems == []
        assert same(parsed, expected)


def test_known_differences_from_orjson_are_handled():
    # Numbers beyond float range read as infinity (as the standard library reads them).
    assert parse_json(b"[1e400]") == ([math.inf], [])
    # Integers beyond 64 bits keep their value.
    assert parse_json(b"123456789012345678901234567890") == (123456789012345678901234567890, [])
    # Deep but legal nesting (beyond the fast parser's own limit) is still read.
    deep = b"[" * 300 + b"]" * 300
    value, problems = parse_json(deep)
    assert problems == []
    assert isinstance(value, list)
    # Keys repeated through escapes are the same key.
    assert [p.rule for p in parse_json(b'{"a":1,"\\u0061":2}')[1]] == ["duplicate-key"]
    assert [p.rule for p in parse_json(b'{"x":{"b":1,"b":2}}')[1]] == ["duplicate-key"]
