"""Property tests for the promises in RELIABILITY.md section 2.

(a) arbitrary bytes never make `ftqa.check` raise (only `InputError` for files it refuses), and
    every finding sits on a line that exists;
(b) arbitrary JSON values, one per line: no exception, each row normalizes or gets a `format`
    finding on its own line, no cascade onto other rows, and the report is valid UTF-8 JSON;
(c) terminal output never carries control sequences or Rich markup from the data;
(d) Markdown and HTML reports escape the data.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rich.console import Console

import ftqa
from ftqa.render import render_html, render_json, render_markdown
from ftqa.render.terminal import render_terminal

# Budget: the whole file in well under a minute on 2 cores. Each example runs every checker.
FAST = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Findings about the whole file (or comparing rows) rather than one row.
CROSS_ROW = {"too-few-examples", "mixed-formats"}

GOOD = {
    "messages": [
        {"role": "user", "content": "What is 2 + 2?"},
        {"role": "assistant", "content": "4"},
    ]
}
GOOD_LINE = json.dumps(GOOD)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("robustness")


def physical_lines(data: bytes) -> int:
    """Lines as a user counts them: split on b"\\n" only; a final newline ends the last line."""
    if not data:
        return 1
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


def assert_valid_report(report: ftqa.Report) -> dict[str, Any]:
    failed = {run.id: run.note for run in report.checks if run.status == "failed"}
    assert not failed, f"checkers crashed: {failed}"
    text = render_json(report)
    decoded = json.loads(text.encode("utf-8").decode("utf-8"))  # strict UTF-8 both ways
    render_markdown(report).encode("utf-8")  # HTML (slow: charts) has its own tests below
    return decoded


# --------------------------------------------------------------------------------------------
# (a) arbitrary bytes

BYTE_PIECES = [
    b"\n",
    b"\r\n",
    b"\r",
    b"[",
    b"]",
    b"{",
    b"}",
    b'"',
    b"\\",
    b",",
    b":",
    b" ",
    b"\t",
    b"\xef\xbb\xbf",
    b"\xff",
    b"\xed\xa0\x80",
    b"\xe2\x80\xa8",
    b"\xc2\x85",
    b"\x00",
    b"\x1b[2J",
    b"NaN",
    b"-Infinity",
    b"1e999",
    b"9" * 40,
    b"\\ud800",
    b"true",
    b"null",
    b'{"a":1,"a":2}',
    b'"messages"',
    b'{"messages":3}',
    b"prompt,completion",
    b'"a\nb"',
    GOOD_LINE.encode(),
]
arbitrary_bytes = st.one_of(
    st.binary(max_size=400),
    st.lists(st.one_of(st.sampled_from(BYTE_PIECES), st.binary(max_size=6)), max_size=50).map(
        b"".join
    ),
)
# `InputError` is allowed only when sniffing refuses the whole file.
REFUSALS = ("binary file", "utf-16", "gzip")


def _check_bytes(work: Path, suffix: str, data: bytes) -> ftqa.Report | None:
    path = work / f"case{suffix}"
    path.write_bytes(data)
    try:
        return ftqa.check(path)
    except ftqa.InputError as error:
        refused = error
    assert any(word in refused.reason.lower() for word in REFUSALS), refused
    return None


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".csv"])
@FAST
@given(data=arbitrary_bytes)
def test_arbitrary_bytes_never_raise(work, suffix, data):
    report = _check_bytes(work, suffix, data)
    if report is None:
        return
    for finding in report.findings:
        assert finding.line is None or finding.line >= 1, finding


@pytest.mark.parametrize(
    "suffix",
    [
        ".jsonl",
        ".json",
        ".csv",
    ],
)
@FAST
@example(data=b"\x80\n\x00")
@given(data=arbitrary_bytes)
def test_arbitrary_bytes_give_a_valid_utf8_report(work, suffix, data):
    report = _check_bytes(work, suffix, data)
    if report is not None:
        assert_valid_report(report)


@pytest.mark.parametrize(
    "suffix",
    [
        ".jsonl",
        ".json",
        ".csv",
    ],
)
@FAST
@example(data=b"[\n")
@example(data=b"a,b\rc\r\r")
@given(data=arbitrary_bytes)
def test_arbitrary_bytes_findings_are_on_existing_lines(work, suffix, data):
    report = _check_bytes(work, suffix, data)
    if report is None:
        return
    last = physical_lines(data)
    for finding in report.findings:
        assert finding.line is None or 1 <= finding.line <= last, (finding, last)


# --------------------------------------------------------------------------------------------
# (b) arbitrary JSON values, one per line

KEYS = [
    "messages",
    "role",
    "content",
    "prompt",
    "completion",
    "chosen",
    "rejected",
    "conversations",
    "from",
    "value",
    "instruction",
    "input",
    "output",
    "text",
    "label",
    "tool_calls",
    "tool_call_id",
    "weight",
    "tools",
    "name",
    "type",
    "function",
    "arguments",
    "id",
    "metadata",
]
ROLES = ["system", "user", "assistant", "tool", "developer", "human", "gpt", "function", "bot", ""]
ODD_CHARS = [
    "\ud800",
    "\udfff",
    "\ud83d",
    "\ude00",
    ":",
    "\u2028",
    "\u2029",
    "\x85",
    "\x00",
    "\x1b",
    "\u202e",
    "\ufeff",
    "\r",
    "\n",
    '"',
    "\\",
    "{",
    "[",
]
text = st.one_of(
    st.sampled_from(ROLES + KEYS + ["", " ", "hello", "0", "1"]),
    st.lists(st.one_of(st.characters(), st.sampled_from(ODD_CHARS)), max_size=10).map("".join),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, 0.0, 1.0, 0.5, float("nan"), float("inf"), float("-inf"), 1e308]),
    st.floats(allow_nan=True, allow_infinity=True),
    text,
)


class Pairs(list):
    """A JSON object written from its (key, value) pairs, so keys may repeat."""


def _no_repeated_surrogate_key(pairs: Pairs) -> bool:
    # Repeated keys holding a lone surrogate have their own test in test_loading.py.
    seen = Counter(key for key, _ in pairs)
    return not any(
        count > 1 and any(0xD800 <= ord(c) <= 0xDFFF for c in key) for key, count in seen.items()
    )


def objects(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Pairs]:
    key = st.one_of(st.sampled_from(KEYS), text)
    return (
        st.lists(st.tuples(key, children), max_size=5).map(Pairs).filter(_no_repeated_surrogate_key)
    )


json_values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), objects(children)),
    max_leaves=20,
)
message = (
    st.lists(
        st.tuples(
            st.sampled_from(["role", "content", "weight", "name", "from", "value", "tool_calls"]),
            st.one_of(st.sampled_from(ROLES), json_values),
        ),
        max_size=4,
    )
    .map(Pairs)
    .filter(_no_repeated_surrogate_key)
)
row_like = (
    st.lists(
        st.tuples(
            st.sampled_from(KEYS),
            st.one_of(st.lists(message, max_size=4), json_values, st.sampled_from(ROLES)),
        ),
        min_size=1,
        max_size=4,
    )
    .map(Pairs)
    .filter(_no_repeated_surrogate_key)
)
rows_strategy = st.lists(st.one_of(row_like, row_like, json_values), min_size=1, max_size=6)


def dump(value: Any, ascii_only: bool) -> str:
    """JSON text with NaN/Infinity as json.dumps writes them, and repeated keys kept."""
    if isinstance(value, Pairs):
        inner = ",".join(f"{dump(k, ascii_only)}:{dump(v, ascii_only)}" for k, v in value)
        return "{" + inner + "}"
    if isinstance(value, list):
        return "[" + ",".join(dump(item, ascii_only) for item in value) + "]"
    return json.dumps(value, ensure_ascii=ascii_only, allow_nan=True)


def walk(value: Any):
    yield value
    if isinstance(value, Pairs):
        for key, child in value:
            yield key
            yield from walk(child)
    elif isinstance(value, list):
        for child in value:
            yield from walk(child)


def has_duplicate_key(value: Any) -> bool:
    return any(
        isinstance(item, Pairs) and len({k for k, _ in item}) < len(item) for item in walk(value)
    )


def has_non_finite(value: Any) -> bool:
    return any(isinstance(item, float) and not math.isfinite(item) for item in walk(value))


def has_surrogate(value: Any) -> bool:
    return any(
        isinstance(item, str) and any(0xD800 <= ord(c) <= 0xDFFF for c in item)
        for item in walk(value)
    )


def decoded_has_lone_surrogate(line: str) -> bool:
    """In the value a parser keeps (escaped pairs joined, last duplicate wins), is any
    surrogate left alone?"""
    stack = [json.loads(line)]
    while stack:
        item = stack.pop()
        if isinstance(item, str) and any(0xD800 <= ord(c) <= 0xDFFF for c in item):
            return True
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


_LINE_IN_MESSAGE = re.compile(r"\(line \d+, column")


def row_view(report: ftqa.Report, line: int) -> Counter[tuple[Any, ...]]:
    """A row's own `format` findings, independent of where the row sits in the file."""
    return Counter(
        (
            f.rule,
            f.severity,
            f.field,
            _LINE_IN_MESSAGE.sub("(line ?, column", f.message),
            f.evidence,
        )
        for f in report.findings
        if f.check == "format" and f.line == line and f.rule not in CROSS_ROW
    )


