"""The training gate cannot be talked into a launch: configuration found near the data that
relaxes the checks, saved reports edited or made under other settings, files changed after
the check. The gate always judges a fresh check of the files as they are.

Providers are real SDKs against a server on 127.0.0.1 started by the tests
(`loopback_provider`); nothing may reach it when the gate refuses."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

import ftqa
from ftqa.config import load_settings
from ftqa.train import (
    DiscoveredConfigRefused,
    StaleReport,
    TrainingRefused,
    config_fingerprint,
    prepare,
    train,
)
from ftqa.train.manifest import MANIFEST_NAME, REPORT_NAME
from loopback_provider import (
    CLEAN,
    DIRTY,
    DIRTY_RULE,
    VAL,
    ftqa_train,
    train_cli,
)

LOWERING = (
    '[tool.ftqa]\nignore = ["secrets"]\nseverity = { "missing-assistant-message" = "info" }\n'
)


def _copy(source: Path, directory: Path, name: str | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / (name or source.name)
    target.write_bytes(source.read_bytes())
    return target


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _report_file(path: Path, report: dict[str, Any]) -> Path:
    path.write_text(json.dumps(report), encoding="utf-8")
    return path


def _json(data: Path, **options: Any) -> dict[str, Any]:
    return json.loads(ftqa.check(data, **options).to_json())


# --- configuration found near the data ------------------------------------------------------


def test_a_discovered_config_that_relaxes_the_checks_refuses_the_launch(api_env, tmp_path, capsys):
    data = _copy(DIRTY, tmp_path / "project" / "data" / "chat")
    pyproject = tmp_path / "project" / "pyproject.toml"
    pyproject.write_text(LOWERING, encoding="utf-8")
    argv = [str(data), "--provider", "openai", "--model", "gpt-4o-mini", "--dry-run"]
    assert train_cli(argv) == 1
    out = capsys.readouterr().out
    assert "was found near the data (not named with --config) and relaxes the checks" in out
    assert "  ignores secrets" in out
    assert "  lowers format/missing-assistant-message from error to info" in out
    assert f"Launch under it by naming it: --config {pyproject}" in out
    assert api_env.requests == []
    with pytest.raises(DiscoveredConfigRefused):
        train(data, provider="openai", model="gpt-4o-mini", dry_run=True)

    # Named explicitly, the same file is accepted, and the plan lists what it changes.
    assert train_cli([*argv, "--config", str(pyproject)]) == 0
    plan = capsys.readouterr().out
    assert "                  lowers format/missing-assistant-message from error to info" in plan
    assert "                  ignores secrets" in plan
    # With --no-config the defaults apply and the gate refuses the dirty row.
    assert train_cli([*argv, "--no-config"]) == 1
    assert f"error    {DIRTY_RULE} × 1" in capsys.readouterr().out
    assert api_env.requests == []


def test_a_discovered_config_that_only_tightens_is_shown_in_the_plan(api_env, tmp_path, capsys):
    data = _copy(CLEAN, tmp_path / "data")
    (data.parent / "ftqa.toml").write_text(
        'severity = { "format/blank-line" = "error" }\nprovider-read-timeout = 30\n'
    )
    assert train_cli([str(data), "--provider", "openai", "--model", "m", "--dry-run"]) == 0
    plan = capsys.readouterr().out
    assert "raises format/blank-line from warning to error" in plan
    assert "requests        connect 10 s, read 30 s, 2 retries" in plan


# --- saved reports never decide on their own -----------------------------------------------


def test_a_failing_report_whose_findings_were_deleted_never_launches(api_env, tmp_path):
    data = _copy(DIRTY, tmp_path)
    report = _json(data)
    assert report["summary"]["passed"] is False
    report["findings"] = []
    report["stats"]["findings_by_rule"] = {}
    for variant, summary in (
        ("summary left as it was", dict(report["summary"])),
        ("summary edited to pass", {**report["summary"], "errors": 0, "passed": True}),
    ):
        edited = _report_file(tmp_path / "edited.json", {**report, "summary": summary})
        with pytest.raises(TrainingRefused) as refused:
            train(data, provider="openai", model="gpt-4o-mini", report=edited, yes=True)
        assert refused.value.decision.blockers[0].key == DIRTY_RULE, variant
    assert api_env.requests == []


def test_a_clean_report_edited_to_name_another_file_never_launches(api_env, tmp_path):
    clean, dirty = _copy(CLEAN, tmp_path), _copy(DIRTY, tmp_path)
    report = _json(clean)
    dirty_info = _json(dirty)["dataset"]
    report["dataset"] = dirty_info  # path, sha256, rows, bytes and files of the dirty file
    edited = _report_file(tmp_path / "edited.json", report)
    code = train_cli([str(dirty), "--provider", "openai", "--model", "m", "--report", str(edited)])
    assert code == 1
    assert api_env.requests == []


def test_a_report_that_the_checks_do_not_reproduce_is_refused(api_env, tmp_path, capsys):
    """Accepting the blocking rule opens the gate on the fresh check, but the saved report
    lost its findings on the way: it is not the report of this data."""
    data = _copy(DIRTY, tmp_path)
    report = _json(data)
    report["findings"] = [f for f in report["findings"] if f["rule"] != "missing-assistant-message"]
    edited = _report_file(tmp_path / "edited.json", report)
    argv = [str(data), "--provider", "openai", "--model", "m", "--report", str(edited)]
    assert train_cli([*argv, "--accept", DIRTY_RULE, "--yes"]) == 2
    err = capsys.readouterr().err
    assert "does not say what the checks find on these files now" in err
    assert "its list of findings differs" in err
    assert api_env.requests == []


def test_a_report_made_with_command_line_ignores_is_refused(api_env, tmp_path):
    data = _copy(DIRTY, tmp_path)
    relaxed = _report_file(tmp_path / "r.json", _json(data, ignore=[DIRTY_RULE]))
    with pytest.raises(StaleReport, match=r"ignores format/missing-assistant-message \(--ignore\)"):
        train(data, provider="openai", model="gpt-4o-mini", report=relaxed, yes=True)
    assert api_env.requests == []


def test_a_report_made_under_a_config_file_edited_since_is_refused(api_env, tmp_path):
    data = _copy(CLEAN, tmp_path)
    config = tmp_path / "settings.toml"
    config.write_text("max-findings-per-rule = 50\n")
    saved = _report_file(tmp_path / "r.json", _json(data, config=config))
    config.write_text("max-findings-per-rule = 50\nignore = ['pii']\n")
    with pytest.raises(StaleReport, match="configuration file"):
        train(data, provider="openai", model="m", report=saved, config=config, yes=True)
    assert api_env.requests == []


def test_a_saved_report_that_agrees_with_the_checks_launches(api_env, tmp_path):
    data = _copy(CLEAN, tmp_path)
    saved = _report_file(tmp_path / "r.json", _json(data))
    result = train(
        data,
        provider="openai",
        model="gpt-4o-mini",
        report=saved,
        yes=True,
        output_dir=tmp_path / "run",
    )
    assert result.launched
    assert any("the checks ran again" in note for note in result.plan.notes)


def test_a_report_for_another_file_is_refused(provider, tmp_path):
    other = _copy(VAL, tmp_path, "other.jsonl")
    train_file = _copy(CLEAN, tmp_path)
    saved = tmp_path / "other-report.json"
    saved.write_text(ftqa.check(other).to_json(), encoding="utf-8")
    done = ftqa_train(
        provider,
        train_file.name,
        "--provider",
        "openai",
        "--model",
        "gpt-4o-mini",
        "--report",
        str(saved),
        "--yes",
        cwd=tmp_path,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "does not belong to the files and configuration given" in done.stderr
    assert f"the training file clean.jsonl has sha256 {_sha(CLEAN)[:12]}" in done.stderr
    assert provider.requests == []


def test_a_saved_report_of_the_same_file_is_used_as_is(api_env, tmp_path):
    train_file = _copy(CLEAN, tmp_path)
    saved = tmp_path / "report.json"
    saved.write_text(ftqa.check(train_file).to_json(), encoding="utf-8")
    result = train(
        train_file,
        provider="openai",
        model="gpt-4o-mini",
        report=saved,
        yes=True,
        output_dir=tmp_path / "run",
    )
    assert result.manifest.report.sha256 == _sha(saved)
    assert result.manifest.report.source == str(saved)
    assert result.manifest.config.verification == "structural"
    assert (tmp_path / "run" / REPORT_NAME).read_bytes() == saved.read_bytes()
    (job,) = api_env.bodies("/v1/fine_tuning/jobs")
    assert job["metadata"]["ftqa_report_sha256"] == _sha(saved)


def test_a_report_of_a_file_changed_since_is_refused(api_env, tmp_path):
    train_file = _copy(CLEAN, tmp_path)
    saved = tmp_path / "report.json"
    saved.write_text(ftqa.check(train_file).to_json(), encoding="utf-8")
    with train_file.open("a", encoding="utf-8") as handle:
        handle.write(CLEAN.read_text(encoding="utf-8").splitlines()[0] + "\n")
    with pytest.raises(StaleReport, match="changed since, or another file"):
        train(train_file, provider="openai", model="gpt-4o-mini", report=saved, yes=True)
    assert api_env.requests == []


def test_a_report_without_the_validation_file_is_refused(api_env, tmp_path):
    saved = tmp_path / "report.json"
    saved.write_text(ftqa.check(CLEAN).to_json(), encoding="utf-8")
    with pytest.raises(StaleReport, match="did not check the validation file"):
        train(CLEAN, VAL, provider="openai", model="gpt-4o-mini", report=saved, yes=True)
    assert api_env.requests == []


def test_a_report_made_under_another_configuration_is_refused(api_env, tmp_path):
    train_file = _copy(CLEAN, tmp_path)
    saved = tmp_path / "report.json"
    saved.write_text(ftqa.check(train_file).to_json(), encoding="utf-8")
    config = tmp_path / "strict.toml"
    config.write_text('fail-on = "warning"\n', encoding="utf-8")
    with pytest.raises(StaleReport, match="judged with fail-on `error`"):
        train(
            train_file,
            provider="openai",
            model="gpt-4o-mini",
            report=saved,
            config=config,
            yes=True,
        )
    assert api_env.requests == []


def test_a_report_carrying_a_config_fingerprint_must_match_it(api_env, tmp_path):
    train_file = _copy(CLEAN, tmp_path)
    data = json.loads(ftqa.check(train_file).to_json())
    settings = load_settings(None, tmp_path)
    data["config_sha256"] = config_fingerprint(settings)
    saved = tmp_path / "report.json"
    saved.write_text(json.dumps(data), encoding="utf-8")
    result = train(train_file, provider="openai", model="gpt-4o-mini", report=saved, dry_run=True)
    assert result.plan.config_verification == "fingerprint"
    data["config_sha256"] = "0" * 64
    saved.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(StaleReport, match="made under another configuration"):
        train(train_file, provider="openai", model="gpt-4o-mini", report=saved, dry_run=True)
    assert api_env.requests == []


# --- the bytes launched are the bytes checked ----------------------------------------------


@pytest.mark.parametrize("change", ["append", "same-size"])
def test_a_file_changed_after_the_check_is_never_uploaded(api_env, tmp_path, change):
    data = _copy(CLEAN, tmp_path)
    launch = prepare(data, provider="openai", model="gpt-4o-mini", output_dir=tmp_path / "run")
    content = data.read_bytes()
    if change == "append":
        data.write_bytes(content + content.splitlines(keepends=True)[0])
    else:
        data.write_bytes(content.replace(b"a", b"b", 1))
    assert len(data.read_bytes()) == len(content) or change == "append"
    with pytest.raises(StaleReport, match="changed after it was checked"):
        launch.start()
    assert api_env.requests == []
    assert not (tmp_path / "run" / MANIFEST_NAME).exists()
