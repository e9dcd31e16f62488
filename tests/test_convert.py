"""`ftqa convert`: every row is converted or quarantined as written, converted rows read back as
the same record, and the CLI's exit codes (0 all converted, 1 some quarantined, 2 refused)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ftqa
from conftest import run_cli
from ftqa.errors import FtqaError
from ftqa.load import open_path
from ftqa.normalize import Normalizer
from ftqa.records import Record
from ftqa.rewrite.convert import NOT_THE_SAME, UNDETECTED, UNREADABLE_ROW, convert_dataset
from test_layouts import LAYOUTS, REAL


def _rows(path: Path) -> list[Record]:
    normalizer = Normalizer()
    return [normalizer.normalize(r) for r in open_path(path).records() if r.row >= 0]


def _turns(messages):
    return [
        (
            m.role,
            m.content,
            tuple((c.name, json.loads(c.arguments or "null")) for c in m.tool_calls),
        )
        for m in messages or []
    ]


def _shape(record: Record) -> tuple:
    return (
        _turns(record.messages),
        _turns(record.chosen),
        _turns(record.rejected),
        record.label,
    )


def _log(path: Path) -> list[dict]:
    """The quarantined rows' entries of a convert log."""
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    return [entry for entry in entries if entry["action"] == "quarantined"]


def _format_errors(path: Path) -> list[str]:
    report = ftqa.check(path, select=["format"], ignore=["format/too-few-examples"])
    return [f"{f.rule}: {f.message}" for f in report.findings if f.severity.value == "error"]


CASES = [
    (name, fmt, to) for name, (fmt, _) in LAYOUTS.items() for to in dict.fromkeys([fmt, "chat"])
]


@pytest.mark.parametrize(("name", "fmt", "to"), CASES, ids=[f"{n}->{t}" for n, _, t in CASES])
def test_public_slice_converts_or_quarantines_every_row(tmp_path, name, fmt, to):
    source = REAL / name
    output = tmp_path / "out.jsonl"
    summary = convert_dataset(source, output, to)
    originals = _rows(source)
    # (a) every row is in exactly one place
    assert summary.rows_in == len(originals)
    assert summary.rows_in == summary.rows_converted + summary.rows_quarantined
    assert sum(summary.by_reason.values()) == summary.rows_quarantined
    if to == fmt:
        assert summary.rows_quarantined == 0, summary.by_reason  # its own layout is lossless
    converted = _rows(output)
    assert len(converted) == summary.rows_converted
    # (b) the output is read as the target layout, with no format errors
    if converted:
        report = ftqa.check(output, select=["format"], ignore=["format/too-few-examples"])
        assert report.dataset.format == to
        assert _format_errors(output) == []
    # (c) the quarantine holds the input's own rows, those the reason log names
    log = _log(Path(summary.log))
    assert len(log) == summary.rows_quarantined
    quarantined = [r.raw for r in open_path(summary.quarantine).records() if r.row >= 0]
    assert quarantined == [originals[entry["row"]].raw for entry in log]
    kept = [r for r in originals if r.row not in {entry["row"] for entry in log}]
    assert [_shape(r) for r in converted] == [_shape(r) for r in kept]
    # (d) converting back to the original layout gives the same conversation
    if converted and fmt != "text":
        back = tmp_path / "back.jsonl"
        again = convert_dataset(output, back, fmt)
        assert again.rows_quarantined == 0, again.by_reason
        assert [_shape(r) for r in _rows(back)] == [_shape(r) for r in kept]


def test_rendered_text_converts_to_its_turns(tmp_path):
    summary = convert_dataset(REAL / "chatml-text.jsonl", tmp_path / "chat.jsonl", "chat")
    assert summary.rows_quarantined == 0
    originals = _rows(REAL / "chatml-text.jsonl")
    assert [_shape(r) for r in _rows(tmp_path / "chat.jsonl")] == [_shape(r) for r in originals]


MULTI_TURN = {
    "messages": [
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": "b"},
        {"role": "user", "content": "c"},
        {"role": "assistant", "content": "d"},
    ]
}
SINGLE = {"messages": [{"role": "user", "content": "é?"}, {"role": "assistant", "content": "ok"}]}


def _jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), "utf-8")
    return path


def test_multi_turn_chat_to_completion_is_quarantined_with_its_reason(tmp_path):
    source = _jsonl(tmp_path / "in.jsonl", [SINGLE, MULTI_TURN, SINGLE])
    summary = convert_dataset(source, tmp_path / "out.jsonl", "completion")
    assert (summary.rows_in, summary.rows_converted, summary.rows_quarantined) == (3, 2, 1)
    assert summary.quarantine == str(tmp_path / "out.quarantine.jsonl")
    assert Path(summary.quarantine).read_bytes() == source.read_bytes().splitlines(True)[1]
    [entry] = _log(tmp_path / "out.convert.log.jsonl")
    assert (entry["row"], entry["line"]) == (1, 2)
    assert "no join rule" in entry["reason"]
    out = (tmp_path / "out.jsonl").read_bytes()
    assert out == '{"prompt":"é?","completion":"ok"}\n'.encode() * 2  # UTF-8, keys in order