def write_rows(path: Path, lines: list[bytes], array: bool) -> list[int]:
    """Write rows one per line (JSONL, or a JSON array with one element per line)."""
    if array:
        path.write_bytes(b"[\n" + b",\n".join(lines) + b"\n]\n")
        return [i + 2 for i in range(len(lines))]
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return [i + 1 for i in range(len(lines))]


@pytest.mark.parametrize("layout", ["jsonl", "json-array"])
@FAST
@given(rows=rows_strategy, ascii_only=st.booleans())
def test_json_rows_are_checked_each_on_its_own_line(work, layout, rows, ascii_only):
    array = layout == "json-array"
    suffix = ".json" if array else ".jsonl"
    lines_text = [dump(row, ascii_only) for row in rows]
    encoded = [line.encode("utf-8", "surrogatepass") for line in lines_text]
    assert all(b"\n" not in line for line in encoded)
    path = work / f"rows{suffix}"
    where = write_rows(path, encoded, array)

    # only `format` findings are about one row's shape; other checkers compare rows on purpose
    report = ftqa.check(path, select=["format"])
    assert_valid_report(report)
    assert report.dataset.rows == len(rows)
    by_line = dict(zip(where, range(len(rows)), strict=True))
    for finding in report.findings:
        if finding.check != "format" or finding.row is None:
            continue  # file-level findings (too few examples, a field mapping) name no row
        assert finding.line in by_line, finding
        assert finding.row == by_line[finding.line], finding

    single = work / f"single{suffix}"
    for index, (row, line_text, raw) in enumerate(zip(rows, lines_text, encoded, strict=True)):
        line = where[index]
        (alone_line,) = write_rows(single, [raw], array)
        alone = ftqa.check(single, select=["format"])
        assert_valid_report(alone)
        # no cascade: the row gets the same findings alone as among the others
        assert row_view(report, line) == row_view(alone, alone_line), (index, line_text)
        # normalized, or at least one `format` finding on its own line
        assert alone.dataset.format is not None or row_view(alone, alone_line), line_text
        rules = {f.rule for f in report.findings if f.line == line}
        if has_duplicate_key(row):
            assert "duplicate-key" in rules, line_text
        if has_non_finite(row):
            assert "non-standard-number" in rules, line_text
        if has_surrogate(row):
            if not ascii_only:
                assert "invalid-utf8" in rules, line_text
            elif decoded_has_lone_surrogate(line_text):
                assert "lone-surrogate" in rules, line_text


