"""Regressions for issue "Nothing lost": every way `fix`, `split` and `check --output` lost or
changed data, each run as a user would (real files, real processes)."""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import json
import math
import os
import resource
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import ftqa
from conftest import run_cli
from ftqa.errors import FtqaError
from ftqa.load import Limits, open_path
from ftqa.rewrite.conserving import ConservingWriter
from ftqa.rewrite.fixer import fix_dataset
from plugin_dist import installed_plugin


def chat(question: str, answer: str) -> dict:
    return {
        "messages": [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ]
    }


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _rows(path: Path) -> int:
    return sum(1 for record in open_path(path).records() if record.row >= 0)


# -- 1. dedupe keeps meaning ----------------------------------------------------------------------

IDENTITY_QUESTIONS = [
    "Which version are you?",
    "What version are you?",
    "Which model version are you?",
    "What is your version?",
    "Who made you?",
    "Who created you?",
    "What is your name?",
    "What are you called?",
]
IDENTITY_ANSWERS = [
    "I am Nova 2.1, released in March.",
    "My version is Nova 2.1.",
    "I was built by the Nova team at Example Labs.",
    "Example Labs trained me in 2025.",
    "My name is Nova.",
    "People call me Nova, an assistant.",
    "I cannot browse the web.",
    "I can help with writing and code.",
]


def test_dedupe_keeps_distinct_answers_to_templated_questions(tmp_path: Path):
    rows = [
        chat(question, answer) for question in IDENTITY_QUESTIONS for answer in IDENTITY_ANSWERS
    ]
    source = _jsonl(tmp_path / "identity.jsonl", rows)
    summary = fix_dataset(source, tmp_path / "clean.jsonl", dedupe=True, config={})
    # Only rows that repeat the answer of a kept row that asks (nearly) the same may go.
    assert summary.rows_out >= len(IDENTITY_ANSWERS) * 4, summary.to_dict()
    kept = [json.loads(line) for line in (tmp_path / "clean.jsonl").read_text().splitlines()]
    assert {row["messages"][1]["content"] for row in kept} == set(IDENTITY_ANSWERS)
    _every_drop_repeats_a_kept_answer(summary, rows, kept)


def _every_drop_repeats_a_kept_answer(summary, rows: list[dict], kept: list[dict]) -> None:
    log = [json.loads(line) for line in Path(summary.log).read_text().splitlines()]
    kept_answers = {row["messages"][-1]["content"] for row in kept}
    for entry in log:
        if entry["action"] == "drop":
            assert rows[entry["row"]]["messages"][-1]["content"] in kept_answers


def test_dedupe_never_drops_a_row_whose_label_differs(tmp_path: Path):
    path = tmp_path / "labels.csv"
    rows = []
    for index in range(40):
        sentence = f"the service at the downtown branch was slow on day {index % 4}"
        rows.append((sentence, "negative" if index % 2 else "neutral"))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    summary = fix_dataset(path, tmp_path / "clean.csv", dedupe=True, config={})
    with (tmp_path / "clean.csv").open(newline="", encoding="utf-8") as handle:
        kept = [(row["text"], row["label"]) for row in csv.DictReader(handle)]
    assert {label for _, label in kept} == {"negative", "neutral"}
    log = [json.loads(line) for line in Path(summary.log).read_text().splitlines()]
    for entry in log:
        assert entry["action"] == "drop"
        kept_line = int(entry["reason"].rsplit("line ", 1)[1])
        assert rows[kept_line - 2][1] == rows[entry["row"]][1], entry  # the same label
        assert rows[kept_line - 2] in kept
    assert summary.rows_in == summary.rows_out + summary.rows_quarantined == 40


def test_near_duplicate_clusters_are_not_chained(tmp_path: Path):
    # Each row changes one more word than the previous one: neighbours are alike, the ends are
    # not. A chain would put them all in one cluster around the first row.
    words = [f"word{index}" for index in range(12)]
    rows = []
    for step in range(8):
        text = words[:]
        for index in range(step):
            text[index] = f"x{index}"
        rows.append(chat(" ".join(text), "same answer for all of them here"))
    source = _jsonl(tmp_path / "chain.jsonl", rows)
    config = {"near_duplicates": {"threshold": 0.55}}
    report = ftqa.check(source, select=["near_duplicates"], config=config)
    for finding in report.findings:
        assert finding.lines is not None
        kept = finding.lines[0] - 1
        for line in finding.lines[1:]:
            shared = _bigram_jaccard(rows[kept], rows[line - 1])
            assert shared >= 0.45, (finding.lines, shared)  # the estimate is within ~0.1


