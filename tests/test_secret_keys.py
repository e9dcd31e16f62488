"""Credentials and personal data outside string values (issues 12 and 13): a mapping key at any
depth, the earlier value of a repeated key (JSON keeps the last; the first is still in the file's
bytes), and a CSV/TSV header cell. Each is reported (masked, on the right line) by `check` and
removed by `fix --redact` from every file the fix writes.

Secrets are assembled at test time so that this file holds none.
"""

from __future__ import annotations

import csv
import io
import json
import random
import string
from pathlib import Path

import pytest

import ftqa
from conftest import run_cli
from ftqa.rewrite.fixer import fix_dataset

RNG = random.Random(1213)
TOKEN = "gh" + "p_" + "".join(RNG.choice(string.ascii_letters + string.digits) for _ in range(36))
OTHER = "gh" + "p_" + "".join(RNG.choice(string.ascii_letters + string.digits) for _ in range(36))
EMAIL = "jane.doe" + "@" + "acme-mail.com"
CHAT = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]


def _jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _cases(tmp_path: Path) -> dict[str, tuple[Path, int, str]]:
    """name -> (file, line of the finding, field)."""
    key = json.dumps({"messages": CHAT, "meta": {TOKEN: "x"}})
    repeated = f'{{"prompt": "a", "completion": "b", "k": "{TOKEN}", "k": "x"}}'
    clean = json.dumps({"prompt": "q", "completion": "r"})
    header = tmp_path / "header.csv"
    header.write_text(f"text,{TOKEN}\nhello,positive\nbye,negative\n", encoding="utf-8")
    return {
        "key": (_jsonl(tmp_path / "key.jsonl", [clean, key]), 2, "meta.<key>"),
        "repeated": (
            _jsonl(tmp_path / "repeated.jsonl", [clean, clean, repeated]),
            3,
            "k (earlier value of a repeated key)",
        ),
        "header": (header, 1, "header[column 2]"),
    }


def _all_bytes(*paths: Path) -> str:
    return "".join(path.read_bytes().decode("utf-8") for path in paths if path.exists())


@pytest.mark.parametrize("case", ["key", "repeated", "header"])
def test_check_reports_the_secret_masked_on_its_line(tmp_path, case):
    path, line, field = _cases(tmp_path)[case]
    result = run_cli("check", str(path), "--select", "secrets,pii", "--format", "json")
    assert result.returncode == 1, result.stderr
    assert TOKEN not in result.stdout + result.stderr
    assert TOKEN[4:12] not in result.stdout
    findings = json.loads(result.stdout)["findings"]
    assert [(f["rule"], f["line"], f["field"]) for f in findings] == [("api-key", line, field)]
    assert findings[0]["evidence"] == "ghp_…[redacted 36 chars]"
    # The header is no row; a key and a repeated value are in their row.
    assert (findings[0]["row"] is None) == (case == "header")
    terminal = run_cli("check", str(path), "--select", "secrets")
    assert TOKEN[4:12] not in terminal.stdout + terminal.stderr
    assert f"{path.name}:{line}" in terminal.stdout


@pytest.mark.parametrize("case", ["key", "repeated", "header"])
def test_fix_redact_leaves_the_secret_in_no_file(tmp_path, case):
    path, line, _ = _cases(tmp_path)[case]
    out = tmp_path / f"clean{path.suffix}"
    quarantine = tmp_path / f"removed{path.suffix}"
    log = tmp_path / "changes.log.jsonl"
    summary = fix_dataset(path, out, quarantine=quarantine, log=log, redact=True)
    assert summary.rows_in == summary.rows_out + summary.rows_quarantined
    assert summary.rows_in == ftqa.check(path, select=["format"]).dataset.rows
    written = _all_bytes(out, quarantine, log)
    assert TOKEN not in written
    assert TOKEN[4:12] not in written
    entries = [json.loads(entry) for entry in log.read_text().splitlines()]
    assert [(e["check"], e["rule"], e["action"], e["line"]) for e in entries] == [
        ("secrets", "api-key", "edit", line)
    ]
    assert entries[0]["reason"]
    assert entries[0]["before"]
    assert not ftqa.check(out, select=["secrets"]).findings
    if path.suffix == ".jsonl":
        rows = [json.loads(text) for text in out.read_text().splitlines()]
        assert len(rows) == summary.rows_out
        changed = rows[line - 1]
        if case == "key":
            assert changed["meta"] == {"<API_KEY>": "x"}
        else:
            assert changed == {"prompt": "a", "completion": "b", "k": "x"}
            assert "earlier value" in entries[0]["after"]
        untouched = path.read_text().splitlines()[0]
        assert out.read_text().splitlines()[0] == untouched
    else:
        table = list(csv.reader(io.StringIO(out.read_text())))
        assert table == [["text", "<API_KEY>"], ["hello", "positive"], ["bye", "negative"]]


def test_a_secret_header_in_a_quarantine_is_redacted_too(tmp_path):
    path = tmp_path / "labels.tsv"
    path.write_text(f"text\t{TOKEN}\nhello\tpositive\n\t\n", encoding="utf-8")
    out, quarantine = tmp_path / "clean.tsv", tmp_path / "removed.tsv"
    summary = fix_dataset(path, out, quarantine=quarantine, redact=True, unsafe=True)
    assert summary.rows_in == summary.rows_out + summary.rows_quarantined
    for written in (out, quarantine):
        assert written.read_text().splitlines()[0] == "text\t<API_KEY>"