def test_unreadable_and_undetected_rows_are_quarantined_as_written(tmp_path):
    source = tmp_path / "in.jsonl"
    lines = [json.dumps(SINGLE), '{"messages": [', "", '{"foo": 1}', json.dumps(SINGLE)]
    source.write_text("\n".join(lines) + "\n")
    summary = convert_dataset(source, tmp_path / "out.jsonl", "sharegpt")
    assert (summary.rows_in, summary.rows_converted, summary.rows_quarantined) == (4, 2, 2)
    assert summary.by_reason == {UNREADABLE_ROW: 1, UNDETECTED: 1}
    assert Path(summary.quarantine).read_text() == f"{lines[1]}\n{lines[3]}\n"
    assert [e["line"] for e in _log(Path(summary.log))] == [2, 4]


def test_a_row_that_would_read_back_differently_is_quarantined(tmp_path):
    # KTO's desirable/undesirable label has no place in chat: the read-back comparison sees it.
    summary = convert_dataset(REAL / "trl-unpaired-preference.jsonl", tmp_path / "o.jsonl", "chat")
    assert summary.by_reason == {NOT_THE_SAME: 2}
    assert {e["detail"] for e in _log(Path(summary.log))} == {"the labels differ"}


def test_tool_definitions_travel_between_sharegpt_and_chat(tmp_path):
    source = REAL / "llamafactory" / "glaive_toolcall_zh_demo.json"
    chat = convert_dataset(source, tmp_path / "chat.jsonl", "chat")
    assert chat.rows_quarantined == 0
    row = json.loads((tmp_path / "chat.jsonl").read_text().splitlines()[0])
    assert row["tools"][0]["type"] == "function"
    assert [r.tools for r in _rows(tmp_path / "chat.jsonl")] == [r.tools for r in _rows(source)]
    alpaca = convert_dataset(source, tmp_path / "alpaca.jsonl", "alpaca")
    assert alpaca.by_reason == {NOT_THE_SAME: 3}  # Alpaca has no place for the tools


def test_output_over_the_input_is_refused(tmp_path):
    source = _jsonl(tmp_path / "in.jsonl", [SINGLE])
    before = source.read_bytes()
    with pytest.raises(FtqaError, match="refusing to write over the input"):
        convert_dataset(source, source, "chat")
    result = run_cli("convert", str(source), "--to", "chat", "-o", str(source))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert str(source) in result.stderr
    assert "Traceback" not in result.stderr
    assert source.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]  # no temporary files