def _bigram_jaccard(first: dict, second: dict) -> float:
    def grams(row: dict) -> set[tuple[str, str]]:
        words = " ".join(m["content"] for m in row["messages"]).lower().split()
        return set(itertools.pairwise(words))

    a, b = grams(first), grams(second)
    return len(a & b) / len(a | b)


# -- 3. records never vanish or change -----------------------------------------------------------


def test_a_jsonl_line_over_the_size_cap_is_copied_not_nulled(tmp_path: Path):
    big = json.dumps(chat("q" * 3000, "a"))
    source = tmp_path / "in.jsonl"
    source.write_text(big + "\n" + json.dumps(chat("hi", "there ")) + "\n")
    limits = Limits(max_line_bytes=1000)
    fix_dataset(source, tmp_path / "out.jsonl", config={}, limits=limits)
    lines = (tmp_path / "out.jsonl").read_text().splitlines()
    assert lines[0] == big
    fix_dataset(source, tmp_path / "u.jsonl", config={}, limits=limits, unsafe=True)
    assert (tmp_path / "u.quarantine.jsonl").read_text().splitlines() == [big]


def test_a_broken_csv_quote_costs_one_record_not_the_rest(tmp_path: Path):
    source = tmp_path / "in.csv"
    source.write_bytes(
        b"prompt,completion\r\n"
        b'"first","one"\r\n'
        b'broken,"never closed\r\n'
        b'"third","three"\r\n'
        b"bare\rcr,four\r\n"
        b'"fifth","five"\r\n'
    )
    report = ftqa.check(source, select=["format"], config={})
    assert report.dataset.rows == 5
    assert sorted(f.line for f in report.findings if f.rule == "invalid-csv") == [3, 5]
    fix_dataset(source, tmp_path / "out.csv", config={})
    assert (tmp_path / "out.csv").read_bytes() == source.read_bytes()
    fix_dataset(source, tmp_path / "u.csv", config={}, unsafe=True)
    assert (tmp_path / "u.csv").read_bytes() == (
        b'prompt,completion\r\n"first","one"\r\n"third","three"\r\n"fifth","five"\r\n'
    )
    assert (tmp_path / "u.quarantine.csv").read_bytes() == (
        b'prompt,completion\r\nbroken,"never closed\r\nbare\rcr,four\r\n'
    )


def test_edited_csv_rows_keep_extra_cells_repeated_columns_and_line_endings(tmp_path: Path):
    source = tmp_path / "in.csv"
    source.write_bytes(
        b"Prompt ,completion,completion,note\r\n"
        b'"q\xe2\x80\x8b1","old","a1","n1","extra"\r\n'
        b'"caf\xe9","old2","a2","n2"\r\n'
    )
    fix_dataset(source, tmp_path / "out.csv", config={})
    out = (tmp_path / "out.csv").read_bytes().split(b"\r\n")
    assert out[0] == b"Prompt ,completion,completion,note"  # header spelling kept
    assert out[1] == b'"q1","old","a1","n1","extra"'  # only the edited cell changed, CRLF kept
    assert out[2] == b'"caf\xe9","old2","a2","n2"'  # untouched Latin-1 bytes kept


def test_an_object_after_a_json_array_is_kept(tmp_path: Path):
    source = tmp_path / "in.json"
    rows = [chat("a", "b"), chat("c\u200b", "d")]
    source.write_text(json.dumps(rows, indent=1) + '\n{"after": "the array"}\n')
    fix_dataset(source, tmp_path / "out.json", config={})
    assert (tmp_path / "out.json").read_text().endswith('{"after": "the array"}\n')


def test_parquet_keeps_nan_types_and_json_text_columns(tmp_path: Path):
    source = tmp_path / "in.parquet"
    table = pa.table(
        {
            "prompt": ["a\u200b question", "another", "another"],
            "completion": [" yes", " no", " no"],
            "score": [float("nan"), 1.5, 1.5],
            "when": pa.array([1, 2, 3], pa.timestamp("ms")),
            "metadata": ['{"source": "a"}', '{"source": "b"}', '{"source": "b"}'],
        }
    )
    pq.write_table(table, source)
    fix_dataset(source, tmp_path / "out.parquet", config={}, dedupe=True)
    out = pq.read_table(tmp_path / "out.parquet")
    assert out.schema == table.schema
    assert out.num_rows == 2
    assert math.isnan(out.column("score")[0].as_py())
    assert out.column("prompt")[0].as_py() == "a question"
    assert out.column("metadata").to_pylist() == ['{"source": "a"}', '{"source": "b"}']
    removed = pq.read_table(tmp_path / "out.quarantine.parquet")
    assert removed.equals(table.slice(2, 1))


