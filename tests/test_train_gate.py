"""The training gate end to end: the real `openai` and `together` SDKs talk to a small HTTP
server on 127.0.0.1 (`loopback_provider`, started by the `provider` fixture for each test:
only the endpoints they use), and the tests assert what the SDKs actually sent. Nothing
leaves the machine."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import ftqa
from ftqa.config import load_settings
from ftqa.train import (
    ConfirmationRequired,
    StaleReport,
    TrainingRefused,
    config_fingerprint,
    read_manifest,
    train,
)
from ftqa.train.manifest import MANIFEST_NAME, REPORT_NAME
from loopback_provider import (
    API_KEY,
    CLEAN,
    COMMAND,
    DIRTY,
    DIRTY_RULE,
    VAL,
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


# --- openai ---------------------------------------------------------------------------------


def test_openai_uploads_the_checked_bytes_and_records_the_report_hash(provider, tmp_path):
    train_file, val_file = _copy(CLEAN, tmp_path), _copy(VAL, tmp_path)
    out = tmp_path / "run"
    done = ftqa_train(
        provider,
        train_file.name,
        "--validation",
        val_file.name,
        "--provider",
        "openai",
        "--model",
        "gpt-4o-mini-2024-07-18",
        "--epochs",
        "3",
        "--batch-size",
        "2",
        "--learning-rate-multiplier",
        "0.1",
        "--yes",
        "--output-dir",
        str(out),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # The SDK uploaded exactly the checked bytes, training file first.
    uploads = [r for r in provider.requests if r["path"] == "/v1/files"]
    assert len(uploads) == 2
    assert uploads[0]["form"]["file"] == ("clean.jsonl", train_file.read_bytes())
    assert uploads[0]["form"]["purpose"][1] == b"fine-tune"
    assert uploads[1]["form"]["file"] == ("val.jsonl", val_file.read_bytes())
    assert uploads[0]["headers"]["authorization"] == f"Bearer {API_KEY}"
    # The job carries the hyperparameters from the flags and the report hash.
    (job,) = provider.bodies("/v1/fine_tuning/jobs")
    report_sha = _sha(out / REPORT_NAME)
    assert job["model"] == "gpt-4o-mini-2024-07-18"
    assert job["training_file"] == "file-1"
    assert job["validation_file"] == "file-2"
    assert job["method"] == {
        "type": "supervised",
        "supervised": {
            "hyperparameters": {"n_epochs": 3, "batch_size": 2, "learning_rate_multiplier": 0.1}
        },
    }
    assert job["metadata"]["ftqa_report_sha256"] == report_sha
    assert job["metadata"]["ftqa_version"] == ftqa.__version__
    assert job["suffix"] == f"ftqa-{report_sha[:8]}"
    # The manifest ties it all together.
    manifest = read_manifest(out / MANIFEST_NAME)
    assert manifest.job_id == "ftjob-1"
    assert manifest.status == "validating_files"
    assert manifest.provider == "openai"
    assert manifest.base_model == "gpt-4o-mini-2024-07-18"
    assert manifest.report.sha256 == report_sha
    assert manifest.report.source == "checked now"
    assert manifest.config.sha256 == job["metadata"]["ftqa_config_sha256"]
    assert manifest.files["train"].sha256 == _sha(CLEAN)
    assert manifest.files["train"].provider_file_id == "file-1"
    assert manifest.files["validation"].sha256 == _sha(VAL)
    assert manifest.hyperparameters == {
        "n_epochs": 3,
        "batch_size": 2,
        "learning_rate_multiplier": 0.1,
    }
    assert manifest.hyperparameter_sources["n_epochs"] == "--epochs"
    assert manifest.accepted == []
    saved = json.loads((out / REPORT_NAME).read_bytes())
    assert saved["dataset"]["sha256"] == _sha(CLEAN)
    assert saved["summary"]["passed"] is True
    assert "ftjob-1" in done.stdout
    assert str(out / MANIFEST_NAME) in done.stdout


def test_openai_job_can_be_retrieved_and_hyperparameters_come_from_the_report(api_env, tmp_path):
    from ftqa.train.providers.openai_provider import OpenAITrainer

    checked = ftqa.check(CLEAN)
    advised = checked.model_copy(
        update={
            "recommendations": [
                "n_epochs: start with 8 (the usual starting range is 2–4); watch the loss.",
                "batch_size: about 1 for 12 examples (0.01%–4% of the training set).",
                "learning_rate_multiplier: try 0.02–0.2; with so few examples, start low "
                "(0.05) and raise it if the loss stays high.",
            ]
        }
    )
    result = train(
        CLEAN,
        provider="openai",
        model="gpt-4o-mini",
        report=advised,
        yes=True,
        output_dir=tmp_path / "run",
    )
    (job,) = api_env.bodies("/v1/fine_tuning/jobs")
    assert job["method"]["supervised"]["hyperparameters"] == {
        "n_epochs": 8,
        "batch_size": 1,
        "learning_rate_multiplier": 0.05,
    }
    assert set(result.manifest.hyperparameter_sources.values()) == {"report recommendation"}
    assert result.manifest.report.sha256 == hashlib.sha256(advised.to_json().encode()).hexdigest()
    status = OpenAITrainer().status(result.job_id)
    assert api_env.paths("GET") == [f"/v1/fine_tuning/jobs/{result.job_id}"]
    assert status["metadata"]["ftqa_report_sha256"] == result.manifest.report.sha256


# --- together -------------------------------------------------------------------------------


def test_together_uploads_the_checked_bytes_and_names_the_report(provider, tmp_path):
    train_file = _copy(CLEAN, tmp_path)
    out = tmp_path / "run"
    done = ftqa_train(
        provider,
        train_file.name,
        "--provider",
        "together",
        "--model",
        "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference",
        "--epochs",
        "2",
        "--batch-size",
        "8",
        "--learning-rate",
        "0.0001",
        "--lora",
        "--yes",
        "--output-dir",
        str(out),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (file_entry,) = provider.files.values()
    assert file_entry["data"] == train_file.read_bytes()
    assert file_entry["form"]["checksum"] == _sha(CLEAN)
    assert file_entry["form"]["purpose"] == "fine-tune"
    (job,) = provider.bodies("/v1/fine-tunes")
    report_sha = _sha(out / REPORT_NAME)
    assert job["training_file"] == "file-1"
    assert job["model"] == "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
    assert job["n_epochs"] == 2
    assert job["batch_size"] == 8
    assert job["learning_rate"] == pytest.approx(0.0001)
    assert job["training_type"]["type"] == "Lora"
    assert job["suffix"] == f"ftqa-{report_sha[:8]}"
    manifest = read_manifest(out / MANIFEST_NAME)
    assert manifest.job_id == "ft-1"
    assert manifest.report.sha256 == report_sha
    assert manifest.files["train"].provider_file_id == "file-1"
    assert "together fine-tuning retrieve ft-1" in done.stdout


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


def test_an_unknown_provider_or_a_flag_it_does_not_take_is_refused(api_env, capsys):
    cases = (
        (["--provider", "nope"], "unknown provider `nope` (installed providers: hf, openai"),
        (["--provider", "openai", "--learning-rate", "0.001"], "does not apply to provider"),
        (["--provider", "hf", "--learning-rate-multiplier", "2"], "(it takes: --epochs"),
        (["--provider", "openai", "--option", "colour=blue"], "has no option colour"),
    )
    for extra, expected in cases:
        code = train_cli([str(CLEAN), "--model", "gpt-4o-mini", *extra, "--yes"])
        assert code == 2
        assert expected in capsys.readouterr().err
    assert api_env.requests == []


def test_openai_refuses_a_format_it_cannot_train_on(api_env, tmp_path):
    alpaca = tmp_path / "alpaca.jsonl"
    alpaca.write_text(
        "".join(
            json.dumps({"instruction": f"Say the number {n} in words.", "output": word}) + "\n"
            for n, word in enumerate(["zero", "one", "two", "three", "four", "five"])
        ),
        encoding="utf-8",
    )
    from ftqa.train import LaunchError

    with pytest.raises(LaunchError, match="openai fine-tunes on chat data"):
        train(alpaca, provider="openai", model="gpt-4o-mini", yes=True)
    assert api_env.requests == []


@pytest.mark.parametrize(
    ("name", "module", "extra"),
    [
        ("openai", "openai", "openai"),
        ("together", "together", "together"),
        ("hf", "torch", "hf-train"),
    ],
)
def test_a_provider_without_its_extra_says_what_to_install(monkeypatch, name, module, extra):
    from ftqa.train import ProviderUnavailable

    monkeypatch.setitem(sys.modules, module, None)  # as if the package were not installed
    with pytest.raises(ProviderUnavailable, match=rf"needs the `{module}` package") as caught:
        train(DIRTY, provider=name, model="m", dry_run=True)
    assert f"pip install 'ftqa[{extra}]'" in str(caught.value)


def test_a_launch_the_provider_rejects_leaves_a_failed_manifest(api_env, tmp_path):
    from ftqa.train import LaunchError

    with pytest.raises(
        LaunchError, match=r"HTTP 400.*no-such-model.*already uploaded: train=file-1"
    ):
        train(CLEAN, provider="openai", model="no-such-model", yes=True, output_dir=tmp_path)
    manifest = read_manifest(tmp_path / MANIFEST_NAME)
    assert manifest.status == "failed"
    assert manifest.job_id is None
    assert "does not exist" in manifest.error
    assert manifest.report.sha256 == _sha(tmp_path / REPORT_NAME)
