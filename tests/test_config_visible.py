"""Configuration is visible: which files are discovered, and every report says which
configuration it applied (path, sha256) and what that changed relative to the defaults.

Real configuration files in temporary directories, the real CLI in a subprocess."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

import ftqa
from conftest import run_cli

DATA = Path(__file__).resolve().parent / "data" / "train"
# Row 7 has no assistant message: format/missing-assistant-message (an error by default).
DIRTY = DATA / "dirty.jsonl"
SILENCING = (
    'ignore = ["secrets", "pii"]\n'
    'severity = { "missing-assistant-message" = "info" }\n'
    "[format]\n"
    'severity = { "invalid-json" = "info" }\n'
)


def _dataset(root: Path, *parts: str) -> Path:
    folder = root.joinpath(*parts)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / DIRTY.name
    target.write_bytes(DIRTY.read_bytes())
    return target


def _json_report(path: Path, *args: str, cwd: Path, expect: int) -> dict[str, Any]:
    result = run_cli("check", str(path), "--format", "json", *args, cwd=cwd)
    assert result.returncode == expect, result.stderr
    return json.loads(result.stdout)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_dotfile_config_is_not_discovered(tmp_path: Path):
    """`.ftqa.toml` is not a documented name: a file of that name that silences every check
    next to the data changes nothing."""
    data = _dataset(tmp_path, "data")
    (data.parent / ".ftqa.toml").write_text(
        'ignore = ["format", "secrets", "pii", "leakage", "encoding"]\n', encoding="utf-8"
    )
    report = _json_report(data, cwd=tmp_path, expect=1)
    assert report["config"] == {"files": [], "changes": [], "summary": None}
    assert report["stats"]["findings_by_rule"]["format/missing-assistant-message"] == 1


def test_a_pyproject_two_levels_up_is_named_in_the_json_report(tmp_path: Path):
    data = _dataset(tmp_path, "project", "data", "chat")
    pyproject = tmp_path / "project" / "pyproject.toml"
    pyproject.write_text("[tool.ftqa]\n" + SILENCING.replace("[format]", "[tool.ftqa.format]"))
    report = _json_report(data, cwd=tmp_path, expect=0)
    (applied,) = report["config"]["files"]
    assert Path(tmp_path, applied["path"]).resolve() == pyproject.resolve()
    assert applied["sha256"] == _sha(pyproject)
    assert applied["discovered"] is True
    assert report["config"]["changes"] == [
        "ignores secrets",
        "ignores pii",
        "lowers format/invalid-json from error to info",
        "lowers format/missing-assistant-message from error to info",
    ]
    assert report["config"]["summary"] == "ignores secrets, pii; lowers 2 severities"


def test_the_terminal_verdict_names_the_configuration_in_one_line(tmp_path: Path):
    data = _dataset(tmp_path, "project", "data", "chat")
    (tmp_path / "project" / "pyproject.toml").write_text(
        "[tool.ftqa]\n" + SILENCING.replace("[format]", "[tool.ftqa.format]")
    )
    result = run_cli("check", str(data), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    verdict = next(i for i, line in enumerate(lines) if "PASSED" in line)
    assert lines[verdict + 1] == (
        "config: project/pyproject.toml [discovered] (ignores secrets, pii; lowers 2 severities)"
    )


@pytest.mark.parametrize("output", ["markdown", "html", "github", "sarif"])
def test_every_format_names_the_configuration_file_and_its_changes(tmp_path: Path, output: str):
    data = _dataset(tmp_path, "data")
    config = data.parent / "ftqa.toml"
    config.write_text(SILENCING, encoding="utf-8")
    result = run_cli("check", str(data), "--format", output, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "ftqa.toml" in text
    assert "ignores secrets, pii; lowers 2 severities" in text
    if output != "github":  # github: one summary line; the full record is in the other formats
        assert _sha(config) in text
        assert "lowers format/missing-assistant-message from error to info" in text
    if output == "sarif":
        config_info = json.loads(text)["runs"][0]["properties"]["config"]
        assert config_info["files"][0]["sha256"] == _sha(config)


def test_an_explicit_config_of_any_name_is_applied_and_not_marked_discovered(tmp_path: Path):
    data = _dataset(tmp_path, "data")
    settings = tmp_path / "elsewhere" / "strict settings.cfg"
    settings.parent.mkdir()
    settings.write_text('fail-on = "info"\n[near_duplicates]\nthreshold = 0.9\n')
    report = _json_report(data, "--config", str(settings), cwd=tmp_path, expect=1)
    assert report["config"]["files"] == [
        {"path": str(settings), "sha256": _sha(settings), "discovered": False}
    ]
    assert report["config"]["changes"] == [
        "fails on info (default error)",
        "sets near_duplicates.threshold = 0.9 (default 0.55)",
    ]


def test_command_line_changes_are_recorded_with_their_flag(tmp_path: Path):
    data = _dataset(tmp_path, "data")
    report = _json_report(
        data, "--ignore", "format/missing-assistant-message", cwd=tmp_path, expect=0
    )
    assert report["config"]["files"] == []
    assert report["config"]["changes"] == ["ignores format/missing-assistant-message (--ignore)"]


def test_no_config_ignores_the_discovered_file(tmp_path: Path):
    data = _dataset(tmp_path, "data")
    (data.parent / "ftqa.toml").write_text(SILENCING, encoding="utf-8")
    report = _json_report(data, "--no-config", cwd=tmp_path, expect=1)
    assert report["config"]["files"] == []
    assert report["summary"]["errors"] >= 1


@pytest.mark.parametrize(
    "command",
    [
        ["fix", "{data}", "--output", "{tmp}/clean.jsonl"],
        ["split", "{data}", "--validation-count", "2", "--seed", "1", "--output-dir", "{tmp}/s"],
        ["train", "{data}", "--provider", "hf", "--model", "m", "--dry-run"],
    ],
    ids=["fix", "split", "train"],
)
def test_no_config_on_fix_split_and_train(tmp_path: Path, command: list[str]):
    """A broken configuration next to the data stops each command (exit 2, naming it) unless
    `--no-config` tells it to use the defaults."""
    data = _dataset(tmp_path, "data")
    (data.parent / "ftqa.toml").write_text("no-such-key = 1\n", encoding="utf-8")
    args = [part.format(data=data, tmp=tmp_path) for part in command]
    broken = run_cli(*args, cwd=tmp_path)
    assert broken.returncode == 2
    assert "ftqa.toml: unknown key `no-such-key`" in broken.stderr
    ignored = run_cli(*args, "--no-config", cwd=tmp_path)
    assert "no-such-key" not in ignored.stderr
    assert ignored.returncode in (0, 1), ignored.stderr


def test_config_and_no_config_together_are_a_usage_error(tmp_path: Path):
    data = _dataset(tmp_path, "data")
    result = run_cli("check", str(data), "--config", "x.toml", "--no-config", cwd=tmp_path)
    assert result.returncode == 2
    assert "not allowed with" in result.stderr


def test_a_deeply_nested_config_is_a_one_line_exit_2(tmp_path: Path):
    data = _dataset(tmp_path, "data")
    deep = tmp_path / "deep.toml"
    deep.write_text("a = " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    result = run_cli("check", str(data), "--config", str(deep), cwd=tmp_path)
    assert result.returncode == 2
    expected = f"ftqa: error: {deep}: cannot read configuration (nested too deeply)"
    assert result.stderr.strip() == expected


def test_the_api_reports_mapping_and_keyword_changes():
    report = ftqa.check(
        DIRTY,
        config={"contradictions": {"enabled": False}, "extra-roles": ["tool_result"]},
        select=["format", "contradictions", "secrets"],
        fail_on="warning",
    )
    assert report.config.files == []
    assert report.config.changes == [
        "disables contradictions",
        "selects only format, contradictions, secrets (--select)",
        "fails on warning (default error) (--fail-on)",
        "accepts extra roles tool_result",
    ]


def test_raising_a_severity_is_a_change_but_the_default_level_is_not():
    report = ftqa.check(
        DIRTY,
        config={"severity": {"format/blank-line": "error", "format/invalid-json": "error"}},
        select=["format"],
    )
    assert report.config.changes == [
        "selects only format (--select)",
        "raises format/blank-line from warning to error",
    ]


def test_the_report_schema_publishes_the_config_section():
    result = run_cli("schema", "report")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert "config" in schema["properties"]
    assert {"files", "changes", "summary"} <= set(schema["$defs"]["ConfigInfo"]["properties"])
    assert set(schema["$defs"]["ConfigFileInfo"]["required"]) == {"path", "sha256", "discovered"}