@pytest.mark.parametrize("layout", ["jsonl", "json-array"])
@FAST
@given(rows=rows_strategy, ascii_only=st.booleans())
def test_every_checker_survives_arbitrary_rows(work, layout, rows, ascii_only):
    """Each checker sees whatever shape a row has (mixed formats, wrong types, odd text): none
    may crash (a crash marks the checker failed in the report), and the report stays valid."""
    array = layout == "json-array"
    encoded = [dump(row, ascii_only).encode("utf-8", "surrogatepass") for row in rows]
    path = work / ("every.json" if array else "every.jsonl")
    write_rows(path, encoded, array)
    report = ftqa.check(path, validation=path)
    assert_valid_report(report)


# --------------------------------------------------------------------------------------------
# (c) terminal output and (d) Markdown / HTML escaping

NASTY = [
    "\x1b[2J",
    "\x1b[31m",
    "\x1b[1A\x1b[K",
    "\x1b]52;c;aGVsbG8=\x07",
    "\x1b]8;;http://x\x1b\\",
    "\x1b]8;;\x1b\\",
    "\x1b]0;title\x07",
    "\x9b2J",
    "\x85",
    "[bold]",
    "[/]",
    "[/bold]",
    "[link=http://x]",
    ":smile:",
    "\u202e",
    "\u2066",
    "\u2069",
    "\u2028",
    "\x07",
    "\x08",
    "\r",
    "\n",
    "\x00",
    "\t",
    "<script>alert(1)</script>",
    "</td></tr></table>",
    "<img src=x onerror=alert(1)>",
    "&lt;",
    "|",
    "`",
    "\\",
    "*",
    "#",
    "ok",
]
nasty_text = st.lists(
    st.one_of(st.sampled_from(NASTY), st.text(max_size=4)), min_size=1, max_size=8
).map("".join)

