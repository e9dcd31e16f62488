"""`ftqa train` and its providers: no provider is waited for forever, SIGTERM mid-launch leaves
a `failed` manifest and no private copies, no credential is printed or stored, and nothing a
provider returns can change what a printed command does.

Providers are real SDKs against servers on 127.0.0.1 started by the tests
(`loopback_provider`: one that answers, one that accepts and never answers); `ftqa train`
runs as a real process, since exit codes, signals and printed text are the point."""

from __future__ import annotations

import ast
import importlib.util
import json
import shlex
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from ftqa.train.manifest import MANIFEST_NAME
from loopback_provider import (
    API_KEY,
    CLEAN,
    COMMAND,
    environment,
    ftqa_train,
    silent,
)


def _copy(source: Path, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / source.name
    target.write_bytes(source.read_bytes())
    return target


# --- providers that never answer -----------------------------------------------------------


def _env_for(port: int, temp: Path) -> dict[str, str]:
    env = environment(port)
    env["TMPDIR"] = str(temp)
    env.pop("FTQA_DEBUG", None)
    return env


@pytest.mark.parametrize("name", ["openai", "together"])
def test_a_provider_that_never_answers_fails_within_the_timeouts(tmp_path, name):
    data = _copy(CLEAN, tmp_path)
    temp = tmp_path / "tmp"
    temp.mkdir()
    with silent() as server:
        started = time.monotonic()
        done = subprocess.run(
            [
                *COMMAND,
                data.name,
                "--provider",
                name,
                "--model",
                "m",
                "--yes",
                "--read-timeout",
                "1",
                "--connect-timeout",
                "1",
                "--retries",
                "1",
                "--output-dir",
                "run",
            ],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=_env_for(server.port, temp),
            stdin=subprocess.DEVNULL,
            timeout=300,
            check=False,
        )
        elapsed = time.monotonic() - started
        attempts = server.connections
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "did not answer in time (connect 1 s, read 1 s, 1 retry" in line
    assert attempts == 2  # the first request and one retry, then it gave up
    assert elapsed < 120
    manifest = json.loads((tmp_path / "run" / MANIFEST_NAME).read_text())
    assert manifest["status"] == "failed"
    assert "did not answer in time" in manifest["error"]
    assert list(temp.iterdir()) == []  # the private copies of the files are gone


def test_sigterm_during_the_launch_marks_the_manifest_failed_and_removes_the_copies(tmp_path):
    data = _copy(CLEAN, tmp_path)
    temp = tmp_path / "tmp"
    temp.mkdir()
    manifest_path = tmp_path / "run" / MANIFEST_NAME
    with silent() as server:
        process = subprocess.Popen(
            [
                *COMMAND,
                data.name,
                "--provider",
                "openai",
                "--model",
                "m",
                "--yes",
                "--read-timeout",
                "600",
                "--output-dir",
                "run",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
            env=_env_for(server.port, temp),
            stdin=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 120
            while not (manifest_path.exists() and server.connections):
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline, "the launch never reached the provider"
                time.sleep(0.1)
            assert json.loads(manifest_path.read_text())["status"] == "launching"
            assert any(temp.iterdir())  # the private copy being uploaded
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 143, stderr
    manifest = json.loads(manifest_path.read_text())
    assert manifest["status"] == "failed"
    assert manifest["error"].startswith("Terminated")
    assert list(temp.iterdir()) == []


@pytest.mark.skipif(
    any(importlib.util.find_spec(module) is None for module in ("torch", "trl")),
    reason="the hf provider needs torch and trl (the hf-train extra)",
)
def test_an_unreachable_hub_fails_the_hf_launch_within_the_timeouts(tmp_path):
    data = _copy(CLEAN, tmp_path)
    with silent() as server:
        env = _env_for(server.port, tmp_path)
        env.update(
            HF_ENDPOINT=f"http://127.0.0.1:{server.port}",
            HF_HUB_OFFLINE="0",
            HF_HOME=str(tmp_path / "hf"),
        )
        started = time.monotonic()
        done = subprocess.run(
            [
                *COMMAND,
                data.name,
                "--provider",
                "hf",
                "--model",
                "org/model",
                "--read-timeout",
                "1",
                "--retries",
                "0",
                "--output-dir",
                "run",
            ],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            timeout=300,
            check=False,
        )
        elapsed = time.monotonic() - started
    assert done.returncode == 2, done.stderr
    assert "the Hugging Face Hub" in done.stderr
    assert "did not answer about org/model in time" in done.stderr
    assert elapsed < 150


# --- credentials and provider-supplied text ------------------------------------------------


def test_a_provider_error_quoting_the_api_key_never_shows_it(provider, tmp_path):
    data = _copy(CLEAN, tmp_path)
    done = ftqa_train(
        provider,
        data.name,
        "--provider",
        "openai",
        "--model",
        "echo-the-key",
        "--yes",
        "--output-dir",
        "run",
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert "Incorrect API key provided" in done.stderr  # the provider's words are kept
    assert API_KEY not in done.stderr + done.stdout
    assert API_KEY not in (tmp_path / "run" / MANIFEST_NAME).read_text()


def test_credentials_in_the_base_url_are_never_printed_or_stored(provider, tmp_path):
    data = _copy(CLEAN, tmp_path)
    base = f"http://ftqa-user:hunter2-not-real@127.0.0.1:{provider.port}/v1"
    done = ftqa_train(
        provider,
        data.name,
        "--provider",
        "openai",
        "--model",
        "m",
        "--yes",
        "--base-url",
        base,
        "--output-dir",
        "run",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    stored = (tmp_path / "run" / MANIFEST_NAME).read_text()
    for text in (done.stdout, done.stderr, stored):
        assert "hunter2-not-real" not in text
    assert f"http://[secret]@127.0.0.1:{provider.port}/v1" in stored


def test_job_ids_from_the_provider_are_quoted_in_printed_commands(provider, tmp_path):
    provider.job_id_format = "ftjob-{number}; touch pwned #'\"$(id)"
    job_id = provider.job_id_format.format(number=1)
    data = _copy(CLEAN, tmp_path)
    done = ftqa_train(
        provider,
        data.name,
        "--provider",
        "openai",
        "--model",
        "m",
        "--yes",
        "--output-dir",
        "run",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    lines = {
        line.split(": ", 1)[0].strip(): line.split(": ", 1)[1]
        for line in done.stdout.splitlines()
        if line.startswith("  ") and ": " in line
    }
    status = shlex.split(lines["status"])
    assert status[:2] == ["python", "-c"]
    assert len(status) == 3
    call = ast.parse(status[2]).body[1].value  # print(...retrieve(JOB_ID).status)
    assert [node.value for node in ast.walk(call) if isinstance(node, ast.Constant)] == [job_id]
    events = shlex.split(lines["events"])
    assert events[:2] == ["curl", "-s"]
    assert len(events) == 5
    assert events[2].endswith(f"/fine_tuning/jobs/{quote(job_id, safe='')}/events")
    assert not (tmp_path / "pwned").exists()
    manifest = json.loads((tmp_path / "run" / MANIFEST_NAME).read_text())
    assert manifest["job_id"] == job_id
    assert any(line.startswith("status: python -c ") for line in manifest["follow"])