def test_a_parquet_file_with_a_corrupt_row_group_is_refused(tmp_path: Path):
    source = tmp_path / "in.parquet"
    table = pa.table({"prompt": ["p" * 200] * 50, "completion": [" c"] * 50})
    pq.write_table(table, source, row_group_size=10, compression="NONE")
    data = bytearray(source.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 400] = b"\xff" * 400
    source.write_bytes(bytes(data))
    result = run_cli("fix", str(source), "--output", str(tmp_path / "out.parquet"))
    assert result.returncode == 2, result.stderr
    assert str(source) in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet"]


def test_a_truncated_gzip_is_refused_with_nothing_written(tmp_path: Path):
    lines = (json.dumps(chat(f"q{i}", "a")).encode() + b"\n" for i in range(500))
    data = gzip.compress(b"".join(lines))
    source = tmp_path / "in.jsonl.gz"
    source.write_bytes(data[: len(data) // 2])
    result = run_cli("fix", str(source), "--output", str(tmp_path / "out.jsonl.gz"))
    assert result.returncode == 2
    assert "truncated or corrupt" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl.gz"]


def test_an_edited_crlf_row_keeps_crlf(tmp_path: Path):
    source = tmp_path / "in.jsonl"
    source.write_bytes(
        json.dumps(chat("a\u200bb", "c")).encode() + b"\r\n" + json.dumps(chat("d", "e")).encode()
    )
    fix_dataset(source, tmp_path / "out.jsonl", config={})
    first, second = (tmp_path / "out.jsonl").read_bytes().split(b"\r\n")
    assert b"\\u200b" not in first
    assert "\u200b".encode() not in first
    assert second == json.dumps(chat("d", "e")).encode()  # no newline added to the last line


# -- 4. outputs never replace inputs --------------------------------------------------------------


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    return _jsonl(tmp_path / "train.jsonl", [chat("q", "a"), chat("q2", "a2")])


@pytest.mark.parametrize(
    "flags",
    [
        ("--format", "json", "--output", "{data}"),
        ("--examples-out", "{csv}"),
        ("--output", "{link}"),
        ("--output", "{hard}"),
        ("--output", "{dotted}"),
    ],
)
def test_check_never_writes_over_an_input(dataset: Path, tmp_path: Path, flags: tuple[str, ...]):
    table = tmp_path / "data.csv"
    table.write_text("prompt,completion\nq, a\n")
    (tmp_path / "link.jsonl").symlink_to(dataset)
    os.link(dataset, tmp_path / "hard.jsonl")
    (tmp_path / "sub").mkdir()
    names = {
        "data": str(dataset),
        "csv": str(table),
        "link": str(tmp_path / "link.jsonl"),
        "hard": str(tmp_path / "hard.jsonl"),
        "dotted": str(tmp_path / "sub" / ".." / "train.jsonl"),
    }
    before = {path: path.read_bytes() for path in (dataset, table)}
    args = [arg.format(**names) for arg in flags]
    result = run_cli("check", str(dataset), str(table), *args)
    assert result.returncode == 2, result.stderr
    assert "refusing to write over the input" in result.stderr
    assert {path: path.read_bytes() for path in before} == before


@pytest.mark.parametrize("target", ["/dev/null", "{dir}"])
def test_outputs_refuse_devices_and_directories(dataset: Path, tmp_path: Path, target: str):
    name = target.format(dir=str(tmp_path))
    for command in (
        ["check", str(dataset), "--format", "json", "--output", name],
        ["fix", str(dataset), "--output", name],
    ):
        result = run_cli(*command)
        assert result.returncode == 2, result.stderr
        assert name in result.stderr
        assert "Traceback" not in result.stderr
    assert Path("/dev/null").is_char_device()


def _limited(size: int):
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return limit


def test_a_full_disk_leaves_no_partial_output(tmp_path: Path):
    rows = [chat(f"question {i} " + "x" * 2000, f"answer {i} \u200b") for i in range(2000)]
    source = _jsonl(tmp_path / "in.jsonl", rows)  # ~4 MB, every row edited
    selected = ["--select", "format,encoding"]  # the report has 2,000 findings: > 256 KiB
    for command, limit in (
        (["fix", str(source), "--output", str(tmp_path / "out.jsonl")], 1 << 20),
        (["check", str(source), *selected, "--format", "json", "--output", "r.json"], 1 << 18),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "ftqa", *command],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            preexec_fn=_limited(limit),
            timeout=300,
            check=False,
        )
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        assert "File too large" in result.stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_the_final_file_gets_the_umask_mode_not_0600(dataset: Path, tmp_path: Path):
    result = run_cli("fix", str(dataset), "--output", str(tmp_path / "out.jsonl"))
    assert result.returncode == 0, result.stderr
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "out.jsonl").stat().st_mode & 0o777 == 0o666 & ~mask


