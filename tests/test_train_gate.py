"""The training gate end to end: a dirty dataset never reaches the provider, `--accept` lets
named rules through and records them, dry runs and paid launches ask before anything is
spent. The real `openai` and `together` SDKs talk to a small HTTP server on 127.0.0.1
(`loopback_provider`, started by the `provider` fixture for each test). Nothing leaves the
machine."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

import ftqa
from ftqa.train import (
    ConfirmationRequired,
    TrainingRefused,
    read_manifest,
    train,
)
from ftqa.train.manifest import MANIFEST_NAME
from loopback_provider import (
    CLEAN,
    COMMAND,
    DIRTY,
    DIRTY_RULE,
    environment,
    ftqa_train,
    train_cli,
)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _copy(source: Path, directory: Path, name: str | None = None) -> Path:
    target = directory / (name or source.name)
    target.write_bytes(source.read_bytes())
    return target


# --- the gate -------------------------------------------------------------------------------


def test_a_dirty_dataset_never_reaches_the_provider(provider, tmp_path):
    dirty = _copy(DIRTY, tmp_path)
    done = ftqa_train(
        provider,
        dirty.name,
        "--provider",
        "openai",
        "--model",
        "gpt-4o-mini",
        "--yes",
        "--output-dir",
        "run",
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert provider.requests == []
    assert "training gate: refused" in done.stdout
    assert f"{DIRTY_RULE} × 1" in done.stdout
    assert "dirty.jsonl:7" in done.stdout
    assert f"--accept {DIRTY_RULE}" in done.stdout
    assert not (tmp_path / "run").exists()


def test_accepting_the_rule_launches_and_is_recorded(provider, tmp_path):
    dirty = _copy(DIRTY, tmp_path)
    out = tmp_path / "run"
    done = ftqa_train(
        provider,
        dirty.name,
        "--provider",
        "openai",
        "--model",
        "gpt-4o-mini",
        "--accept",
        DIRTY_RULE,
        "--yes",
        "--output-dir",
        str(out),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"passed with accepted rules (--accept): {DIRTY_RULE} (1 findings)" in done.stdout
    manifest = read_manifest(out / MANIFEST_NAME)
    assert [(a.selector, a.rules, a.findings) for a in manifest.accepted] == [
        (DIRTY_RULE, [DIRTY_RULE], 1)
    ]
    assert manifest.report.passed is False
    uploads = [r for r in provider.requests if r["path"] == "/v1/files"]
    assert uploads[0]["form"]["file"][1] == dirty.read_bytes()


def test_a_bare_rule_slug_is_accepted_and_the_plan_says_so(api_env):
    result = train(
        DIRTY,
        provider="openai",
        model="gpt-4o-mini",
        accept=["missing-assistant-message"],
        dry_run=True,
    )
    (acceptance,) = result.plan.decision.accepted
    assert acceptance.rules == (DIRTY_RULE,)
    assert acceptance.findings == 1
    assert result.launched is False
    assert api_env.requests == []


@pytest.mark.parametrize("name", ["openai", "together"])
def test_the_api_refuses_a_dirty_dataset_with_the_decision(api_env, tmp_path, name):
    with pytest.raises(TrainingRefused) as caught:
        train(DIRTY, provider=name, model="gpt-4o-mini", yes=True, output_dir=tmp_path / "r")
    assert isinstance(caught.value, ftqa.DatasetRejected)
    assert [blocker.key for blocker in caught.value.decision.refused] == [DIRTY_RULE]
    assert caught.value.report.dataset.sha256 == _sha(DIRTY)
    assert api_env.requests == []
    assert not (tmp_path / "r").exists()


def test_accepting_a_whole_check_or_an_unknown_rule_is_a_usage_error(api_env, capsys):
    from ftqa.registry import checkers, rule_index

    checks = checkers()
    shared = [k for k, pairs in rule_index().items() if k not in checks and len(pairs) > 1]
    cases = [("format", "accept rules one at a time"), ("format/no-such-rule", "unknown rule")]
    if shared:  # a slug two checkers declare (e.g. invisible-character) must be qualified
        cases.append((shared[0], "ambiguous, name one of"))
    for selector, expected in cases:
        code = train_cli(
            [str(DIRTY), "--provider", "openai", "--model", "m", "--accept", selector, "--yes"]
        )
        assert code == 2
        assert expected in capsys.readouterr().err
    assert api_env.requests == []


def test_dry_run_shows_the_plan_and_launches_nothing(provider, tmp_path):
    train_file = _copy(CLEAN, tmp_path)
    done = ftqa_train(
        provider,
        train_file.name,
        "--provider",
        "openai",
        "--model",
        "gpt-4o-mini",
        "--epochs",
        "2",
        "--dry-run",
        "--output-dir",
        "run",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert provider.requests == []
    assert not (tmp_path / "run").exists()
    out = done.stdout
    assert "Plan: fine-tune gpt-4o-mini on openai" in out
    assert "training file   clean.jsonl (12 rows, chat" in out
    assert "gate            passed" in out
    assert "n_epochs=2 (--epochs)" in out
    assert "dry run: nothing launched" in out
    if "cost            ≈ $" in out:  # the token_length checker prices gpt-4o-mini
        assert "(2 epochs ×" in out


def test_a_paid_launch_without_a_terminal_needs_yes(api_env, tmp_path, capsys):
    assert not sys.stdin.isatty()
    code = train_cli(
        [str(CLEAN), "--provider", "openai", "--model", "gpt-4o-mini", "--output-dir", "run"]
    )
    assert code == 2
    captured = capsys.readouterr()
    assert "needs --yes when stdin is not a terminal" in captured.err
    assert "Plan: fine-tune gpt-4o-mini on openai" in captured.out
    assert api_env.requests == []
    assert not (tmp_path / "run").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_on_a_terminal_a_paid_launch_asks_and_a_yes_launches(provider, tmp_path):
    import pty

    train_file = _copy(CLEAN, tmp_path)
    primary, secondary = pty.openpty()
    try:
        os.write(primary, b"y\n")
        done = subprocess.run(
            [*COMMAND, train_file.name, "--provider", "openai", "--model", "gpt-4o-mini"],
            stdin=secondary,
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=environment(provider.port),
            timeout=300,
            check=False,
        )
    finally:
        os.close(secondary)
        os.close(primary)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Launch this paid fine-tuning job on openai? [y/N]" in done.stdout
    assert "launched: job ftjob-1 on openai" in done.stdout
    assert len(provider.bodies("/v1/fine_tuning/jobs")) == 1


def test_the_api_asks_for_confirmation_and_a_no_launches_nothing(api_env, tmp_path):
    seen = []

    def decline(plan):
        seen.append(plan)
        return False

    with pytest.raises(ConfirmationRequired, match="not confirmed"):
        train(CLEAN, provider="openai", model="gpt-4o-mini", confirm=decline)
    assert seen[0].provider == "openai"
    assert seen[0].paid is True
    with pytest.raises(ConfirmationRequired, match="pass --yes"):
        train(CLEAN, provider="openai", model="gpt-4o-mini")  # stdin is not a terminal here
    assert api_env.requests == []