def test_a_header_spanning_lines_is_refused_naming_file_and_line(tmp_path):
    path = tmp_path / "multi.csv"
    path.write_text(f'text,"{TOKEN}\nnote"\nhello,positive\n', encoding="utf-8")
    out = tmp_path / "clean.csv"
    result = run_cli("fix", str(path), "--output", str(out), "--redact")
    assert result.returncode == 2
    message = result.stderr.strip()
    assert f"{path}:1:" in message
    assert "header" in message
    assert "Traceback" not in message
    assert TOKEN[4:12] not in result.stdout + result.stderr
    assert not out.exists()
    assert not list(tmp_path.glob("clean*"))


def test_a_key_inside_tool_call_arguments_keeps_the_arguments_valid_json(tmp_path):
    arguments = json.dumps({"config": {TOKEN: "on", EMAIL: {"notify": True}}})
    call = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": arguments}}
    row = {
        "messages": [
            {"role": "user", "content": "deploy"},
            {"role": "assistant", "content": "", "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "call_1", "content": "done"},
            {"role": "assistant", "content": "Deployed."},
        ],
        # Arguments written as an object rather than a JSON string: its keys are keys.
        "tool_trace": {"arguments": {"auth": {OTHER: 1}}},
    }
    path = _jsonl(tmp_path / "tools.jsonl", [json.dumps(row)])
    report = ftqa.check(path, select=["secrets", "pii"])
    fields = sorted((f.rule, f.field) for f in report.findings)
    assert ("api-key", "messages[1].tool_calls[0].function.arguments") in fields
    assert ("email-address", "messages[1].tool_calls[0].function.arguments") in fields
    assert ("api-key", "tool_trace.arguments.auth.<key>") in fields
    out = tmp_path / "clean.jsonl"
    fix_dataset(path, out, redact=True)
    text = out.read_text()
    for value in (TOKEN, OTHER, EMAIL):
        assert value not in text
    fixed = json.loads(text)
    parsed = json.loads(fixed["messages"][1]["tool_calls"][0]["function"]["arguments"])
    # Two different tokens, two different placeholders (numbered in the order they are met).
    (token_name,) = [name for name in parsed["config"] if name.startswith("<API_KEY")]
    assert parsed["config"] == {token_name: "on", "<EMAIL>": {"notify": True}}
    (other_name,) = fixed["tool_trace"]["arguments"]["auth"]
    assert {token_name, other_name} == {"<API_KEY>", "<API_KEY_2>"}


def test_an_email_used_as_a_key_is_personal_data(tmp_path):
    row = {"prompt": "a", "completion": "b", "contacts": {EMAIL: {"since": 2021}}}
    path = _jsonl(tmp_path / "pii.jsonl", [json.dumps(row)])
    result = run_cli("check", str(path), "--select", "pii", "--format", "json")
    findings = json.loads(result.stdout)["findings"]
    assert [(f["rule"], f["line"], f["field"]) for f in findings] == [
        ("email-address", 1, "contacts.<key>")
    ]
    assert "jane.doe" not in result.stdout
    out = tmp_path / "clean.jsonl"
    fix_dataset(path, out, redact=True)
    assert json.loads(out.read_text())["contacts"] == {"<EMAIL>": {"since": 2021}}


def test_renamed_keys_never_collide_with_keys_already_there(tmp_path):
    row = {"prompt": "a", "completion": "b", "meta": {TOKEN: 1, "<API_KEY>": 2, OTHER: 3}}
    path = _jsonl(tmp_path / "collide.jsonl", [json.dumps(row)])
    out = tmp_path / "clean.jsonl"
    fix_dataset(path, out, redact=True)
    meta = json.loads(out.read_text())["meta"]
    assert sorted(meta.values()) == [1, 2, 3]
    assert meta["<API_KEY>"] == 2
    assert TOKEN not in meta
    assert OTHER not in meta


def test_ordinary_keys_are_not_secrets_or_personal_data(tmp_path):
    digest = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    row = {
        "prompt": "a",
        "completion": "b",
        "session_id": "s-1",
        "input": "x",
        "sha256": digest,
        "meta": {
            "550e8400-e29b-41d4-a716-446655440000": 1,
            digest: "file",
            "4155552671": "numeric id",
            "4111111111111111": "numeric id",
            "apiKeyName": "default",
            "password_hint": "ask admin",
        },
    }
    path = _jsonl(tmp_path / "ordinary.jsonl", [json.dumps(row)])
    header = tmp_path / "ordinary.csv"
    header.write_text(f"session_id,input,sha256,{digest}\n1,x,y,z\n", encoding="utf-8")
    for checked in (path, header):
        assert ftqa.check(checked, select=["secrets", "pii"]).findings == []


def test_a_header_after_an_unreadable_first_line_is_redacted_on_its_own_line(tmp_path):
    # A lone carriage return makes line 1 unreadable: the loader takes line 2 as the header.
    path = tmp_path / "shifted.tsv"
    path.write_bytes(f"\rprompt\tcompletion\ntext\t{TOKEN}\nhello\tpositive\n".encode())
    report = ftqa.check(path, select=["secrets"])
    assert [(f.line, f.field) for f in report.findings] == [(2, "header[column 2]")]
    out = tmp_path / "clean.tsv"
    summary = fix_dataset(path, out, redact=True)
    assert summary.rows_in == summary.rows_out == 1
    assert out.read_bytes() == b"\rprompt\tcompletion\ntext\t<API_KEY>\nhello\tpositive\n"
