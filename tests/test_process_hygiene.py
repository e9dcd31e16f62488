"""Processes and time: a run ends cleanly whatever happens to it.

Real `ftqa check` processes are started, their worker process (`--executor process`) is found
through /proc, and real signals are sent. A real plugin checker that never returns holds the
run (or the worker) open for as long as the test needs. Each run gets its own TMPDIR, so
"no temporary directory left" means that directory is empty.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from plugin_dist import installed_plugin

DATA = Path(__file__).resolve().parent / "data" / "train"

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="finds worker processes through /proc"
)

HANGS = """
import threading
import ftqa


class Hangs(ftqa.Checker):
    id = "hangs"
    summary = "Never returns."
    rules = (ftqa.Rule("seen", ftqa.Severity.INFO, "A row was seen."),)
    pure_map = True

    def map(self, record, provided):
        if {busy} and record.row == 2:
            while True:  # pure Python: interruptible between bytecodes
                pass
        return ftqa.RowResult([self.finding("seen", "seen", record)])

    def finish(self):
        threading.Event().wait()  # blocks in a lock, forever
        yield from ()
"""


def _plugin(root: Path, *, busy: bool = False) -> Path:
    """A real installed distribution (dist-info with an entry point, one module)."""
    return installed_plugin(
        root, "hangs", "hangs = hangs:Hangs", "hangs", HANGS.format(busy=busy), folder="site"
    )


def _env(site: Path, tmp: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "FTQA_DEBUG"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    env["TMPDIR"] = str(tmp)
    return env


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_for(condition: Callable[[], object], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _start_with_hung_worker(tmp_path: Path) -> tuple[subprocess.Popen[str], int, Path]:
    """`ftqa check` whose worker maps with a checker that never returns (no time limit)."""
    site = _plugin(tmp_path, busy=True)
    temp = tmp_path / "tmp"
    temp.mkdir()
    data = tmp_path / "data" / "clean.jsonl"
    data.parent.mkdir()
    data.write_bytes((DATA / "clean.jsonl").read_bytes())
    (data.parent / "ftqa.toml").write_text(
        'checker-timeout = 0\nselect = ["hangs"]\ncache = false\n'
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "ftqa", "check", str(data), "--executor", "process", "--jobs", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(site, temp),
        start_new_session=True,
    )
    try:
        _wait_for(lambda: _children(process.pid), 120, "the worker process")
        (worker,) = _children(process.pid)
        _wait_for(lambda: _busy(worker), 120, "the worker to run the checker")
    except BaseException:
        os.killpg(process.pid, signal.SIGKILL)  # never leave a run spinning behind a failure
        process.communicate()
        raise
    return process, worker, temp


def _busy(pid: int) -> bool:
    """The process is running (state R), as it is inside the endless loop."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "R"
    except OSError:
        return False


def test_sigterm_stops_the_worker_and_leaves_no_temporary_file(tmp_path: Path):
    process, worker, temp = _start_with_hung_worker(tmp_path)
    try:
        time.sleep(1.0)  # let the worker get into the checker that never returns
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 143
    assert stderr.strip().splitlines() == [
        "ftqa: error: terminated (SIGTERM); temporary files were removed"
    ]
    _wait_for(lambda: not _alive(worker), 10, "the worker to end")
    assert list(temp.iterdir()) == []


def test_sigint_stops_the_worker_too(tmp_path: Path):
    process, worker, temp = _start_with_hung_worker(tmp_path)
    try:
        time.sleep(1.0)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 130
    assert "Traceback" not in stderr
    _wait_for(lambda: not _alive(worker), 10, "the worker to end")
    assert list(temp.iterdir()) == []


def test_the_worker_dies_with_its_parent(tmp_path: Path):
    """SIGKILL leaves the parent no chance to clean up: the worker notices on its own."""
    process, worker, temp = _start_with_hung_worker(tmp_path)
    try:
        time.sleep(1.0)
        process.kill()
        process.communicate(timeout=60)
        _wait_for(lambda: not _alive(worker), 15, "the orphaned worker to end")
    finally:
        if _alive(worker):
            os.kill(worker, signal.SIGKILL)
    assert list(temp.iterdir()) == []


@pytest.mark.parametrize("executor", ["local", "process"])
def test_a_checker_that_never_returns_times_out_and_the_run_completes(
    tmp_path: Path, executor: str
):
    site = _plugin(tmp_path, busy=True)
    data = tmp_path / "data" / "clean.jsonl"
    data.parent.mkdir()
    data.write_bytes((DATA / "clean.jsonl").read_bytes())
    # Only cheap checkers beside it: a 1 s limit is far below what loading a tokenizer or an
    # embedding model may take on a busy machine.
    (data.parent / "ftqa.toml").write_text('checker-timeout = 1\nselect = ["format", "hangs"]\n')
    temp = tmp_path / "tmp"
    temp.mkdir()
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ftqa",
            "check",
            str(data),
            "--format",
            "json",
            "--executor",
            executor,
        ],
        capture_output=True,
        text=True,
        env=_env(site, temp),
        timeout=300,
        check=False,
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 1, result.stderr  # a failed checker fails the run
    report = json.loads(result.stdout)
    runs = {run["id"]: run for run in report["checks"]}
    assert runs["hangs"]["status"] == "failed"
    assert runs["hangs"]["note"] == "checker failed: timed out after 1 s (checker-timeout)"
    assert runs["format"]["status"] == "ran"
    assert report["config"]["changes"] == [
        "selects only format, hangs",
        "checker-timeout = 1 (default 600)",
    ]
    assert elapsed < 120
    assert list(temp.iterdir()) == []


TIMEOUT_API = """
import signal, sys, time
import ftqa

before = signal.getsignal(signal.SIGALRM)
report = ftqa.check(sys.argv[1], config={"checker-timeout": 0.5}, select=["format", "hangs"])
runs = {run.id: run for run in report.checks}
assert runs["hangs"].status == "failed", runs
assert runs["format"].status == "ran", runs
assert signal.getsignal(signal.SIGALRM) is before, "the previous SIGALRM handler is restored"
started = time.monotonic()
time.sleep(1.5)  # nothing interrupts the program after the run
assert time.monotonic() - started >= 1.4
again = ftqa.check(sys.argv[1], config={"checker-timeout": 0.5}, select=["format", "hangs"])
assert {run.id: run.status for run in again.checks}["hangs"] == "failed"
print("ok")
"""


def test_the_time_limit_leaves_the_process_as_it_was(tmp_path: Path):
    site = _plugin(tmp_path, busy=True)
    result = subprocess.run(
        [sys.executable, "-c", TIMEOUT_API, str(DATA / "clean.jsonl")],
        capture_output=True,
        text=True,
        env=_env(site, tmp_path),
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
