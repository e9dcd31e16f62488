"""Public datasets in every layout ftqa reads, checked as published (tests/data/formats-real/)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import ftqa
from ftqa.formats import FORMATS

REAL = Path(__file__).resolve().parent / "data" / "formats-real"

# file -> (format, mapping note or None)
LAYOUTS = {
    "mlx-lora-text.jsonl": ("text", None),
    "chatml-text.jsonl": ("text", None),
    "minimind-conversations.jsonl": ("chat", "messages=conversations (an alias ftqa knows)"),
    "hh-rlhf-helpful-base.jsonl": ("hh_rlhf", None),
    "trl-conversational-prompt-completion.jsonl": ("completion", None),
    "trl-conversational-preference.jsonl": ("preference", None),
    "trl-unpaired-preference.jsonl": ("kto", None),
    "dolly-15k.jsonl": ("dolly", None),
    "gsm8k-train.jsonl": ("question_answer", None),
    "sst2-train.jsonl": ("classification", "text=sentence (an alias ftqa knows)"),
    "llamafactory/alpaca_zh_demo.json": ("alpaca", None),
    "llamafactory/dpo_zh_demo.json": ("sharegpt", None),
    "llamafactory/glaive_toolcall_zh_demo.json": ("sharegpt", None),
    "llamafactory/kto_en_demo.json": ("kto", None),
}


def _check(path: Path, **options: object) -> ftqa.Report:
    return ftqa.check(path, select=["format"], ignore=["format/too-few-examples"], **options)


@pytest.mark.parametrize(("name", "expected"), LAYOUTS.items(), ids=list(LAYOUTS))
def test_public_file_is_read_without_conversion(name, expected):
    fmt, note = expected
    report = _check(REAL / name)
    assert report.dataset.format == fmt
    assert report.stats["formats"] == {fmt: report.dataset.rows}
    problems = [f for f in report.findings if f.rule != "field-mapping"]
    assert problems == [], [f.message for f in problems]
    notes = [f.message for f in report.findings if f.rule == "field-mapping"]
    if note is None:
        assert notes == []
    else:
        assert notes == [f"{report.dataset.rows} rows read with the mapping {note}"]


def test_every_layout_has_a_public_file():
    tried = {fmt for fmt, _ in LAYOUTS.values()}
    assert tried >= set(FORMATS) - {"openai_preference"}


def test_minimind_extra_message_keys_are_reported_under_their_own_names():
    report = _check(REAL / "minimind-sft-smoke.jsonl")
    fields = {f.field for f in report.findings if f.rule == "unexpected-key"}
    assert fields == {"conversations[0].tools", "conversations[1].tools"} | {
        "conversations[0].reasoning_content",
        "conversations[1].reasoning_content",
    }
    assert all(
        "`conversations[" in f.message for f in report.findings if f.rule == "unexpected-key"
    )


def _records(path: Path) -> list[ftqa.records.Record]:
    from ftqa.load import open_path
    from ftqa.normalize import Normalizer

    normalizer = Normalizer()
    return [normalizer.normalize(record) for record in open_path(path).records() if record.row >= 0]


def test_rendered_chatml_text_is_split_into_turns():
    record = _records(REAL / "chatml-text.jsonl")[0]
    assert record.template == "chatml"
    assert [message.role for message in record.messages] == ["system", "user", "assistant"]
    assert record.messages[1].content == "飛天豬是什麼"
    assert record.text is not None
    assert record.text.startswith("<|im_start|>system")


def test_plain_text_is_not_taken_for_a_chat():
    record = _records(REAL / "mlx-lora-text.jsonl")[0]
    assert record.template is None
    assert record.messages == []


def test_hh_rlhf_shared_turns_are_the_prompt_and_only_final_replies_compared():
    record = _records(REAL / "hh-rlhf-helpful-base.jsonl")[0]
    assert [m.role for m in record.messages] == ["user", "assistant", "user"]
    assert record.chosen is not None
    assert record.rejected is not None
    assert [m.role for m in record.chosen] == ["assistant"]
    assert record.chosen[0].content.startswith("A horseshoe is usually made out of metal")
    assert record.rejected[0].content.startswith("Horseshoes are either metal or plastic")


def test_kto_label_is_kept_as_the_record_label():
    labels = [record.label for record in _records(REAL / "trl-unpaired-preference.jsonl")]
    assert labels == ["true", "false"]


def test_llamafactory_role_content_tags_come_from_dataset_info(tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(REAL / "llamafactory", folder)
    info = json.loads((folder / "dataset_info.json").read_text())
    info["kto_en_demo"]["tags"] = {
        "role_tag": "speaker",
        "content_tag": "text",
        "user_tag": "client",
        "assistant_tag": "bot",
    }
    (folder / "dataset_info.json").write_text(json.dumps(info))
    rows = json.loads((folder / "kto_en_demo.json").read_text())
    for row in rows:
        row["messages"] = [
            {"speaker": {"user": "client", "assistant": "bot"}[m["role"]], "text": m["content"]}
            for m in row["messages"]
        ]
    (folder / "kto_en_demo.json").write_text(json.dumps(rows))
    report = _check(folder / "kto_en_demo.json")
    assert report.dataset.format == "kto"
    assert [f.rule for f in report.findings] == ["field-mapping"]
    assert "dataset_info.json entry `kto_en_demo`" in report.findings[0].message
    assert "role-key=speaker" in report.findings[0].message


def test_without_dataset_info_the_same_file_is_unreadable(tmp_path):
    source = json.loads((REAL / "llamafactory" / "kto_en_demo.json").read_text())
    for row in source:
        row["dialogue"] = row.pop("messages")
    path = tmp_path / "kto.json"
    path.write_text(json.dumps(source))
    report = _check(path)
    assert [f.rule for f in report.findings] == ["undetectable-format"]
    assert "try --map messages=dialogue" in report.findings[0].message