SGR = re.compile(r"\x1b\[[0-9;]*m")
FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029\u200e\u200f\u061c]"
)


def nasty_rows(payload: str) -> list[str]:
    """The payload where reports quote data: content, role, key, a value, an unreadable line."""
    return [
        json.dumps(
            {
                "messages": [
                    {"role": "user", "content": "see " + payload},
                    {"role": "assistant", "content": "ok"},
                ]
            }
        ),
        json.dumps({"messages": [{"role": payload, "content": "x"}, GOOD["messages"][1]]}),
        json.dumps({payload: 1, "messages": GOOD["messages"]}),
        json.dumps({"prompt": payload, "completion": ""}),
        '{"messages": ' + json.dumps(payload)[:-1],
    ]


def nasty_report(work: Path, payload: str) -> ftqa.Report:
    path = work / "nasty.jsonl"
    path.write_text("\n".join(nasty_rows(payload)) + "\n", encoding="utf-8")
    return ftqa.check(path)


def assert_terminal_safe(output: str) -> None:
    visible = SGR.sub("", output)  # styles rich adds itself
    bad = FORBIDDEN.search(visible)
    assert bad is None, (repr(bad.group()), visible[max(0, bad.start() - 40) : bad.end() + 40])
    assert "Traceback" not in visible


@settings(FAST, max_examples=30)
@given(payload=nasty_text)
def test_terminal_report_never_emits_control_characters_from_data(work, payload):
    report = nasty_report(work, payload)
    buffer = io.StringIO()
    console = Console(
        file=buffer, force_terminal=True, color_system="truecolor", width=200, soft_wrap=True
    )
    render_terminal(report, console, show=50)
    assert_terminal_safe(buffer.getvalue())


def _clean_env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TERM", "COLUMNS"}
    }
    env.update(extra)
    return env


@pytest.mark.parametrize(
    "env",
    [
        _clean_env(),
        _clean_env(TERM="xterm-256color", COLUMNS="200"),
        _clean_env(TERM="xterm-256color", COLUMNS="200", FORCE_COLOR="1"),
    ],
    ids=["plain", "xterm-256color", "force-color"],
)
def test_cli_terminal_output_is_safe(tmp_path, env):
    payload = "".join(NASTY) + " [bold]x[/] tail"
    name = tmp_path / "evil\x1b]0;pwned\x07\u202ename[red].jsonl"
    name.write_text("\n".join(nasty_rows(payload)) + "\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "ftqa", "check", str(name), "--format", "terminal", "--show", "50"],
        capture_output=True,
        timeout=120,
        check=False,
        env=env,
    )
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 1, stderr
    assert "Traceback" not in stderr
    output = result.stdout.decode("utf-8")  # strict
    if "FORCE_COLOR" not in env:
        assert "\x1b" not in output
        assert "\x07" not in output
    assert_terminal_safe(output)
    # data is printed as text, never read as Rich markup
    assert "[bold]x[/]" in output
    assert "name[red].jsonl" in output


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