def test_csv_input(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text('prompt,completion\nhi,hello\n"a, b","c\nd"\n')
    summary = convert_dataset(source, tmp_path / "out.jsonl", "chat")
    assert (summary.rows_converted, summary.rows_quarantined) == (2, 0)
    assert summary.quarantine.endswith("out.quarantine.csv")
    assert Path(summary.quarantine).read_text() == "prompt,completion\n"
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert rows[1]["messages"][1] == {"role": "assistant", "content": "c\nd"}


def test_parquet_input(tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    source = tmp_path / "in.parquet"
    pd.DataFrame({"prompt": ["p1", "p2"], "completion": ["c1", "c2"]}).to_parquet(source)
    summary = convert_dataset(source, tmp_path / "out.jsonl.gz", "question_answer")
    assert (summary.rows_converted, summary.rows_quarantined) == (2, 0)
    assert _rows(tmp_path / "out.jsonl.gz")[1].messages[1].content == "c2"
    refused = convert_dataset(source, tmp_path / "text.jsonl", "text")
    assert refused.rows_quarantined == 2
    back = pd.read_parquet(refused.quarantine)
    assert back.to_dict("records") == [
        {"prompt": "p1", "completion": "c1"},
        {"prompt": "p2", "completion": "c2"},
    ]


def test_cli_exit_codes_and_summary(tmp_path):
    source = _jsonl(tmp_path / "in.jsonl", [SINGLE, MULTI_TURN])
    ok = run_cli("convert", str(source), "--to", "sharegpt", "-o", str(tmp_path / "a.jsonl"))
    assert ok.returncode == 0, ok.stderr
    assert "2 rows in (chat 2)" in ok.stdout
    assert "2 converted to sharegpt" in ok.stdout
    some = run_cli("convert", str(source), "--to", "completion", "-o", str(tmp_path / "b.jsonl"))
    assert some.returncode == 1, some.stderr
    assert "1 quarantined" in some.stdout
    assert "no join rule" in some.stdout
    default = run_cli("convert", str(source), "--to", "alpaca", "--quiet", "--no-config")
    assert (default.returncode, default.stdout) == (0, "")
    assert (tmp_path / "in.alpaca.jsonl").exists()
    for args in (["--to", "nope"], ["--to", "chat", "-o", str(tmp_path / "x.csv")]):
        bad = run_cli("convert", str(source), *args)
        assert bad.returncode == 2
        assert "Traceback" not in bad.stderr
        assert bad.stderr.startswith("ftqa: error: ")
        assert bad.stderr.count("\n") == 1
    missing = run_cli("convert", str(tmp_path / "missing.jsonl"), "--to", "chat")
    assert missing.returncode == 2
    assert "missing.jsonl" in missing.stderr


text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(
    lambda s: s.strip() == s
)


@settings(max_examples=15, deadline=None)
@given(
    conversations=st.lists(
        st.tuples(
            st.one_of(st.none(), text), st.lists(st.tuples(text, text), min_size=1, max_size=3)
        ),
        min_size=1,
        max_size=4,
    )
)
def test_chat_sharegpt_alpaca_round_trip(conversations):
    rows = []
    for system, turns in conversations:
        messages = [{"role": "system", "content": system}] if system else []
        for question, answer in turns:
            messages += [
                {"role": "user", "content": question},
                {"role": "assistant", "content": answer},
            ]
        rows.append({"messages": messages})
    with tempfile.TemporaryDirectory() as work:
        current = _jsonl(Path(work) / "chat.jsonl", rows)
        for step, to in enumerate(["sharegpt", "alpaca", "chat", "alpaca", "sharegpt", "chat"]):
            summary = convert_dataset(current, Path(work) / f"{step}.{to}.jsonl", to)
            assert summary.rows_quarantined == 0, summary.by_reason
            current = Path(summary.output)
        assert current.read_text("utf-8") == "".join(
            json.dumps({"messages": r["messages"]}, ensure_ascii=False, separators=(",", ":"))
            + "\n"
            for r in rows
        )


def test_calls_and_results_paired_by_position_get_ids_in_chat(tmp_path: Path):
    """LLaMA-Factory's content-part layout pairs tool calls and results by position, without
    ids: in chat each call gets a unique id and its result answers it, so no row is lost."""
    precision = Path(__file__).parent / "data" / "precision"
    source = precision / "llamafactory_reason_tool_use_demo.jsonl"
    out = tmp_path / "chat.jsonl"
    summary = convert_dataset(source, out, "chat")
    assert summary.rows_quarantined == 0
    assert summary.rows_converted == summary.rows_in == len(_rows(source))
    report = ftqa.check(out, select=["format"])
    rules = set(report.stats["findings_by_rule"])
    assert not rules & {"format/duplicate-tool-call-id", "format/orphan-tool-message"}
    for line in out.read_text(encoding="utf-8").splitlines():
        messages = json.loads(line)["messages"]
        ids = [call["id"] for m in messages for call in m.get("tool_calls", [])]
        assert len(ids) == len(set(ids))
        answered = [m["tool_call_id"] for m in messages if m["role"] == "tool"]
        assert set(answered) <= set(ids)


def test_the_log_maps_every_output_line_to_its_source_line(tmp_path: Path):
    source = tmp_path / "in.jsonl"
    rows = [
        {"prompt": "Capital of France?", "completion": "Paris."},
        {
            "messages": [
                {"role": "user", "content": "a"},
                {"role": "assistant", "content": "b"},
                {"role": "user", "content": "c"},
                {"role": "assistant", "content": "d"},
            ]
        },
        {"prompt": "Two plus two?", "completion": "Four."},
    ]
    source.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    summary = convert_dataset(source, tmp_path / "out.jsonl", "question_answer")
    entries = [json.loads(line) for line in Path(summary.log).read_text().splitlines()]
    converted = [(e["output_line"], e["line"]) for e in entries if e["action"] == "converted"]
    assert converted == [(1, 1), (2, 3)]
    assert [e["line"] for e in entries if e["action"] == "quarantined"] == [2]


def test_trl_writes_each_record_in_its_conversational_shape(tmp_path: Path):
    source = tmp_path / "in.jsonl"
    rows = [
        {
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Capital of France?"},
                {"role": "assistant", "content": "Paris."},
            ]
        },
        {"prompt": "Pick one", "chosen": "A", "rejected": "B"},
    ]
    source.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    out = tmp_path / "trl.jsonl"
    summary = convert_dataset(source, out, "trl")
    assert (summary.rows_converted, summary.rows_quarantined) == (2, 0)
    first, second = (json.loads(line) for line in out.read_text().splitlines())
    assert [m["role"] for m in first["prompt"]] == ["system", "user"]
    assert first["completion"] == [{"role": "assistant", "content": "Paris."}]
    assert set(second) == {"prompt", "chosen", "rejected"}
    back = convert_dataset(out, tmp_path / "chat.jsonl", "chat")
    assert back.rows_converted == 1  # the pair is no single conversation: quarantined
