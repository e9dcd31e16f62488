"""Reading bad input: every case from RELIABILITY.md section 2, one file written at test time.

Each test runs the real CLI in a subprocess (`python -m ftqa check PATH --format json`) or calls
`ftqa.check(...)`. Lines are 1-based physical lines (counted on b"\\n"), rows are 0-based.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import ftqa
from ftqa import InputError
from ftqa.load import Limits
from ftqa.render import render_json

GOOD = {
    "messages": [
        {"role": "user", "content": "What is 2 + 2?"},
        {"role": "assistant", "content": "4"},
    ]
}
GOOD_LINE = json.dumps(GOOD)
# A readable row with a shape error: `format/wrong-type` on its own line and nowhere else.
BAD_LINE = '{"messages": 3}'
# Report-wide findings that carry no line.
FILE_LEVEL = {"too-few-examples"}
TIMEOUT = 120


# --------------------------------------------------------------------------------------------
# helpers


def run_cli(*args: str | bytes | os.PathLike[str], env: dict[str] | None = None):
    """`python -m ftqa ARGS` as a user runs it; stdout/stderr kept as bytes."""
    return subprocess.run(
        [sys.executable, "-m", "ftqa", *args],
        capture_output=True,
        timeout=TIMEOUT,
        check=False,
        env=env,
    )


def check_json(path: Path | bytes, *, cli: bool = False) -> tuple[int, dict[str, Any]]:
    """Check PATH and return (exit code, JSON report); the report must be strict UTF-8 JSON.

    `cli=True` runs `ftqa check PATH --format json` in a subprocess; otherwise `ftqa.check` is
    called in-process (much faster: the checkers load once per test session).
    """
    if cli:
        result = run_cli("check", path, "--format", "json")
        stderr = result.stderr.decode("utf-8", "replace")
        assert "Traceback" not in stderr, stderr
        assert result.returncode in (0, 1), (result.returncode, stderr)
        code, text = result.returncode, result.stdout.decode("utf-8")  # strict UTF-8
    else:
        report = ftqa.check(path)
        code, text = report.exit_code(), render_json(report)
        text = text.encode("utf-8").decode("utf-8")  # strict UTF-8
    data = json.loads(text)
    failed = [run for run in data["checks"] if run["status"] == "failed"]
    assert not failed, failed  # a checker that crashes on odd input is a bug too
    return code, data


def findings(report: dict[str, Any] | ftqa.Report) -> list[dict[str, Any]]:
    """The `format` checker's findings: what reading and normalizing found.

    Other checkers (duplicates, token lengths, ...) look at rows on purpose and are not what
    these tests are about; they still run on every input, and must not fail (see check_json).
    """
    if isinstance(report, ftqa.Report):
        report = report.to_dict()
    return [f for f in report["findings"] if f["check"] == "format"]


def lines_of(report: dict[str, Any] | ftqa.Report, rule: str) -> list[int | None]:
    """The distinct lines that have a finding of `rule` (None: no line), in order."""
    lines = {f["line"] for f in findings(report) if f["rule"] == rule}
    return sorted(lines, key=lambda x: (x is None, x or 0))


def rules_at(report: dict[str, Any] | ftqa.Report, line: int) -> set[str]:
    return {f["rule"] for f in findings(report) if f["line"] == line}


def row_findings(report: dict[str, Any] | ftqa.Report) -> list[dict[str, Any]]:
    return [f for f in findings(report) if f["rule"] not in FILE_LEVEL]


def physical_lines(data: bytes) -> int:
    if not data:
        return 1
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


def assert_cannot_read(path: Path | str, *, contains: str | None = None) -> str:
    """Exit 2, nothing on stdout, exactly one stderr line naming the path, no traceback."""
    result = run_cli("check", os.fspath(path), "--format", "json")
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 2, (result.returncode, stderr, result.stdout[:300])
    assert result.stdout == b""
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, lines
    assert os.fspath(path) in lines[0]
    if contains is not None:
        assert contains in lines[0].lower(), lines[0]
    return lines[0]


def write(path: Path, text: str | bytes) -> Path:
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def jsonl(*rows: str, end: str = "\n") -> str:
    return "\n".join(rows) + end


# --------------------------------------------------------------------------------------------
# JSON Lines: line numbers


def test_crlf_line_endings_keep_line_numbers(tmp_path):
    path = write(
        tmp_path / "crlf.jsonl",
        "\r\n".join([GOOD_LINE, BAD_LINE, "", BAD_LINE, GOOD_LINE]) + "\r\n",
    )
    code, report = check_json(path, cli=True)
    assert code == 1
    assert lines_of(report, "wrong-type") == [2, 4]
    assert lines_of(report, "blank-line") == [3]
    assert not lines_of(report, "invalid-json")
    assert not rules_at(report, 1)
    assert not rules_at(report, 5)
    assert report["dataset"]["rows"] == 4


def test_bom_is_reported_and_does_not_shift_lines(tmp_path):
    path = write(tmp_path / "bom.jsonl", b"\xef\xbb\xbf" + jsonl(GOOD_LINE, BAD_LINE).encode())
    _, report = check_json(path)
    assert rules_at(report, 1) == {"byte-order-mark"}
    assert lines_of(report, "wrong-type") == [2]
    assert report["dataset"]["format"] == "chat"


def test_bom_in_a_json_array_does_not_shift_lines(tmp_path):
    text = "\ufeff[\n  " + GOOD_LINE + ",\n  " + BAD_LINE + "\n]\n"
    _, report = check_json(write(tmp_path / "bom.json", text))
    assert lines_of(report, "wrong-type") == [3]
    assert not rules_at(report, 2)


def test_blank_lines_between_rows(tmp_path):
    path = write(tmp_path / "blank.jsonl", jsonl(GOOD_LINE, "", "   \t", BAD_LINE, "", GOOD_LINE))
    _, report = check_json(path)
    assert lines_of(report, "blank-line") == [2, 3, 5]
    assert lines_of(report, "wrong-type") == [4]
    assert not rules_at(report, 1)
    assert not rules_at(report, 6)
    assert report["dataset"]["rows"] == 3


@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
def test_unicode_line_separators_inside_strings_do_not_split_lines(tmp_path, suffix):
    row = {
        "messages": [
            {"role": "user", "content": "one\u2028two\u2029three\u0085four"},
            {"role": "assistant", "content": "ok"},
        ]
    }
    first = json.dumps(row, ensure_ascii=False)  # the separators stay raw in the bytes
    assert "\u2028" in first
    if suffix == ".jsonl":
        text = jsonl(first, BAD_LINE, GOOD_LINE)
        bad_line = 2
    else:
        text = "[\n" + first + ",\n" + BAD_LINE + ",\n" + GOOD_LINE + "\n]\n"
        bad_line = 3
    _, report = check_json(write(tmp_path / f"seps{suffix}", text))
    assert report["dataset"]["rows"] == 3
    assert lines_of(report, "wrong-type") == [bad_line]
    assert not lines_of(report, "invalid-json")
    assert not lines_of(report, "truncated-last-line")
    # only U+0085 (a C1 control) may be flagged, and only on the row that holds it
    assert rules_at(report, bad_line - 1) <= {"invisible-character"}


def test_invalid_utf8_on_line_3_and_reading_goes_on(tmp_path):
    bad_bytes = b'{"messages":[{"role":"user","content":"caf\xe9 \xff\xfe"},' + (
        b'{"role":"assistant","content":"ok"}]}'
    )
    data = b"\n".join(
        [GOOD_LINE.encode(), GOOD_LINE.encode(), bad_bytes, BAD_LINE.encode(), b'{"nope": ', b""]
    )
    _, report = check_json(write(tmp_path / "latin1.jsonl", data))
    assert lines_of(report, "invalid-utf8") == [3]
    assert lines_of(report, "wrong-type") == [4]
    assert lines_of(report, "invalid-json") == [5]
    assert not rules_at(report, 1)
    assert not rules_at(report, 2)
    assert report["dataset"]["rows"] == 5


def test_truncated_last_line(tmp_path):
    path = write(tmp_path / "cut.jsonl", GOOD_LINE + "\n" + BAD_LINE + "\n" + GOOD_LINE[:25])
    _, report = check_json(path)
    assert lines_of(report, "truncated-last-line") == [3]
    assert lines_of(report, "wrong-type") == [2]
    assert not rules_at(report, 1)


def test_complete_last_line_without_newline_is_fine(tmp_path):
    _, report = check_json(write(tmp_path / "nonl.jsonl", GOOD_LINE + "\n" + GOOD_LINE))
    assert row_findings(report) == []
    assert report["dataset"]["rows"] == 2


# --------------------------------------------------------------------------------------------
# JSON values: depth, duplicates, non-standard numbers, surrogates


def test_100000_nested_brackets_is_one_finding(tmp_path):
    path = write(tmp_path / "deep.jsonl", jsonl(GOOD_LINE, "[" * 100_000, BAD_LINE))
    started = time.monotonic()
    code, report = check_json(path, cli=True)
    assert time.monotonic() - started < 60
    assert code == 1
    assert [f["rule"] for f in findings(report) if f["line"] == 2] == ["invalid-json"]
    assert lines_of(report, "wrong-type") == [3]
    assert not rules_at(report, 1)


def test_100000_nested_brackets_in_a_json_array(tmp_path):
    path = write(tmp_path / "deep.json", "[" * 100_000 + "]" * 100_000 + "\n")
    code, report = check_json(path)
    assert code == 1
    assert [(f["rule"], f["line"]) for f in row_findings(report)] == [("invalid-json", 1)]


@pytest.mark.parametrize(
    "row",
    [
        "[" * 1500 + "]" * 1500,
        '{"messages": ' + "[" * 1500 + "]" * 1500 + "}",
        '{"a":' * 1500 + "1" + "}" * 1500,
    ],
    ids=["arrays", "inside-messages", "objects"],
)
def test_1500_nested_levels_is_an_invalid_json_finding(tmp_path, row):
    _, report = check_json(write(tmp_path / "n1500.jsonl", jsonl(GOOD_LINE, row, BAD_LINE)))
    assert [f["rule"] for f in findings(report) if f["line"] == 2] == ["invalid-json"]
    assert lines_of(report, "wrong-type") == [3]


@pytest.mark.parametrize("depth", [300, 1000])
def test_deep_but_allowed_nesting_does_not_crash(tmp_path, depth):
    deep = "[" * depth + "]" * depth
    row = GOOD_LINE[:-1] + ', "metadata": ' + deep + "}"
    _, report = check_json(write(tmp_path / "d.jsonl", jsonl(GOOD_LINE, row, BAD_LINE)), cli=True)
    assert lines_of(report, "wrong-type") == [3]


def test_duplicate_keys(tmp_path):
    nested = (
        '{"messages":[{"role":"user","content":"a"},'
        '{"role":"assistant","content":"b","content":"c"}]}'
    )
    path = write(tmp_path / "dup.jsonl", jsonl(GOOD_LINE, '{"a":1,"a":2}', nested, GOOD_LINE))
    _, report = check_json(path)
    assert lines_of(report, "duplicate-key") == [2, 3]
    assert not rules_at(report, 1)
    assert not rules_at(report, 4)


@pytest.mark.parametrize("escape", ["\\u003a", "\\u003A"])
def test_duplicate_key_next_to_an_escaped_colon(tmp_path, escape):
    # the colon escape makes the source hold no more ':' bytes than the parsed value
    row = GOOD_LINE[:-1] + ', "id": "x", "id": "' + escape + '"}'
    _, report = check_json(write(tmp_path / "dupesc.jsonl", jsonl(GOOD_LINE, row)))
    assert lines_of(report, "duplicate-key") == [2]


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_named(tmp_path, token):
    row = GOOD_LINE[:-1] + f', "id": {token}}}'
    code, report = check_json(write(tmp_path / "nan.jsonl", jsonl(GOOD_LINE, row, BAD_LINE)))
    assert code == 1
    assert lines_of(report, "non-standard-number") == [2]
    assert rules_at(report, 2) == {"non-standard-number"}
    assert lines_of(report, "wrong-type") == [3]


def test_lone_surrogates_are_named_and_the_report_is_utf8(tmp_path):
    in_content = (
        '{"messages":[{"role":"user","content":"x\\ud800y"},{"role":"assistant","content":"ok"}]}'
    )
    in_key = GOOD_LINE[:-1] + ', "\\udc00": 1}'
    reversed_pair = (
        '{"messages":[{"role":"user","content":"\\udc00\\ud83d"},'
        '{"role":"assistant","content":"ok"}]}'
    )
    path = write(
        tmp_path / "surrogate.jsonl", jsonl(GOOD_LINE, in_content, in_key, reversed_pair, BAD_LINE)
    )
    _, report = check_json(path, cli=True)  # decodes stdout as strict UTF-8
    assert lines_of(report, "lone-surrogate") == [2, 3, 4]
    assert lines_of(report, "wrong-type") == [5]
    assert not rules_at(report, 1)
    for fmt in ("terminal", "markdown", "html"):
        result = run_cli("check", path, "--format", fmt)
        assert result.returncode == 1, result.stderr
        result.stdout.decode("utf-8")  # strict
        assert b"Traceback" not in result.stderr


def test_duplicate_key_named_with_a_lone_surrogate(tmp_path):
    row = GOOD_LINE[:-1] + ', "\\ud800": 1, "\\ud800": 2}'
    _, report = check_json(write(tmp_path / "dupsur.jsonl", jsonl(GOOD_LINE, row)), cli=True)
    assert lines_of(report, "duplicate-key") == [2]
    assert lines_of(report, "lone-surrogate") == [2]


def test_lone_surrogate_in_an_overwritten_value_is_still_named(tmp_path):
    row = GOOD_LINE[:-1] + ', "id": "\\ud800", "id": "x"}'
    _, report = check_json(write(tmp_path / "dropped.jsonl", jsonl(GOOD_LINE, row)))
    assert lines_of(report, "duplicate-key") == [2]
    assert lines_of(report, "lone-surrogate") == [2]


def test_5000_digit_integer(tmp_path):
    row = GOOD_LINE[:-1] + ', "id": ' + "7" * 5000 + "}"
    code, report = check_json(write(tmp_path / "bigint.jsonl", jsonl(GOOD_LINE, row, BAD_LINE)))
    assert code == 1
    assert rules_at(report, 2), "the huge integer is reported on its line"
    assert lines_of(report, "wrong-type") == [3]
    assert {f["line"] for f in row_findings(report)} == {2, 3}


def test_1e999_does_not_crash_and_is_reported_where_it_matters(tmp_path):
    row = (
        '{"messages":[{"role":"user","content":"a"},'
        '{"role":"assistant","content":"b","weight":1e999}]}'
    )
    code, report = check_json(write(tmp_path / "huge.jsonl", jsonl(GOOD_LINE, row, BAD_LINE)))
    assert code == 1
    assert lines_of(report, "invalid-weight") == [2]
    assert lines_of(report, "wrong-type") == [3]
    assert {f["line"] for f in row_findings(report)} == {2, 3}


# --------------------------------------------------------------------------------------------
# JSON array files


def test_pretty_printed_array_reports_each_element_start_line(tmp_path):
    rows = [GOOD, {"messages": 3}, GOOD, {"text": "t"}]
    text = json.dumps(rows, indent=2)
    starts = [i + 1 for i, line in enumerate(text.split("\n")) if line.startswith("  {")]
    _, report = check_json(write(tmp_path / "pretty.json", text + "\n"))
    assert lines_of(report, "wrong-type") == [starts[1]]
    assert {f["line"] for f in row_findings(report)} <= {starts[1], starts[3]}
    assert report["dataset"]["rows"] == 4


def test_json_array_missing_comma(tmp_path):
    text = "[\n" + GOOD_LINE + ",\n" + GOOD_LINE + "\n" + GOOD_LINE + ",\n" + BAD_LINE + "\n]\n"
    code, report = check_json(write(tmp_path / "comma.json", text))
    assert code == 1
    assert lines_of(report, "invalid-json") == [4]
    assert lines_of(report, "wrong-type") == [5]
    assert not rules_at(report, 2)
    assert not rules_at(report, 3)


def test_json_array_cut_off_in_the_middle(tmp_path):
    text = "[\n" + BAD_LINE + ",\n" + GOOD_LINE + ",\n" + GOOD_LINE[:30]
    data = text.encode()
    code, report = check_json(write(tmp_path / "cut.json", data))
    assert code == 1
    assert lines_of(report, "wrong-type") == [2]
    assert lines_of(report, "truncated-last-line") == [4]
    assert not rules_at(report, 3)
    assert all(1 <= f["line"] <= physical_lines(data) for f in row_findings(report) if f["line"])


def test_json_array_cut_off_after_a_newline_reports_an_existing_line(tmp_path):
    data = ("[\n" + GOOD_LINE + ",\n" + BAD_LINE + "\n").encode()
    _, report = check_json(write(tmp_path / "cutnl.json", data))
    assert lines_of(report, "wrong-type") == [3]
    assert lines_of(report, "truncated-last-line")
    for line in lines_of(report, "truncated-last-line"):
        assert 1 <= line <= physical_lines(data) == 3


def test_trailing_garbage_after_the_array(tmp_path):
    text = "[\n" + GOOD_LINE + ",\n" + BAD_LINE + "\n]\n\nthis is not json\n"
    code, report = check_json(write(tmp_path / "garbage.json", text))
    assert code == 1
    assert lines_of(report, "invalid-json") == [6]
    assert lines_of(report, "wrong-type") == [3]


# --------------------------------------------------------------------------------------------
# CSV / TSV


def test_csv_quoted_multiline_cell_keeps_following_lines(tmp_path):
    text = (
        "prompt,completion\r\n"  # 1
        '"line one\r\nline two\nline three",fine\r\n'  # 2-4
        "ok,\r\n"  # 5  empty completion
        '"a ""quoted"" cell",ok\r\n'  # 6
        "q,c,extra\r\n"  # 7  too many cells
        "last,ok\r\n"  # 8
    )
    code, report = check_json(write(tmp_path / "multi.csv", text))
    assert code == 1
    assert lines_of(report, "empty-content") == [5]
    assert lines_of(report, "wrong-column-count") == [7]
    assert {f["line"] for f in row_findings(report)} == {5, 7}
    rows = {f["line"]: f["row"] for f in row_findings(report)}
    assert rows == {5: 1, 7: 3}
    assert report["dataset"]["rows"] == 5


def test_csv_row_with_too_many_cells(tmp_path):
    text = "prompt,completion\nq1,c1\nq2,c2,c3,c4\nq3,c3\n"
    code, report = check_json(write(tmp_path / "wide.csv", text))
    assert code == 1
    assert lines_of(report, "wrong-column-count") == [3]
    assert {f["line"] for f in row_findings(report)} == {3}


@pytest.mark.parametrize("cell", ['"a\rb"', "a\rb"], ids=["quoted", "unquoted"])
def test_csv_bare_carriage_return_does_not_shift_lines(tmp_path, cell):
    text = "prompt,completion\n" + cell + ",x\nok,\nq,c,extra\n"
    _, report = check_json(write(tmp_path / "cr.csv", text))
    assert lines_of(report, "empty-content") == [3]
    assert lines_of(report, "wrong-column-count") == [4]


def test_csv_invalid_utf8_and_bom(tmp_path):
    data = b"\xef\xbb\xbfprompt,completion\nq1,c1\nq\xff2,c2\nq3,\n"
    _, report = check_json(write(tmp_path / "latin1.csv", data))
    assert lines_of(report, "invalid-utf8") == [3]
    assert lines_of(report, "empty-content") == [4]
    assert not rules_at(report, 2)


def test_csv_header_with_repeated_columns_among_many(tmp_path):
    """Repeated header names are found with one count per name (a quadratic scan took 20 s on
    a 50,000-column header)."""
    names = [f"c{i}" for i in range(30_000)] + ["prompt", "completion", "c7", "prompt"]
    path = tmp_path / "wide.csv"
    path.write_text(",".join(names) + "\n" + ",".join("x" for _ in names) + "\n")
    report = ftqa.check(path, select=["format"])
    (finding,) = [f for f in report.findings if f.rule == "duplicate-key"]
    assert finding.line == 1
    assert "`c7`, `prompt`" in finding.message


def test_csv_invalid_utf8_in_the_header(tmp_path):
    data = b"prompt,completion,note\xff\nq1,c1,n\nq2,,n\n"
    _, report = check_json(write(tmp_path / "header.csv", data), cli=True)
    assert lines_of(report, "invalid-utf8") == [1]
    assert lines_of(report, "empty-content") == [3]


def test_tsv(tmp_path):
    text = "prompt\tcompletion\nhello, world\tfine\nq\t\nx\ty\tz\nlast\tok\n"
    code, report = check_json(write(tmp_path / "data.tsv", text))
    assert code == 1
    assert report["dataset"]["format"] == "completion"
    assert report["dataset"]["rows"] == 4
    assert lines_of(report, "empty-content") == [3]
    assert lines_of(report, "wrong-column-count") == [4]
    assert {f["line"] for f in row_findings(report)} == {3, 4}


# --------------------------------------------------------------------------------------------
# gzip

PLAIN_ROWS = [GOOD_LINE, BAD_LINE, '{"a":1,"a":2}', GOOD_LINE[:20], "", GOOD_LINE, '{"x": NaN}']


def _located(report: dict[str, Any]) -> Counter[tuple[Any, ...]]:
    return Counter(
        (f["check"], f["rule"], f["line"], f["row"], f["field"], f["message"], f["evidence"])
        for f in findings(report)
    )


def test_gzip_gives_the_same_findings_as_the_plain_file(tmp_path):
    data = jsonl(*PLAIN_ROWS).encode()
    _, plain = check_json(write(tmp_path / "plain.jsonl", data))
    _, packed = check_json(write(tmp_path / "packed.jsonl.gz", gzip.compress(data)), cli=True)
    assert _located(packed) == _located(plain)
    assert len(row_findings(plain)) >= 5
    assert packed["dataset"]["rows"] == plain["dataset"]["rows"]


def test_gzip_with_several_members(tmp_path):
    data = jsonl(*PLAIN_ROWS).encode()
    lines = data.split(b"\n")
    members = [b"\n".join(lines[:2]) + b"\n", b"\n".join(lines[2:5]) + b"\n", b"\n".join(lines[5:])]
    assert b"".join(members) == data
    _, plain = check_json(write(tmp_path / "plain.jsonl", data))
    packed_path = write(tmp_path / "multi.jsonl.gz", b"".join(gzip.compress(m) for m in members))
    _, packed = check_json(packed_path)
    assert _located(packed) == _located(plain)


def _bomb(path: Path, members: int, member_bytes: int) -> Path:
    # one line of spaces, so reading it is cheap and only the decompression cap stops it
    member = gzip.compress(b" " * member_bytes, compresslevel=9)
    path.write_bytes(gzip.compress(b"{" + b" " * member_bytes) + member * (members - 1))
    return path


@pytest.mark.parametrize(
    ("members", "limits"),
    [
        (1, Limits(max_decompressed_bytes=4 << 20, compression_ratio_grace_bytes=1 << 20)),
        (64, Limits(max_decompressed_bytes=8 << 20, compression_ratio_grace_bytes=1 << 20)),
        (
            64,
            Limits(
                max_decompressed_bytes=1 << 40,
                compression_ratio_grace_bytes=1 << 20,
                max_compression_ratio=100,
            ),
        ),
    ],
    ids=["size-cap", "multi-member-size-cap", "ratio-cap"],
)
def test_gzip_bomb_stops_at_the_limit(tmp_path, members, limits):
    member_bytes = (16 << 20) if members == 1 else (1 << 20)
    path = _bomb(tmp_path / "bomb.jsonl.gz", members, member_bytes)
    assert path.stat().st_size < 2 << 20
    started = time.monotonic()
    report = ftqa.check(path, limits=limits)
    assert time.monotonic() - started < 30
    assert lines_of(report, "decompression-limit") == [None]
    assert not report.passed


def _varied_rows(count: int) -> bytes:
    """Rows that do not compress to nothing, so a cut .gz still holds many of them."""
    rows = []
    for i in range(count):
        token = hashlib.sha256(str(i).encode()).hexdigest()
        if i % 2:
            rows.append(BAD_LINE)
        else:
            rows.append(
                json.dumps(
                    {
                        "messages": [
                            {"role": "user", "content": f"question {token}"},
                            {"role": "assistant", "content": f"answer {token[::-1]}"},
                        ]
                    }
                )
            )
    return jsonl(*rows).encode()


def test_truncated_gzip_still_checks_the_rows_before_the_cut(tmp_path):
    packed = gzip.compress(_varied_rows(2000))
    path = write(tmp_path / "cut.jsonl.gz", packed[: len(packed) * 3 // 4])
    code, report = check_json(path)
    assert code == 1
    assert 2 in lines_of(report, "wrong-type")
    assert report["dataset"]["rows"] > 1000


@pytest.mark.parametrize("size", ["small", "large"])
def test_truncated_gzip_does_not_crash(tmp_path, size):
    data = jsonl(GOOD_LINE, BAD_LINE).encode() if size == "small" else _varied_rows(2000)
    packed = gzip.compress(data)
    path = write(tmp_path / "cut.jsonl.gz", packed[: len(packed) // 2])
    result = run_cli("check", path, "--format", "json")
    if result.returncode == 2:  # the header could not even be sniffed: cannot read at all
        assert_cannot_read(path, contains="gzip")
        return
    code, report = check_json(path, cli=True)
    assert code == 1
    assert any("gzip" in f["message"] for f in findings(report))


# --------------------------------------------------------------------------------------------
# inputs that cannot be read at all: exit 2, one stderr line naming the path


def test_empty_file(tmp_path):
    code, report = check_json(write(tmp_path / "empty.jsonl", b""))
    assert code == 1
    assert lines_of(report, "empty-file") == [1]


def test_directory(tmp_path):
    folder = tmp_path / "data.jsonl"
    folder.mkdir()
    assert_cannot_read(folder, contains="directory")
    with pytest.raises(InputError):
        ftqa.check(folder)


def test_missing_path(tmp_path):
    assert_cannot_read(tmp_path / "nope.jsonl", contains="no such file")
    with pytest.raises(InputError):
        ftqa.check(tmp_path / "nope.jsonl")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    started = time.monotonic()
    assert_cannot_read(fifo)  # subprocess timeout guards against blocking on open()
    assert time.monotonic() - started < 30


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="running as root: root can read a file whatever its permission bits",
)
def test_file_without_read_permission(tmp_path):
    path = write(tmp_path / "secret.jsonl", jsonl(GOOD_LINE))
    path.chmod(0)
    try:
        assert_cannot_read(path, contains="permission")
    finally:
        path.chmod(0o600)


def test_png_file(tmp_path):
    path = write(tmp_path / "image.jsonl", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    assert_cannot_read(path, contains="binary")
    with pytest.raises(InputError):
        ftqa.check(path)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_file(tmp_path, encoding):
    path = write(tmp_path / "wide.jsonl", jsonl(GOOD_LINE, GOOD_LINE).encode(encoding))
    assert_cannot_read(path)


def test_unknown_extension_with_text(tmp_path):
    path = write(tmp_path / "notes.txt", "just some notes\nnot a dataset\n")
    assert_cannot_read(path, contains="unrecognized")


def test_unknown_extension_with_json_lines_is_sniffed(tmp_path):
    _, report = check_json(write(tmp_path / "train.txt", jsonl(GOOD_LINE, BAD_LINE)))
    assert lines_of(report, "wrong-type") == [2]


def test_error_line_neutralises_control_characters_in_the_path(tmp_path):
    path = tmp_path / "evil\x1b[2J\x1b]52;c;aGk=\x07.jsonl"
    result = run_cli("check", path, "--format", "json")
    assert result.returncode == 2
    assert result.stdout == b""
    assert len(result.stderr.splitlines()) == 1
    assert b"\x1b" not in result.stderr
    assert b"\x07" not in result.stderr


def test_non_utf8_file_name_still_gives_a_utf8_report(tmp_path):
    name = os.fsencode(tmp_path) + b"/bad\xff.jsonl"
    with open(name, "wb") as handle:
        handle.write(jsonl(GOOD_LINE, BAD_LINE).encode())
    _, report = check_json(name, cli=True)
    assert lines_of(report, "wrong-type") == [2]


# --------------------------------------------------------------------------------------------
# Parquet and in-memory data


def test_parquet_with_nested_messages(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table(
        {
            "messages": [
                GOOD["messages"],
                [{"role": "user", "content": "hi"}, {"role": "robot", "content": "beep"}],
                GOOD["messages"],
            ]
        }
    )
    path = tmp_path / "chat.parquet"
    pq.write_table(table, path)
    code, report = check_json(path)
    assert code == 1
    assert report["dataset"]["format"] == "chat"
    assert report["dataset"]["rows"] == 3
    assert {f["row"] for f in row_findings(report)} == {1}
    assert "unknown-role" in {f["rule"] for f in row_findings(report)}


def test_parquet_prompt_column_holding_a_number(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "completion.parquet"
    pq.write_table(pa.table({"prompt": [1.5, 2.0], "completion": ["a", "b"]}), path)
    code, report = check_json(path)
    assert code == 1
    wrong = [f for f in findings(report) if f["rule"] == "wrong-type"]
    assert sorted({f["row"] for f in wrong}) == [0, 1]
    assert all(f["field"] == "prompt" for f in wrong)


def test_corrupt_parquet_is_a_finding(tmp_path):
    path = write(tmp_path / "broken.parquet", b"PAR1" + b"not really parquet" * 50)
    code, report = check_json(path)
    assert code == 1
    assert lines_of(report, "read-error") == [None]


def test_pandas_dataframe():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {"prompt": ["a", 3, None, "d"], "completion": ["b", "c", "d", ""]}, dtype=object
    )
    report = ftqa.check(frame)
    assert report.dataset.rows == 4
    by_row = {(f["row"], f["rule"]) for f in row_findings(report)}
    assert (1, "wrong-type") in by_row
    assert (2, "missing-key") in by_row
    assert (3, "empty-content") in by_row
    assert {row for row, _ in by_row} == {1, 2, 3}
    json.loads(report.to_json().encode("utf-8"))


def test_list_of_dicts():
    rows = [GOOD, {"messages": 3}, "not an object", None, {"prompt": "p", "completion": "c"}]
    report = ftqa.check(rows)
    assert report.dataset.rows == 5
    rules = {(f["row"], f["rule"]) for f in row_findings(report)}
    assert (1, "wrong-type") in rules
    assert (2, "not-an-object") in rules
    assert (3, "not-an-object") in rules
    assert 0 not in {row for row, _ in rules}


@pytest.mark.parametrize("kind", ["lone-surrogate", "int-key", "big-int", "deep"])
def test_list_of_dicts_with_odd_python_values_does_not_raise(kind):
    deep: list[Any] = []
    for _ in range(300):
        deep = [deep]
    extra: dict[Any] = {
        "lone-surrogate": {"id": "x\ud800"},
        "int-key": {1: "int key"},
        "big-int": {"id": 10**30},
        "deep": {"metadata": deep},
    }[kind]
    report = ftqa.check([GOOD, {**GOOD, **extra}])
    json.loads(report.to_json().encode("utf-8"))
    surrogate_rows = [f["row"] for f in row_findings(report) if f["rule"] == "lone-surrogate"]
    assert surrogate_rows == ([1] if kind == "lone-surrogate" else [])


def test_in_memory_lone_surrogates_are_named_and_the_data_is_not_changed():
    pandas = pytest.importorskip("pandas")
    row = {
        "messages": [
            {"role": "user", "content": "Cut emoji \ud83d"},
            {"role": "assistant", "content": "Fine"},
        ]
    }
    rows = [GOOD, row, {"\udc80key": 1, **GOOD}]
    report = ftqa.check(rows)
    found = [
        (f["row"], f["message"]) for f in row_findings(report) if f["rule"] == "lone-surrogate"
    ]
    assert [row for row, _ in found] == [1, 2]
    assert "a string holds a lone surrogate" in found[0][1]
    assert rows[1]["messages"][0]["content"] == "Cut emoji \ud83d"  # the caller's object
    report.to_json().encode("utf-8")
    # Arrow-backed string columns refuse lone surrogates; object columns keep them.
    frame = pandas.DataFrame(
        {"prompt": ["ok", "half \ud83d"], "completion": [" a", " b"]}, dtype=object
    )
    framed = ftqa.check(frame)
    assert [f["row"] for f in row_findings(framed) if f["rule"] == "lone-surrogate"] == [1]


def test_hugging_face_dataset():
    datasets = pytest.importorskip("datasets")
    rows = [
        GOOD,
        {"messages": [{"role": "user", "content": "hi"}, {"role": "user", "content": ""}]},
        GOOD,
    ]
    dataset = datasets.Dataset.from_list(rows)
    report = ftqa.check(dataset)
    assert report.dataset.rows == 3
    assert report.dataset.format == "chat"
    flagged = {(f["row"], f["rule"]) for f in row_findings(report)}
    assert {row for row, _ in flagged} == {1}
    assert (1, "empty-content") in flagged
    assert (1, "missing-assistant-message") in flagged


# --------------------------------------------------------------------------- dataset hash


@pytest.mark.parametrize("compressed", [False, True])
def test_dataset_sha256_is_the_file_as_stored(tmp_path: Path, compressed: bool):
    """The hash runs on a helper thread over the bytes on disk (compressed bytes for .gz); a
    file of many read chunks and an unfinished last line must hash exactly like hashlib."""
    rows = [json.dumps({**GOOD, "id": f"{i:06d}-" + "x" * (i % 97)}) for i in range(30_000)]
    text = "\n".join(rows) + "\n" + GOOD_LINE[:-3]
    path = tmp_path / ("big.jsonl.gz" if compressed else "big.jsonl")
    payload = text.encode("utf-8")
    path.write_bytes(gzip.compress(payload) if compressed else payload)
    assert path.stat().st_size > (1 << 20) or compressed
    report = ftqa.check(path, select=["format"])
    assert report.dataset.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert report.dataset.rows == 30_001
    assert lines_of(report, "truncated-last-line") == [30_001]


def test_json_array_elements_sharing_a_line_are_located_by_row(tmp_path):
    bad = '{"messages": []}'
    good = json.dumps(GOOD)
    path = tmp_path / "mixed.json"
    # elements 0 and 1 start on line 2; element 2 alone on line 3; 3 and 4 on line 4
    path.write_text(f"[\n{bad}, {good},\n{bad},\n{good}, {bad}\n]\n")
    report = ftqa.check(path, select=["format"])
    located = sorted((f.row, f.line) for f in report.findings if f.rule == "empty-content")
    assert located == [(0, None), (2, 3), (4, None)]
    minified = tmp_path / "minified.json"
    minified.write_text(json.dumps([GOOD, {"messages": []}, GOOD]))
    (finding,) = [f for f in ftqa.check(minified).findings if f.rule == "empty-content"]
    assert (finding.row, finding.line) == (1, None)
    assert "minified.json[row 1]" in render_terminal_text(ftqa.check(minified))


def render_terminal_text(report: ftqa.Report) -> str:
    import io

    from rich.console import Console

    from ftqa.render.terminal import render_terminal

    buffer = io.StringIO()
    render_terminal(report, Console(file=buffer, width=200, no_color=True), 5, {})
    return buffer.getvalue()


def test_no_hashing_thread_outlives_its_stream(tmp_path):
    """A stream read only in part (kind detection, a fix's passes) used to leave its sha256
    helper thread waiting forever: hundreds of runs in one process ran out of threads."""
    import gc
    import threading

    from ftqa.rewrite.fixer import fix_dataset

    path = tmp_path / "a.csv"
    path.write_text('prompt,completion\noops,"never closed\n', encoding="utf-8")
    for index in range(5):
        ftqa.check(path)
        fix_dataset(path, tmp_path / f"out{index}.csv")
    gc.collect()
    assert [t.name for t in threading.enumerate() if t.name == "ftqa-sha256"] == []
