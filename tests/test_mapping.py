"""Field mapping: --map, the `map` setting, map= in the API, and how findings point back."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import ftqa
from ftqa.errors import ConfigError
from ftqa.formats.mapping import FieldMap, MappingError, map_table, parse_map


def _write(path, rows):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_parse_map_reads_fields_nested_keys_and_role_aliases():
    mapping = parse_map(
        "messages=dialog, role-key=speaker,content-key=utterance,"
        "role.assistant=bot,role.user=client"
    )
    assert mapping.fields == (("messages", "dialog"),)
    assert (mapping.role_key, mapping.content_key) == ("speaker", "utterance")
    assert dict(mapping.roles) == {"bot": "assistant", "client": "user"}
    assert mapping.describe() == (
        "messages=dialog,role-key=speaker,content-key=utterance,role.assistant=bot,role.user=client"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("prompt", "must be FIELD=KEY"),
        ("prompt=", "needs a name on both sides"),
        ("role.wizard=bot", "names no role"),
        ("prompt=a,prompt=b", "mapped twice"),
        ("pro mpt=a", "not a field name"),
    ],
)
def test_bad_map_entries_are_config_errors(text, message):
    with pytest.raises(MappingError, match=message):
        parse_map(text)
    assert issubclass(MappingError, ConfigError)


def test_map_table_keeps_repeated_role_aliases():
    assert map_table("role.assistant=bot,role.assistant=gpt4") == {
        "role.assistant": ["bot", "gpt4"]
    }


def test_view_renames_without_touching_the_row_and_paths_point_back():
    mapping = parse_map("messages=dialog,role-key=speaker,content-key=utterance,role.assistant=bot")
    raw = {
        "dialog": [{"speaker": "user", "utterance": "hi"}, {"speaker": "bot", "utterance": "yo"}]
    }
    view = mapping.view(raw)
    assert view == {
        "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]
    }
    assert raw["dialog"][1] == {"speaker": "bot", "utterance": "yo"}
    assert mapping.source_field("messages[1].content") == "dialog[1].utterance"
    assert mapping.source_field("messages[0].role") == "dialog[0].speaker"
    assert FieldMap().source_field("messages[0].role") == "messages[0].role"


def test_api_map_reads_the_file_and_findings_name_the_keys_as_written(tmp_path):
    path = _write(
        tmp_path / "train.jsonl",
        [
            {
                "dialog": [
                    {"speaker": "user", "utterance": "hi"},
                    {"speaker": "bot", "utterance": ""},
                ]
            },
            {
                "dialog": [
                    {"speaker": "user", "utterance": "2+2?"},
                    {"speaker": "bot", "utterance": "4"},
                ]
            },
        ],
    )
    report = ftqa.check(
        path,
        select=["format"],
        map={
            "messages": "dialog",
            "role-key": "speaker",
            "content-key": "utterance",
            "role.assistant": "bot",
        },
    )
    assert report.dataset.format == "chat"
    empty = [f for f in report.findings if f.rule == "empty-content"]
    assert [(f.line, f.field) for f in empty] == [(1, "dialog[1].utterance")]
    assert "`dialog[1].utterance`" in empty[0].message
    note = next(f for f in report.findings if f.rule == "field-mapping")
    assert note.message.endswith("(your mapping)")


def test_map_in_the_configuration_file(tmp_path):
    path = _write(tmp_path / "train.jsonl", [{"question": "q?", "reply": "a"}] * 3)
    (tmp_path / "ftqa.toml").write_text(
        'map = { prompt = "question", completion = "reply" }\n', encoding="utf-8"
    )
    report = ftqa.check(path, select=["format"])
    assert report.dataset.format == "completion"
    assert not [f for f in report.findings if f.severity == "error"]


def test_bad_map_in_the_configuration_names_the_file(tmp_path):
    path = _write(tmp_path / "train.jsonl", [{"question": "q?", "reply": "a"}])
    (tmp_path / "ftqa.toml").write_text('map = { "role.wizard" = "x" }\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"ftqa\.toml: map: `role\.wizard` names no role"):
        ftqa.check(path, select=["format"])


def test_cli_map_and_a_bad_map_exit_2(tmp_path):
    path = _write(tmp_path / "train.jsonl", [{"q": "a?", "a": "b"}] * 2)
    run = [sys.executable, "-m", "ftqa", "check", str(path), "--select", "format", "--quiet"]
    good = subprocess.run([*run, "--map", "prompt=q,completion=a"], capture_output=True, text=True)
    assert good.returncode == 0, good.stdout + good.stderr
    bad = subprocess.run([*run, "--map", "prompt"], capture_output=True, text=True)
    assert bad.returncode == 2
    assert (
        bad.stderr.strip() == "ftqa: error: map: `prompt` must be FIELD=KEY (e.g. prompt=question)"
    )
