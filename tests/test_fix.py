"""`ftqa fix`: never touches the input, loses no row, keeps untouched rows byte for byte."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

import ftqa
from conftest import DATA, ROOT, run_cli
from ftqa.load import open_path
from ftqa.rewrite.fixer import fix_dataset

DATASET_SUFFIXES = (".jsonl", ".json", ".csv", ".tsv", ".parquet", ".jsonl.gz")


NOT_DATASETS = ("sarif",)


def _fixtures() -> list[Path]:
    found = []
    for path in sorted(DATA.rglob("*")):
        if path.relative_to(DATA).parts[0] in NOT_DATASETS:
            continue
        if path.is_file() and path.name.endswith(DATASET_SUFFIXES) and "expected" not in path.name:
            found.append(path)
    return found


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _rows(path: Path) -> int:
    return sum(1 for record in open_path(path).records() if record.row >= 0)


def _output_name(source: Path, stem: str) -> str:
    for suffix in DATASET_SUFFIXES:
        if source.name.endswith(suffix):
            return stem + suffix
    raise AssertionError(source)


@pytest.mark.parametrize("source", _fixtures(), ids=lambda path: str(path.relative_to(DATA)))
def test_rows_in_equal_rows_out_plus_quarantined(source: Path, tmp_path: Path):
    before = _digest(source)
    try:
        summary = fix_dataset(
            source,
            tmp_path / _output_name(source, "clean"),
            quarantine=tmp_path / _output_name(source, "removed"),
            log=tmp_path / "changes.jsonl",
            unsafe=True,
            dedupe=True,
            redact=True,
        )
    except ftqa.FtqaError as error:
        # Only inputs that cannot be read whole may refuse: unreadable for `ftqa check` too, or
        # data it could read only in part (a truncated gzip, a corrupt Parquet row group).
        assert str(source) in str(error)  # noqa: PT017
        try:
            report = ftqa.check(source)
        except ftqa.InputError:
            return
        partial = {"format/read-error", "format/decompression-limit"}
        assert partial & set(report.stats["findings_by_rule"]), str(error)  # noqa: PT017
        assert not list(tmp_path.iterdir()), "a refused fix left files behind"
        return
    assert _digest(source) == before, "the input was modified"
    assert summary.rows_in == summary.rows_out + summary.rows_quarantined
    assert summary.rows_in == _rows(source)
    if summary.rows_out:
        assert _rows(Path(summary.output)) == summary.rows_out
    if summary.rows_quarantined:
        assert _rows(Path(summary.quarantine)) == summary.rows_quarantined
    logged = [json.loads(line) for line in Path(summary.log).read_text().splitlines()]
    assert sum(1 for entry in logged if entry["action"] == "drop") == summary.rows_quarantined


def test_untouched_jsonl_rows_are_copied_byte_for_byte(tmp_path: Path):
    source = ROOT / "examples" / "support-chat.jsonl"
    lines = source.read_bytes().splitlines(keepends=True)
    summary = fix_dataset(source, tmp_path / "clean.jsonl")
    assert summary.rows_quarantined == 0
    assert summary.by_rule == {"encoding/invisible-character": 1}
    written = (tmp_path / "clean.jsonl").read_bytes().splitlines(keepends=True)
    edited = 13  # line 14 holds a zero-width space, which the safe fix removes
    assert [line for i, line in enumerate(written) if i != edited] == [
        line for i, line in enumerate(lines) if i != edited
    ]
    assert "\u200b" not in written[edited].decode()
    assert "\\u200b" not in written[edited].decode()
    assert written[edited] != lines[edited]


def test_unsafe_drops_unusable_rows_and_keeps_them_untouched(tmp_path: Path):
    source = ROOT / "examples" / "support-chat.jsonl"
    lines = source.read_bytes().splitlines(keepends=True)
    summary = fix_dataset(source, tmp_path / "clean.jsonl", unsafe=True, only=["format"])
    assert summary.rows_quarantined == 3
    removed = (tmp_path / "clean.quarantine.jsonl").read_bytes().splitlines(keepends=True)
    assert removed == [lines[4], lines[6], lines[10]]
    kept = (tmp_path / "clean.jsonl").read_bytes().splitlines(keepends=True)
    assert kept == [line for index, line in enumerate(lines) if index not in (4, 6, 10)]
    report = ftqa.check(tmp_path / "clean.jsonl", select=["format"])
    assert not any(f.rule in ("invalid-json", "missing-assistant-message") for f in report.findings)


def test_safe_fixes_remove_blank_lines_and_bom(tmp_path: Path):
    source = tmp_path / "in.jsonl"
    row = b'{"prompt": "2+2=", "completion": " 4"}'
    source.write_bytes(b"\xef\xbb\xbf" + row + b"\n\n" + row + b"\r\n")
    summary = fix_dataset(source, tmp_path / "out.jsonl")
    assert (tmp_path / "out.jsonl").read_bytes() == row + b"\n" + row + b"\r\n"
    assert summary.by_rule == {"format/blank-line": 1, "format/byte-order-mark": 1}
    assert summary.rows_in == summary.rows_out == 2


def test_only_limits_the_fixes(tmp_path: Path):
    source = tmp_path / "in.jsonl"
    row = b'{"prompt": "2+2=", "completion": " 4"}'
    source.write_bytes(b"\xef\xbb\xbf" + row + b"\n\n" + row + b"\n")
    fix_dataset(source, tmp_path / "out.jsonl", only=["byte-order-mark"])
    assert (tmp_path / "out.jsonl").read_bytes() == row + b"\n\n" + row + b"\n"


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_other_formats_are_written_in_their_own_format(tmp_path: Path, suffix: str):
    rows = [{"prompt": f"q{i}", "completion": f" a{i}"} for i in range(4)]
    source = tmp_path / f"in{suffix}"
    if suffix == ".json":
        source.write_text(json.dumps(rows, indent=2) + "\n")
    else:
        source.write_text("prompt,completion\n" + "".join(f"q{i}, a{i}\n" for i in range(4)))
    summary = fix_dataset(source, tmp_path / f"out{suffix}")
    assert summary.rows_out == 4
    report = ftqa.check(tmp_path / f"out{suffix}", select=["format"])
    assert report.dataset.rows == 4
    assert report.dataset.format == "completion"
    assert not [f for f in report.findings if f.rule != "too-few-examples"]


def test_refuses_to_write_over_the_input(tmp_path: Path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"prompt": "a", "completion": " b"}\n')
    before = _digest(source)
    result = run_cli("fix", str(source), "--output", str(source))
    assert result.returncode == 2
    assert "refusing to write over the input" in result.stderr
    assert _digest(source) == before
    result = run_cli(
        "fix", str(source), "--output", str(tmp_path / "o.jsonl"), "--quarantine", str(source)
    )
    assert result.returncode == 2
    assert _digest(source) == before


def test_cli_fix_prints_the_accounting(tmp_path: Path):
    source = ROOT / "examples" / "support-chat.jsonl"
    result = run_cli(
        "fix",
        str(source),
        "--output",
        str(tmp_path / "clean.jsonl"),
        "--unsafe",
        "--only",
        "format",
    )
    assert result.returncode == 0, result.stderr
    assert "16 rows in, 13 written" in result.stdout
    assert "3 quarantined" in result.stdout
    assert "format/invalid-json: 1" in result.stdout


def test_unknown_only_selector_is_a_usage_error(tmp_path: Path):
    source = ROOT / "examples" / "support-chat.jsonl"
    result = run_cli("fix", str(source), "--output", str(tmp_path / "c.jsonl"), "--only", "nope")
    assert result.returncode == 2
    assert "nope" in result.stderr


def test_fixes_every_row_beyond_the_report_cap_and_honours_config_selection(tmp_path: Path):
    """The report lists at most max-findings-per-rule findings per rule; a fix must still apply
    to every row, and rules the configuration turns off stay unfixed."""
    good = json.dumps(
        {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}
    )
    lines = [good if i % 3 == 0 else "{broken" for i in range(3_000)]
    source = tmp_path / "broken.jsonl"
    source.write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    (tmp_path / "ftqa.toml").write_text('max-findings-per-rule = 10\nignore = ["blank-line"]\n')
    summary = fix_dataset(source, tmp_path / "out.jsonl", unsafe=True)
    assert summary.rows_quarantined == 2_000
    assert summary.rows_out == 1_000
    assert (tmp_path / "out.jsonl").read_text(encoding="utf-8").endswith(good + "\n\n")
