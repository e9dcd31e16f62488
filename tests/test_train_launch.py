"""Launching on each provider: the real `openai` and `together` SDKs upload the checked bytes
to a small HTTP server on 127.0.0.1 (`loopback_provider`, started by the `provider` fixture for
each test), and the tests assert what the SDKs actually sent and what the manifest records;
providers that cannot take the files, or are not installed, stop the launch first."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

import ftqa
from ftqa.train import (
    read_manifest,
    train,
)
from ftqa.train.manifest import MANIFEST_NAME, REPORT_NAME
from loopback_provider import (
    API_KEY,
    CLEAN,
    DIRTY,
    VAL,
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
