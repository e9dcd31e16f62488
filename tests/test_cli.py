"""The command-line and Python API contract of DESIGN.md, exercised as a user would.

Every CLI test runs `python -m ftqa` in a subprocess (exit codes, stdout and stderr are the
contract); the API tests call `ftqa.check` / `ftqa.require_clean` in-process.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

import ftqa
from conftest import ROOT, run_cli
from ftqa.formats import FORMATS
from ftqa.registry import checkers

# --------------------------------------------------------------------------- helpers


def chat_row(question: str, answer: str) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "system", "content": "You are a helpful support agent."},
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ]
    }


CLEAN_ROWS = [
    chat_row(f"How do I reset password number {i}?", f"Open settings and choose reset ({i}).")
    for i in range(12)
]
# Clean rows, but too few of them: `format/too-few-examples` is a warning, nothing else.
FEW_ROWS = CLEAN_ROWS[:3]
# Line 2 has no assistant message (error), line 4 is not JSON (error), line 5 has empty
# content and an unexpected key.
BAD_LINES = [
    json.dumps(CLEAN_ROWS[0]),
    json.dumps({"messages": [{"role": "user", "content": "hello?"}]}),
    json.dumps(CLEAN_ROWS[1]),
    '{"messages": [',
    json.dumps(
        {
            "messages": [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": "   "},
            ],
            "surprise": 1,
        }
    ),
    *(json.dumps(row) for row in CLEAN_ROWS[2:10]),
]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def write_lines(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def check_json(*args: str, cwd: Path, expect: int | None = None) -> dict[str, Any]:
    result = run_cli("check", *args, "--format", "json", cwd=cwd)
    if expect is not None:
        assert result.returncode == expect, result.stderr
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def rules_of(report: dict[str, Any]) -> set[str]:
    return {f"{f['check']}/{f['rule']}" for f in report["findings"]}


@pytest.fixture
def clean(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "data" / "clean.jsonl", CLEAN_ROWS)


@pytest.fixture
def few(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "data" / "few.jsonl", FEW_ROWS)


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    return write_lines(tmp_path / "data" / "bad.jsonl", BAD_LINES)


@pytest.fixture(scope="module")
def report_validator() -> Draft202012Validator:
    result = run_cli("schema", "report")
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


# --------------------------------------------------------------------------- exit codes


def test_clean_file_exits_0_with_nothing_on_stderr(clean: Path, tmp_path: Path):
    result = run_cli("check", str(clean), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    assert "clean.jsonl" in result.stdout


def test_errors_exit_1_and_name_file_and_line(bad: Path, tmp_path: Path):
    result = run_cli("check", str(bad), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "bad.jsonl:2" in result.stdout
    assert "bad.jsonl:4" in result.stdout
    assert "missing-assistant-message" in result.stdout
    assert "invalid-json" in result.stdout


def test_warnings_only_pass_by_default_and_fail_with_fail_on_warning(few: Path, tmp_path: Path):
    report = check_json(str(few), cwd=tmp_path, expect=0)
    assert report["summary"]["errors"] == 0
    assert report["summary"]["warnings"] >= 1
    assert report["summary"]["passed"] is True

    result = run_cli("check", str(few), "--fail-on", "warning", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    report = check_json(str(few), "--fail-on", "warning", cwd=tmp_path, expect=1)
    assert report["summary"]["passed"] is False
    assert report["summary"]["fail_on"] == "warning"


def test_fail_on_error_ignores_infos_and_warnings(few: Path, tmp_path: Path):
    assert run_cli("check", str(few), "--fail-on", "error", cwd=tmp_path).returncode == 0
    assert run_cli("check", str(few), "--fail-on", "info", cwd=tmp_path).returncode == 1


def test_missing_file_is_exit_2_one_line_naming_the_path(tmp_path: Path):
    missing = tmp_path / "nope.jsonl"
    result = run_cli("check", str(missing), cwd=tmp_path)
    assert result.returncode == 2
    assert str(missing) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_directory_is_exit_2(tmp_path: Path):
    result = run_cli("check", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2
    assert str(tmp_path) in result.stderr
    assert "Traceback" not in result.stderr


# --------------------------------------------------------------------------- select / ignore


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ((), {"format/missing-assistant-message", "format/invalid-json", "format/empty-content"}),
        (("--select", "format"), {"format/missing-assistant-message", "format/invalid-json"}),
        (("--select", "missing-assistant-message"), {"format/missing-assistant-message"}),
        (("--select", "format/invalid-json"), {"format/invalid-json"}),
        (
            ("--select", "format/invalid-json,missing-assistant-message"),
            {"format/invalid-json", "format/missing-assistant-message"},
        ),
    ],
)
def test_select_keeps_only_the_selected_rules(
    bad: Path, tmp_path: Path, flags: tuple[str, ...], expected: set[str]
):
    report = check_json(str(bad), *flags, cwd=tmp_path)
    found = rules_of(report)
    assert expected <= found
    if flags:
        selected = {item for flag in flags[1:] for item in flag.split(",")}
        for rule in found:
            check, slug = rule.split("/")
            assert check in selected or slug in selected or rule in selected, rule


@pytest.mark.parametrize(
    "selector", ["invalid-json", "format/invalid-json"], ids=["rule", "check/rule"]
)
def test_ignore_a_rule(bad: Path, tmp_path: Path, selector: str):
    report = check_json(str(bad), "--ignore", selector, cwd=tmp_path, expect=1)
    found = rules_of(report)
    assert "format/invalid-json" not in found
    assert "format/missing-assistant-message" in found


def test_ignore_a_whole_check(bad: Path, tmp_path: Path):
    report = check_json(str(bad), "--ignore", "format", cwd=tmp_path, expect=None)
    assert [f for f in report["findings"] if f["check"] == "format"] == []
    statuses = {run["id"]: run["status"] for run in report["checks"]}
    assert statuses["format"] == "skipped"


def test_ignore_the_only_warning_makes_warnings_only_file_pass_fail_on_warning(
    few: Path, tmp_path: Path
):
    args = ("--fail-on", "warning", "--select", "format", "--ignore", "too-few-examples")
    report = check_json(str(few), *args, cwd=tmp_path, expect=0)
    assert report["summary"]["warnings"] == 0


@pytest.mark.parametrize("flag", ["--select", "--ignore"])
@pytest.mark.parametrize("selector", ["no-such-rule", "format/no-such-rule", "nochecker"])
def test_unknown_selector_is_exit_2_naming_it(
    clean: Path, tmp_path: Path, flag: str, selector: str
):
    result = run_cli("check", str(clean), flag, selector, cwd=tmp_path)
    assert result.returncode == 2
    assert selector in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


# --------------------------------------------------------------------------- output formats


def test_json_report_validates_against_published_schema(
    bad: Path, clean: Path, tmp_path: Path, report_validator: Draft202012Validator
):
    for path, code in ((bad, 1), (clean, 0)):
        report = check_json(str(path), cwd=tmp_path, expect=code)
        errors = sorted(report_validator.iter_errors(report), key=str)
        assert errors == [], errors[0].message if errors else ""
        for key in ("ftqa_version", "schema_version", "dataset", "summary", "findings", "checks"):
            assert key in report
        assert report["ftqa_version"] == ftqa.__version__
        for key in ("path", "sha256", "rows", "format", "bytes"):
            assert key in report["dataset"]
        for key in ("errors", "warnings", "infos", "passed"):
            assert key in report["summary"]


def test_json_report_with_validation_validates(
    bad: Path, clean: Path, tmp_path: Path, report_validator: Draft202012Validator
):
    report = check_json(str(clean), "--validation", str(bad), cwd=tmp_path, expect=1)
    assert list(report_validator.iter_errors(report)) == []


def test_finding_fields(bad: Path, tmp_path: Path):
    report = check_json(str(bad), cwd=tmp_path, expect=1)
    missing = [f for f in report["findings"] if f["rule"] == "missing-assistant-message"]
    assert len(missing) == 1
    finding = missing[0]
    assert finding["check"] == "format"
    assert finding["severity"] == "error"
    assert finding["line"] == 2
    assert finding["row"] == 1
    assert finding["file"] == str(bad)
    assert finding["message"]


def test_markdown_output(bad: Path, tmp_path: Path):
    result = run_cli("check", str(bad), "--format", "markdown", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "missing-assistant-message" in result.stdout
    assert "bad.jsonl" in result.stdout
    assert result.stdout.lstrip().startswith(("#", "|", "*", "<", "ftqa", "**"))


def test_html_output(bad: Path, tmp_path: Path):
    result = run_cli("check", str(bad), "--format", "html", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "<html" in result.stdout.lower()
    assert "missing-assistant-message" in result.stdout


@pytest.mark.parametrize("fmt", ["terminal", "json", "markdown", "html"])
def test_output_file_is_written_and_nothing_printed(bad: Path, tmp_path: Path, fmt: str):
    out = tmp_path / "out" / f"report.{fmt}"
    out.parent.mkdir()
    result = run_cli("check", str(bad), "--format", fmt, "--output", str(out), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    assert result.stderr == ""
    text = out.read_text(encoding="utf-8")
    assert "missing-assistant-message" in text
    if fmt == "json":
        assert json.loads(text)["summary"]["passed"] is False


def test_unwritable_output_is_exit_2(clean: Path, tmp_path: Path):
    out = tmp_path / "no-such-dir" / "report.json"
    result = run_cli("check", str(clean), "--format", "json", "--output", str(out), cwd=tmp_path)
    assert result.returncode == 2
    assert str(out) in result.stderr
    assert "Traceback" not in result.stderr


# --------------------------------------------------------------------------- checks / schema


def test_checks_lists_every_rule():
    result = run_cli("checks")
    assert result.returncode == 0, result.stderr
    registered = checkers()
    assert "format" in registered
    for check_id, cls in registered.items():
        assert f"{check_id}:" in result.stdout
        for rule in cls.rules:
            assert f"{check_id}/{rule.slug}" in result.stdout
            line = next(
                line for line in result.stdout.splitlines() if f"{check_id}/{rule.slug} " in line
            )
            assert rule.severity.value in line


def test_schema_report_is_a_valid_json_schema(report_validator: Draft202012Validator):
    schema = report_validator.schema
    assert schema["$schema"].endswith("2020-12/schema")
    assert "findings" in schema["properties"]


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_schema_of_every_format_is_a_valid_json_schema(name: str):
    result = run_cli("schema", name)
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    Draft202012Validator.check_schema(schema)
    assert schema.get("type") == "object"


def test_unknown_schema_is_exit_2():
    result = run_cli("schema", "nope")
    assert result.returncode == 2
    assert "nope" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


MSG = [{"role": "user", "content": "What is 2+2?"}]
ANSWER = [{"role": "assistant", "content": "4"}]
WRONG = [{"role": "assistant", "content": "5"}]

VALID_ROWS: dict[str, list[dict[str, Any]]] = {
    "chat": [
        {"messages": [*MSG, *ANSWER]},
        {"messages": [{"role": "system", "content": "Be brief."}, *MSG, *ANSWER]},
        {"messages": [*MSG, {"role": "assistant", "content": "4", "weight": 1}]},
    ],
    "completion": [
        {"prompt": "2+2=", "completion": " 4"},
        {"prompt": MSG, "completion": ANSWER},
    ],
    "alpaca": [
        {"instruction": "Add the numbers.", "input": "2 and 2", "output": "4"},
        {"instruction": "Say hi.", "output": "Hi!", "history": [["Hello?", "Hello."]]},
    ],
    "sharegpt": [
        {"conversations": [{"from": "human", "value": "2+2?"}, {"from": "gpt", "value": "4"}]},
        {
            "system": "Be brief.",
            "conversations": [{"from": "human", "value": "2+2?"}, {"from": "gpt", "value": "4"}],
        },
    ],
    "preference": [
        {"prompt": "2+2?", "chosen": "4", "rejected": "5"},
        {"prompt": MSG, "chosen": ANSWER, "rejected": WRONG},
    ],
    "openai_preference": [
        {
            "input": {"messages": MSG},
            "preferred_output": ANSWER,
            "non_preferred_output": WRONG,
        }
    ],
    "classification": [
        {"text": "I love it", "label": "positive"},
        {"text": "Meh", "label": 0},
        {"text": "Great", "label": True},
    ],
    "kto": [
        {"prompt": "2+2?", "completion": "4", "label": True},
        {"prompt": MSG, "completion": WRONG, "label": False},
        {"messages": [*MSG, *ANSWER], "label": True},
    ],
    "hh_rlhf": [
        {"chosen": "\n\nHuman: 2+2?\n\nAssistant: 4", "rejected": "\n\nHuman: 2+2?\n\nAssistant: 5"}
    ],
    "dolly": [
        {"instruction": "Add.", "context": "2 and 2", "response": "4", "category": "open_qa"},
        {"instruction": "Say hi.", "response": "Hi!"},
    ],
    "question_answer": [{"question": "2+2?", "answer": "4"}],
    "text": [
        {"text": "The sky is blue."},
        {"text": "<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>"},
    ],
}

BROKEN_ROWS: dict[str, list[dict[str, Any]]] = {
    "chat": [
        {"messages": []},
        {"messages": [{"role": "robot", "content": "beep"}]},
        {"messages": [{"role": "user", "content": 42}]},
        {"messages": [{"role": "assistant", "content": "4", "weight": 2}]},
        {"conversation": [*MSG, *ANSWER]},
    ],
    "completion": [{"prompt": "2+2="}, {"prompt": "2+2=", "completion": 4}],
    "alpaca": [{"instruction": "Add.", "input": "2 and 2"}, {"instruction": "Add.", "output": " "}],
    "sharegpt": [
        {"conversations": []},
        {"conversations": [{"from": "human"}]},
        {"conversations": [{"from": "human", "value": 1}]},
    ],
    "preference": [{"prompt": "2+2?", "chosen": "4"}, {"chosen": 4, "rejected": 5}],
    "openai_preference": [
        {"input": {"messages": MSG}, "preferred_output": ANSWER},
        {"input": {"messages": MSG}, "preferred_output": [], "non_preferred_output": WRONG},
        {"input": MSG, "preferred_output": ANSWER, "non_preferred_output": WRONG},
    ],
    "classification": [
        {"text": "I love it"},
        {"text": "", "label": "x"},
        {"text": "a", "label": None},
    ],
    "kto": [
        {"prompt": "2+2?", "completion": "4", "label": "yes"},
        {"prompt": "2+2?", "label": True},
    ],
    "hh_rlhf": [{"chosen": "\n\nHuman: hi\n\nAssistant: a"}, {"chosen": "hello", "rejected": "x"}],
    "dolly": [{"instruction": "Add."}, {"instruction": "Add.", "response": " "}],
    "question_answer": [{"question": "2+2?"}, {"question": "2+2?", "answer": 4}],
    "text": [{"text": ""}, {"text": 5}],
}


def test_samples_cover_every_format():
    assert set(VALID_ROWS) == set(FORMATS)
    assert set(BROKEN_ROWS) == set(FORMATS)


@pytest.fixture(scope="module")
def format_validators() -> dict[str, Draft202012Validator]:
    validators = {}
    for name in FORMATS:
        result = run_cli("schema", name)
        assert result.returncode == 0, result.stderr
        validators[name] = Draft202012Validator(json.loads(result.stdout))
    return validators


@pytest.mark.parametrize("name", sorted(VALID_ROWS))
def test_valid_rows_validate_against_their_schema(
    name: str, format_validators: dict[str, Draft202012Validator]
):
    for row in VALID_ROWS[name]:
        errors = list(format_validators[name].iter_errors(row))
        assert errors == [], (row, errors[0].message if errors else "")


@pytest.mark.parametrize("name", sorted(BROKEN_ROWS))
def test_broken_rows_do_not_validate(name: str, format_validators: dict[str, Draft202012Validator]):
    for row in BROKEN_ROWS[name]:
        assert not format_validators[name].is_valid(row), row


@pytest.mark.parametrize("name", sorted(VALID_ROWS))
def test_schema_valid_rows_have_no_errors_when_checked(name: str, tmp_path: Path):
    """What the published schema accepts, the checker accepts (no error-level findings)."""
    path = write_jsonl(tmp_path / f"{name}.jsonl", VALID_ROWS[name])
    report = check_json(str(path), cwd=tmp_path)
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    assert errors == []
    assert report["dataset"]["format"] == name


@pytest.mark.parametrize("name", ["auto", "chat"])
def test_input_format_flag(name: str, clean: Path, tmp_path: Path):
    result = run_cli("check", str(clean), "--input-format", name, cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_input_format_flag_forces_the_format(tmp_path: Path):
    # A chat file forced to be read as alpaca: every row is reported, none silently accepted.
    path = write_jsonl(tmp_path / "chat.jsonl", CLEAN_ROWS)
    result = run_cli(
        "check", str(path), "--input-format", "alpaca", "--format", "json", cwd=tmp_path
    )
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["errors"] >= len(CLEAN_ROWS)


def test_format_key_in_config_file(clean: Path, tmp_path: Path):
    (clean.parent / "ftqa.toml").write_text('input-format = "chat"\n', encoding="utf-8")
    result = run_cli("check", str(clean), cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_api_format_keyword(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.chdir(tmp_path)
    assert ftqa.check(CLEAN_ROWS, input_format="chat").passed


# --------------------------------------------------------------------------- datasets


def test_several_paths_form_one_dataset(clean: Path, few: Path, tmp_path: Path):
    report = check_json(str(clean), str(few), cwd=tmp_path, expect=0)
    dataset = report["dataset"]
    assert dataset["rows"] == len(CLEAN_ROWS) + len(FEW_ROWS)
    assert [item["path"] for item in dataset["files"]] == [str(clean), str(few)]
    assert [item["rows"] for item in dataset["files"]] == [len(CLEAN_ROWS), len(FEW_ROWS)]
    assert dataset["bytes"] == clean.stat().st_size + few.stat().st_size
    assert dataset["format"] == "chat"
    # 15 rows in all: no `too-few-examples` though `few` alone has 3.
    assert "format/too-few-examples" not in rules_of(report)


def test_validation_is_reported(clean: Path, few: Path, tmp_path: Path):
    without = check_json(str(clean), cwd=tmp_path, expect=0)
    assert without["validation"] is None
    report = check_json(str(clean), "--validation", str(few), cwd=tmp_path)
    validation = report["validation"]
    assert validation is not None
    assert validation["path"] == str(few)
    assert validation["rows"] == len(FEW_ROWS)
    assert report["dataset"]["rows"] == len(CLEAN_ROWS)


def test_validation_findings_name_the_validation_file(clean: Path, bad: Path, tmp_path: Path):
    report = check_json(str(clean), "--validation", str(bad), cwd=tmp_path, expect=1)
    files = {f["file"] for f in report["findings"] if f["rule"] == "missing-assistant-message"}
    assert files == {str(bad)}


def test_findings_are_sorted_by_file_line_rule(bad: Path, tmp_path: Path):
    second = write_lines(tmp_path / "data" / "a-second.jsonl", list(reversed(BAD_LINES)))
    report = check_json(str(bad), str(second), cwd=tmp_path, expect=1)
    findings = report["findings"]
    assert len({f["file"] for f in findings}) == 2
    keys = [(f["file"], f["line"] if f["line"] is not None else -1, f["rule"]) for f in findings]
    assert keys == sorted(keys)


# --------------------------------------------------------------------------- configuration


def test_ftqa_toml_in_dataset_dir_is_found(few: Path, tmp_path: Path):
    (few.parent / "ftqa.toml").write_text('fail-on = "warning"\n', encoding="utf-8")
    result = run_cli("check", str(few), cwd=tmp_path)
    assert result.returncode == 1, result.stderr


def test_pyproject_tool_ftqa_in_parent_dir_is_found(tmp_path: Path):
    data = write_jsonl(tmp_path / "proj" / "data" / "deep" / "few.jsonl", FEW_ROWS)
    (tmp_path / "proj" / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.ftqa]\nfail-on = "warning"\n', encoding="utf-8"
    )
    result = run_cli("check", str(data), cwd=tmp_path)
    assert result.returncode == 1, result.stderr


def test_pyproject_without_tool_ftqa_is_skipped_in_discovery(tmp_path: Path):
    data = write_jsonl(tmp_path / "proj" / "data" / "few.jsonl", FEW_ROWS)
    (tmp_path / "proj" / "ftqa.toml").write_text('fail-on = "warning"\n', encoding="utf-8")
    (tmp_path / "proj" / "data" / "pyproject.toml").write_text(
        '[project]\nname = "x"\n', encoding="utf-8"
    )
    assert run_cli("check", str(data), cwd=tmp_path).returncode == 1


def test_config_flag(few: Path, tmp_path: Path):
    config = tmp_path / "elsewhere" / "settings.toml"
    config.parent.mkdir()
    config.write_text('fail-on = "warning"\n', encoding="utf-8")
    assert run_cli("check", str(few), cwd=tmp_path).returncode == 0
    result = run_cli("check", str(few), "--config", str(config), cwd=tmp_path)
    assert result.returncode == 1, result.stderr


def test_config_flag_replaces_discovery(few: Path, tmp_path: Path):
    (few.parent / "ftqa.toml").write_text('fail-on = "warning"\n', encoding="utf-8")
    config = tmp_path / "empty.toml"
    config.write_text("", encoding="utf-8")
    result = run_cli("check", str(few), "--config", str(config), cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_cli_flags_override_the_config_file(few: Path, tmp_path: Path):
    (few.parent / "ftqa.toml").write_text('fail-on = "warning"\n', encoding="utf-8")
    result = run_cli("check", str(few), "--fail-on", "error", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "text",
    [
        'fail-on = "warning"\nignore = ["blank-line"]\nextra-keys = ["id"]\n',
        'fail_on = "warning"\nignore = ["blank-line"]\nextra_keys = ["id"]\n',
        '[format]\nmin-examples = 1\n[format.severity]\n"blank-line" = "error"\n',
        '[format]\nmin_examples = 1\n[format.severity]\n"blank-line" = "error"\n',
    ],
    ids=["global-dashes", "global-underscores", "table-dashes", "table-underscores"],
)
def test_dash_and_underscore_keys(few: Path, tmp_path: Path, text: str):
    (few.parent / "ftqa.toml").write_text(text, encoding="utf-8")
    result = run_cli("check", str(few), "--format", "json", cwd=tmp_path)
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    if text.startswith("[format]"):
        # min-examples = 1: three rows are enough, so the only warning is gone.
        assert result.returncode == 0
        assert "format/too-few-examples" not in rules_of(report)
    else:
        assert result.returncode == 1
        assert report["summary"]["fail_on"] == "warning"


def test_severity_override_in_config(few: Path, tmp_path: Path):
    (few.parent / "ftqa.toml").write_text(
        '[severity]\n"too-few-examples" = "error"\n', encoding="utf-8"
    )
    report = check_json(str(few), cwd=tmp_path, expect=1)
    (finding,) = [f for f in report["findings"] if f["rule"] == "too-few-examples"]
    assert finding["severity"] == "error"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("fial-on = 'warning'\n", "fial"),
        ("[format]\nbogus-option = 3\n", "bogus"),
    ],
)
def test_unknown_config_key_is_exit_2_naming_it(few: Path, tmp_path: Path, text: str, key: str):
    (few.parent / "ftqa.toml").write_text(text, encoding="utf-8")
    result = run_cli("check", str(few), cwd=tmp_path)
    assert result.returncode == 2
    assert key in result.stderr
    assert "ftqa.toml" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("text", "key"),
    [("fial-on = 'warning'\n", "`fial-on`"), ("[format]\nbogus-option = 3\n", "`bogus-option`")],
)
def test_unknown_config_key_is_named_as_written(few: Path, tmp_path: Path, text: str, key: str):
    (few.parent / "ftqa.toml").write_text(text, encoding="utf-8")
    result = run_cli("check", str(few), cwd=tmp_path)
    assert result.returncode == 2
    assert key in result.stderr


def _readme_config_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```toml\n(.*?)```", section, re.S)
    return block


def test_readme_configuration_example_is_accepted(clean: Path, tmp_path: Path):
    config = tmp_path / "pyproject.toml"
    config.write_text(_readme_config_example(), encoding="utf-8")
    result = run_cli("check", str(clean), "--config", str(config), cwd=tmp_path)
    assert result.returncode in (0, 1), result.stderr


def test_invalid_pyproject_with_tool_ftqa_is_exit_2(few: Path, tmp_path: Path):
    (few.parent / "pyproject.toml").write_text(
        '[tool.ftqa]\nfail-on = "warning"\nfail-on = "info"\n', encoding="utf-8"
    )
    result = run_cli("check", str(few), cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    assert "pyproject.toml" in result.stderr


@pytest.mark.parametrize(
    "text",
    [
        'fail-on = "fatal"\n',
        '[severity]\n"blank-line" = "critical"\n',
        '[format.severity]\n"blank-line" = "critical"\n',
    ],
)
def test_bad_severity_value_is_exit_2(few: Path, tmp_path: Path, text: str):
    (few.parent / "ftqa.toml").write_text(text, encoding="utf-8")
    result = run_cli("check", str(few), cwd=tmp_path)
    assert result.returncode == 2
    assert "ftqa.toml" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_invalid_toml_is_exit_2(few: Path, tmp_path: Path):
    (few.parent / "ftqa.toml").write_text("fail-on = \n", encoding="utf-8")
    result = run_cli("check", str(few), cwd=tmp_path)
    assert result.returncode == 2
    assert "ftqa.toml" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_config_file_is_exit_2(few: Path, tmp_path: Path):
    missing = tmp_path / "missing.toml"
    result = run_cli("check", str(few), "--config", str(missing), cwd=tmp_path)
    assert result.returncode == 2
    assert str(missing) in result.stderr


# --------------------------------------------------------------------------- Python API


def test_require_clean_raises_dataset_rejected_with_report(
    bad: Path, clean: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    monkeypatch.chdir(tmp_path)
    report = ftqa.require_clean(clean)
    assert isinstance(report, ftqa.Report)
    assert report.passed
    with pytest.raises(ftqa.DatasetRejected) as caught:
        ftqa.require_clean(bad)
    assert isinstance(caught.value, ftqa.FtqaError)
    rejected = caught.value.report
    assert isinstance(rejected, ftqa.Report)
    assert not rejected.passed
    assert rejected.summary.errors >= 2
    assert any(f.rule == "missing-assistant-message" for f in rejected.findings)


def test_require_clean_honours_fail_on(few: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.chdir(tmp_path)
    ftqa.require_clean(few)
    with pytest.raises(ftqa.DatasetRejected):
        ftqa.require_clean(few, fail_on="warning")


def test_check_a_list_of_dicts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.chdir(tmp_path)
    rows = [*CLEAN_ROWS, {"messages": [{"role": "user", "content": "hello?"}]}]
    report = ftqa.check(rows)
    assert report.dataset.rows == len(rows)
    assert report.dataset.format == "chat"
    assert not report.passed
    (finding,) = [f for f in report.findings if f.rule == "missing-assistant-message"]
    assert finding.row == len(CLEAN_ROWS)
    assert json.loads(report.to_json())["summary"]["passed"] is False
    assert ftqa.check(CLEAN_ROWS).passed


def test_check_a_dataframe(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    pd = pytest.importorskip("pandas")
    monkeypatch.chdir(tmp_path)
    frame = pd.DataFrame(
        {
            "text": [f"review number {i}" for i in range(12)] + [""],
            "label": ["positive", "negative"] * 6 + ["positive"],
        }
    )
    report = ftqa.check(frame)
    assert report.dataset.rows == 13
    assert report.dataset.format == "classification"
    assert not report.passed
    (finding,) = [f for f in report.findings if f.rule == "empty-content"]
    assert finding.row == 12
    assert ftqa.check(frame.iloc[:12]).passed


def test_check_with_config_mapping(few: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.chdir(tmp_path)
    assert ftqa.check(few).passed
    assert not ftqa.check(few, config={"fail-on": "warning"}).passed
    with pytest.raises(ftqa.ConfigError, match="nonsense"):
        ftqa.check(few, config={"nonsense": 1})


def test_check_missing_path_raises_input_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ftqa.InputError):
        ftqa.check(tmp_path / "missing.jsonl")


# --------------------------------------------------------------------------- progress


def test_no_progress_bar_when_stderr_is_not_a_tty(tmp_path: Path):
    """A file above the progress-bar size threshold: stderr is a pipe, so it stays empty."""
    row = json.dumps(chat_row("Please summarize: " + "lorem ipsum " * 40, "A summary.")) + "\n"
    big = tmp_path / "big.jsonl"
    count = (5 << 20) // len(row) + 1
    big.write_text(row * count, encoding="utf-8")
    assert big.stat().st_size > 4 << 20
    result = run_cli("check", str(big), "--select", "format/invalid-json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "\x1b" not in result.stdout.split("\n", 1)[0]


def test_progress_bar_appears_after_a_while_even_without_progress_reports(tmp_path: Path):
    """Slow rows report nothing before their first few thousand are done, and the dataset-wide
    step after the last row reports no bytes: the bar's timer shows it anyway, and once every
    byte is read it says the dataset-wide checks are running. Closing first shows nothing."""
    import threading
    from types import SimpleNamespace

    from ftqa.render.progress import DATASET_WIDE, READING, ProgressBar

    data = tmp_path / "rows.jsonl"
    data.write_bytes(b"x" * 4_000)
    source = SimpleNamespace(path=str(data))
    stalled = ProgressBar([str(data)], quiet=False, terminal=True, show_after=0.01)
    try:
        assert stalled._timer is not None
        stalled._timer.join(timeout=30)  # the timer fires with no `update` at all
        assert stalled.shown
        task = stalled._bar.tasks[0]
        assert (task.description, task.completed) == (READING, 0)
        stalled.update(source, 4_000)  # every byte read: the dataset-wide step runs
        assert (task.description, task.completed) == (DATASET_WIDE, 4_000)
    finally:
        stalled.close()
    assert stalled._bar is None

    quick = ProgressBar([str(data)], quiet=False, terminal=True, show_after=3600)
    quick.update(source, 4_000)
    quick.close()  # a run that ends before the delay: the timer is cancelled, nothing shown
    assert quick._timer is not None
    quick._timer.join(timeout=30)
    assert not quick.shown
    assert not any(thread is quick._timer for thread in threading.enumerate())

    unknown = ProgressBar(["hf://org/name"], quiet=False, terminal=True, show_after=0.01)
    try:  # no size known (an hf:// dataset): still shown after the delay, without a total
        assert unknown.enabled
        assert unknown._timer is not None
        unknown._timer.join(timeout=30)
        assert unknown.shown
        assert unknown._bar.tasks[0].total is None
    finally:
        unknown.close()


def test_progress_bar_appears_only_when_the_run_is_expected_to_be_long(tmp_path: Path):
    """The bar is decided from the time and bytes so far, not from the file's size."""
    from types import SimpleNamespace

    from ftqa.render.progress import SHOW_AFTER_SECONDS, ProgressBar, expected_seconds

    assert expected_seconds(0.5, 1_000, 4_000) == 2.0
    assert expected_seconds(1.0, 0, 4_000) == 1.0
    small = tmp_path / "small.jsonl"
    small.write_bytes(b"x" * 4_000)  # far below the old 4 MiB threshold
    source = SimpleNamespace(path=str(small))
    now = [0.0]
    quick = ProgressBar([str(small)], quiet=False, clock=lambda: now[0], terminal=True)
    now[0] = 0.2
    quick.update(source, 1_000)  # on course for 0.8 s
    assert not quick.shown
    slow = ProgressBar([str(small)], quiet=False, clock=lambda: now[0], terminal=True)
    now[0] += SHOW_AFTER_SECONDS / 2
    slow.update(source, 1_000)  # on course for 4 s
    try:
        assert slow.shown
    finally:
        slow.close()
    for quiet, terminal in ((True, True), (False, False)):
        never = ProgressBar([str(small)], quiet=quiet, clock=lambda: now[0], terminal=terminal)
        now[0] += 10.0
        never.update(source, 1)
        assert not never.enabled
        assert not never.shown