# -- 5/6. idempotent, and the file must not change between passes --------------------------------


def test_fixing_a_fixed_file_changes_nothing(tmp_path: Path):
    rows = [
        chat("question <|im_end|>", "answer"),  # removing the token leaves a space to trim
        chat("Hello   world", "ok"),
        chat("hello world\u200b", "ok"),  # a duplicate once the character is gone
    ]
    source = _jsonl(tmp_path / "in.jsonl", rows)
    options = {"config": {}, "dedupe": True, "unsafe": True}
    first = fix_dataset(source, tmp_path / "a.jsonl", **options)
    second = fix_dataset(tmp_path / "a.jsonl", tmp_path / "b.jsonl", **options)
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    assert (second.edits, second.rows_quarantined) == (0, 0)
    assert first.rounds == 2
    assert first.rows_quarantined == 1
    assert json.loads((tmp_path / "a.jsonl").read_text().splitlines()[0]) == chat(
        "question", "answer"
    )


def test_the_writer_refuses_a_file_that_changed_since_the_check(tmp_path: Path):
    source = _jsonl(tmp_path / "in.jsonl", [chat("q", "a"), chat("r", "b")])
    checked = ftqa.check(source, select=["format"], config={})
    source.write_text(source.read_text().replace('"q"', '"Q"'))  # same size, other bytes
    records = list(open_path(source).records())
    with pytest.raises(FtqaError, match="changed while ftqa was reading it"):
        _rewrite(source, records, tmp_path / "out.jsonl", checked.dataset)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def _rewrite(source: Path, records: list, target: Path, checked: ftqa.report.DatasetInfo) -> None:
    with ConservingWriter(
        str(source),
        "jsonl",
        {"output": target},
        "output",
        expected_sha256=checked.sha256,
        expected_rows=checked.rows,
    ) as writer:
        for record in records:
            writer.put(record, "output")
        writer.finish()


HOSTILE = """
import ftqa

class Hostile(ftqa.Checker):
    id = "hostile"
    summary = "Edits the dataset while it is being checked."
    rules = (ftqa.Rule("touch", ftqa.Severity.WARNING, "Touches the file.", "safe"),)

    def check_record(self, record):
        if record.row == 0:
            with open(record.file, "rb+") as handle:
                handle.write(b'"x"')
        return ()
"""


def test_fix_refuses_when_the_input_changes_between_passes(tmp_path: Path):
    site = installed_plugin(
        tmp_path, "hostile", "hostile = hostile_plugin:Hostile", "hostile_plugin", HOSTILE, "site"
    )
    source = _jsonl(tmp_path / "in.jsonl", [chat("q", "a"), chat("valid", "row")])
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = run_cli("fix", str(source), "--output", str(tmp_path / "out.jsonl"), env=env)
    assert result.returncode == 2, result.stderr
    assert "changed while ftqa" in result.stderr
    assert not (tmp_path / "out.jsonl").exists()
    assert not list(tmp_path.glob("*quarantine*"))


def test_quarantine_keeps_rows_exactly_as_written(tmp_path: Path):
    source = tmp_path / "in.jsonl"
    weird = b'{"messages": [\xff\xfe broken \x00'
    source.write_bytes(weird + b"\n" + json.dumps(chat("q", "a")).encode() + b"\n")
    summary = fix_dataset(source, tmp_path / "out.jsonl", config={}, unsafe=True)
    assert summary.rows_quarantined == 1
    assert (tmp_path / "out.quarantine.jsonl").read_bytes() == weird + b"\n"
    buffer = io.BytesIO((tmp_path / "out.jsonl").read_bytes())
    assert buffer.read().count(b"\n") == 1


def test_sigterm_during_fix_leaves_no_partial_output_and_no_temporary_files(tmp_path: Path):
    """A fix killed with SIGTERM mid-rewrite removes its work folder and writes nothing."""
    import signal
    import time

    data = tmp_path / "in" / "big.jsonl"
    data.parent.mkdir()
    row = json.dumps(chat("What is the capital of France? ", "Paris.  ")) + "\n"
    data.write_text(row * 150_000, encoding="utf-8")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "ftqa", "fix", str(data), "--output", str(out_dir / "clean.jsonl")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not any(out_dir.glob(".ftqa-fix-*/*")) and process.poll() is None:
            assert time.monotonic() < deadline, "fix never started writing"
            time.sleep(0.05)
        assert process.poll() is None, process.communicate()
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 143, stderr
    assert "terminated (SIGTERM)" in stderr
    assert list(out_dir.iterdir()) == []  # no output, quarantine, log or work folder
    assert data.read_text(encoding="utf-8") == row * 150_000