# Tags and attributes data must never be able to add to an HTML report.
FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "img", "base", "form", "input", "frame"}
# Characters that HTML escaping must neutralise; a payload without them is the control.
_HTML_NEUTRAL = str.maketrans(dict.fromkeys("<>&\"'", "\u00a4"))


def unescaped(line: str, char: str) -> int:
    """Occurrences of `char` not escaped by a backslash."""
    count = 0
    index = 0
    while index < len(line):
        if line[index] == "\\":
            index += 2
            continue
        if line[index] == char:
            count += 1
        index += 1
    return count


def assert_markdown_safe(markdown: str) -> None:
    """No raw `<` from data outside code spans (where CommonMark shows it as text), and every
    table keeps its shape (no `|` or newline injected)."""
    lines = markdown.split("\n")
    # a code span opens on a backtick run that no backslash escapes (CommonMark)
    span = r"(?<![`\\])(`+)(?!`).*?(?<!`)\1(?!`)"
    outside_code = [re.sub(span, "", line) for line in lines]
    assert all(unescaped(line, "<") == 0 for line in outside_code), markdown
    blocks: list[list[str]] = []
    previous_in_table = False
    for line in lines:
        in_table = line.startswith("|")
        if in_table and not previous_in_table:
            blocks.append([])
        if in_table:
            blocks[-1].append(line)
        previous_in_table = in_table
    for block in blocks:
        assert len(block) >= 2, block
        assert re.fullmatch(r"\|( *:?-+:? *\|)+", block[1].replace(" ", "")), block
        pipes = unescaped(block[0], "|")
        assert all(unescaped(line, "|") == pipes for line in block), block


def html_tags(page: str) -> _Tags:
    parser = _Tags()
    parser.feed(page)
    parser.close()
    return parser


def tag_shapes(page: str) -> set[tuple[str, tuple[str, ...]]]:
    return {(tag, tuple(sorted(name for name, _ in attrs))) for tag, attrs in html_tags(page).tags}


def assert_html_safe(page: str) -> None:
    parser = html_tags(page)
    names = {tag for tag, _ in parser.tags}
    assert not names & FORBIDDEN_TAGS, names & FORBIDDEN_TAGS
    for _, attrs in parser.tags:
        assert not any(name.lower().startswith("on") for name, _ in attrs), attrs
        assert not any("javascript:" in (value or "").lower() for _, value in attrs), attrs
    assert "<script" not in page.lower()


@settings(FAST, max_examples=30)
@given(payload=nasty_text)
def test_markdown_escapes_data(work, payload):
    report = nasty_report(work, payload)
    assert report.findings
    assert_markdown_safe(render_markdown(report))


# The HTML report draws charts (matplotlib, ~0.3 s a page), so fewer examples here.
@settings(FAST, max_examples=12)
@given(payload=nasty_text)
def test_html_escapes_data(work, payload):
    page = render_html(nasty_report(work, payload))
    assert_html_safe(page)
    # the data adds no element or attribute that the same data without <>&"' does not have
    control = render_html(nasty_report(work, payload.translate(_HTML_NEUTRAL)))
    assert tag_shapes(page) <= tag_shapes(control)


def test_markdown_and_html_escape_script_and_pipe_in_data_and_file_name(tmp_path):
    payload = "a|b <script>alert(1)</script> c`d"
    path = tmp_path / "x|<script>alert(2)<\\script>.jsonl"
    path.write_text("\n".join(nasty_rows(payload)) + "\n", encoding="utf-8")
    report = ftqa.check(path)
    markdown = render_markdown(report)
    assert_markdown_safe(markdown)
    assert "\\<script\\>" in markdown
    assert "a\\|b" in markdown
    page = render_html(report)
    assert_html_safe(page)
    text = "".join(html_tags(page).text)  # what a browser shows as text
    assert "<script>alert(1)</script>" in text
    assert "<script>alert(2)<\\script>" in text
    for fmt in ("markdown", "html"):
        result = subprocess.run(
            [sys.executable, "-m", "ftqa", "check", str(path), "--format", fmt],
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 1, result.stderr
        output = result.stdout.decode("utf-8")  # strict
        if fmt == "html":
            assert_html_safe(output)
        else:
            assert_markdown_safe(output)
