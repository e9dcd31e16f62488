"""`ftqa train --watch` and `ftqa runs analyze MANIFEST --watch` against the loopback provider
(127.0.0.1, started and stopped by each test): a job that runs, emits metrics and succeeds; one
that fails; a watch that times out and is resumed; Ctrl-C during the wait."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from loopback_provider import CLEAN, VAL, environment, ftqa_train, serve

OPENAI_CSV = Path(__file__).resolve().parent / "data" / "runs" / "openai_step_metrics.csv"
RUNS = [sys.executable, "-m", "ftqa", "runs", "analyze"]


@pytest.fixture
def provider():
    with serve() as state:
        state.result_csv = OPENAI_CSV.read_bytes()
        yield state


def _launch(provider, tmp_path: Path, model: str, *extra: str) -> subprocess.CompletedProcess:
    for source in (CLEAN, VAL):
        shutil.copy(source, tmp_path / source.name)
    return ftqa_train(
        provider,
        CLEAN.name,
        "--validation",
        VAL.name,
        "--provider",
        "openai",
        "--model",
        model,
        "--yes",
        "--output-dir",
        "run",
        "--watch",
        "--poll-interval",
        "0.05",
        *extra,
        cwd=tmp_path,
    )


def test_watch_follows_a_job_to_success_and_analyzes_its_metrics(provider, tmp_path):
    done = _launch(provider, tmp_path, "gpt-4o-mini")
    assert done.returncode == 0, done.stderr
    run = tmp_path / "run"
    assert (run / "ftqa-metrics.csv").read_bytes() == OPENAI_CSV.read_bytes()
    manifest = json.loads((run / "ftqa-manifest.json").read_text())
    assert manifest["status"] == "succeeded"
    analysis = json.loads((run / "ftqa-analysis.json").read_text())
    assert [f["rule"] for f in analysis["findings"]] == ["overfitting"]
    assert analysis["job"]["status"] == "succeeded"
    assert "job ftjob-1: running" in done.stdout
    assert "job ftjob-1: succeeded" in done.stdout
    assert "runs/overfitting" in done.stdout
    retrievals = provider.paths("GET")
    assert retrievals.count("/v1/fine_tuning/jobs/ftjob-1") == 2
    assert retrievals[-1].endswith("/content")


def test_watch_reports_a_failed_job(provider, tmp_path):
    done = _launch(provider, tmp_path, "fails-in-training")
    assert done.returncode == 1, done.stderr
    run = tmp_path / "run"
    manifest = json.loads((run / "ftqa-manifest.json").read_text())
    assert manifest["status"] == "failed"
    assert manifest["error"] == "Training failed: bad row"
    analysis = json.loads((run / "ftqa-analysis.json").read_text())
    [finding] = analysis["findings"]
    assert finding["rule"] == "job-failed"
    assert "Training failed: bad row" in finding["message"]
    assert not (run / "ftqa-metrics.csv").exists()


def test_a_watch_that_times_out_is_resumed_by_runs_analyze(provider, tmp_path):
    done = _launch(provider, tmp_path, "gpt-4o-mini", "--watch-timeout", "0.01")
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "is still `running` after 0.01 s of watching; resume with `ftqa runs analyze" in line
    manifest = tmp_path / "run" / "ftqa-manifest.json"
    assert json.loads(manifest.read_text())["status"] == "running"
    resumed = subprocess.run(
        [*RUNS, str(manifest), "--watch", "--poll-interval", "0.05", "--format", "json"],
        capture_output=True,
        text=True,
        env=environment(provider.port),
        timeout=120,
        check=False,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["curve"]["turning_step"] == 40
    assert json.loads(manifest.read_text())["status"] == "succeeded"


def test_ctrl_c_stops_the_wait_at_once_and_leaves_the_job_running(provider, tmp_path):
    for source in (CLEAN, VAL):
        shutil.copy(source, tmp_path / source.name)
    manifest = tmp_path / "run" / "ftqa-manifest.json"
    command = [sys.executable, "-m", "ftqa", "train", CLEAN.name, "--validation", VAL.name]
    command += ["--provider", "openai", "--model", "gpt-4o-mini", "--yes", "--output-dir", "run"]
    process = subprocess.Popen(
        [*command, "--watch", "--poll-interval", "600"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=environment(provider.port),
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not (manifest.exists() and '"running"' in manifest.read_text()):
            assert process.poll() is None
            assert time.monotonic() < deadline
            time.sleep(0.05)
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130
    assert time.monotonic() - started < 10  # not the 600 s poll interval
    assert "resume with `ftqa runs analyze" in out
    assert json.loads(manifest.read_text())["status"] == "running"  # not marked failed
    assert provider.paths("GET") == ["/v1/fine_tuning/jobs/ftjob-1"]
