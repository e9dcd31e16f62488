"""Run isolated checkers in a worker process, in parallel with the others, on large files.

A checker that declares `isolated = True` needs nothing another checker computes for a row and
writes no per-row measures, so it can make its own pass over the files in a second process while
this process makes the pass for every other checker. Each pass reads and parses the files
itself: parsing is a small share of a full check, and sending parsed rows between processes
would cost more than parsing them again. The worker's report is merged into this one.

The worker is `python -m ftqa.parallel JOB RESULT`, a fresh interpreter (not a fork, so it
inherits no threads or loaded models, and scripts that call `ftqa.check` need no
`if __name__ == "__main__"` guard). The job is plain JSON: file paths, resolved settings, the
checker ids to run. If the worker cannot start or fails, its checkers run here after the main
pass, so a report always covers every selected checker.

The worker never outlives the run: this process kills it when the run ends in any way (an
error, Ctrl-C, SIGTERM, which `ftqa` raises as an exception) and removes its temporary folder.
If this process dies without cleaning up (SIGKILL), the worker notices (on Linux the kernel
signals it at once through `PR_SET_PDEATHSIG`; everywhere a thread polls the parent's pid),
removes the folder and exits.

`FTQA_PARALLEL`: `auto` (default, and any unrecognised value: files of 16 MB or more, at least
2 CPUs), `1`/`yes`/`on`/`true` (whenever there is something to split), `0`/`no`/`off`/`false`
(never).
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

from ftqa.config import Settings, settings_from_mapping, settings_to_mapping
from ftqa.engine import Inputs, ProgressHook
from ftqa.engine import run as run_pass
from ftqa.finding import Finding, Severity
from ftqa.load import Limits, Source, open_path
from ftqa.registry import load_checker
from ftqa.report import Report, Summary

MODE_VARIABLE = "FTQA_PARALLEL"
MIN_BYTES = 16 << 20
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
PARENT_POLL_SECONDS = 0.5


def run(inputs: Inputs, settings: Settings, progress: ProgressHook | None = None) -> Report:
    """Like `ftqa.engine.run`, with isolated checkers in a worker process when it pays off."""
    apart = plan(inputs, settings)
    if not apart:
        return run_pass(inputs, settings, progress)
    worker = _Worker.start(inputs, settings, apart)
    failure = "it could not be started"
    try:
        main = run_pass(inputs, settings, progress, skip=apart)
        other = worker.result() if worker is not None else None
        if worker is not None and other is None:
            failure = worker.failure()
    finally:
        if worker is not None:
            worker.stop()
    if other is None:
        other = run_pass(_reopened(inputs), settings, None, only=apart)
        note = f"ran in the main process: the worker process failed ({failure})"
        other = _noted(other, apart, note)
    return merge(main, other, apart)


def _noted(report: Report, ids: frozenset[str], note: str) -> Report:
    checks = [
        run.model_copy(update={"note": "; ".join(filter(None, [note, run.note]))})
        if run.id in ids
        else run
        for run in report.checks
    ]
    return report.model_copy(update={"checks": checks})


def plan(inputs: Inputs, settings: Settings) -> frozenset[str]:
    """Ids of the checkers to run in a worker (empty: run everything in this process)."""
    mode = os.environ.get(MODE_VARIABLE, "auto").strip().lower()
    if mode in ("0", "no", "off", "false", "never"):
        return frozenset()
    always = mode in ("1", "yes", "on", "true", "always")
    sources = [*inputs.train, *inputs.validation, *inputs.references]
    if not sources or any(source.limits is None for source in sources):
        return frozenset()  # in-memory data cannot be read again by another process
    small = sum(source.size or 0 for source in sources) < MIN_BYTES
    if not always and (small or _cpus() < 2):
        return frozenset()
    active = [cls for cls in settings.candidates() if settings.checker_active(cls)]
    isolated = frozenset(cls.id for cls in active if getattr(cls, "isolated", False))
    if not isolated or len(isolated) == len(active):
        return frozenset()
    return isolated


def merge(main: Report, other: Report, ids: frozenset[str]) -> Report:
    """`main` (every checker but `ids`) completed with the checkers of `ids` from `other`."""
    stats = dict(main.stats)
    for check_id in sorted(ids):
        if check_id in other.stats:
            stats[check_id] = other.stats[check_id]
    by_rule = {**main.stats.get("findings_by_rule", {}), **other.stats.get("findings_by_rule", {})}
    stats["findings_by_rule"] = dict(sorted(by_rule.items()))
    theirs = {run.id: run for run in other.checks if run.id in ids}
    # The order of a single pass: checkers that ran in (order, id) order, then skipped ones.
    checks = sorted(
        (theirs.get(run.id, run) for run in main.checks),
        key=lambda run: (
            (1, 0, "") if run.status == "skipped" else (0, load_checker(run.id).order, run.id)
        ),
    )
    counts = {
        Severity.ERROR: main.summary.errors + other.summary.errors,
        Severity.WARNING: main.summary.warnings + other.summary.warnings,
        Severity.INFO: main.summary.infos + other.summary.infos,
    }
    fail_on = main.summary.fail_on
    failing = sum(count for severity, count in counts.items() if severity.at_least(fail_on))
    summary = Summary(
        errors=counts[Severity.ERROR],
        warnings=counts[Severity.WARNING],
        infos=counts[Severity.INFO],
        passed=failing == 0 and not any(run.status == "failed" for run in checks),
        fail_on=fail_on,
    )
    return main.model_copy(
        update={
            "findings": sorted([*main.findings, *other.findings], key=Finding.sort_key),
            "stats": stats,
            "checks": checks,
            "summary": summary,
            "cost": main.cost or other.cost,
            "recommendations": [*main.recommendations, *other.recommendations],
        }
    )


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _reopened(inputs: Inputs) -> Inputs:
    def again(sources: list[Source]) -> list[Source]:
        return [open_path(source.path, source.limits) for source in sources]

    return Inputs(
        train=again(inputs.train),
        validation=again(inputs.validation),
        references=again(inputs.references),
        model=inputs.model,
        epochs=inputs.epochs,
    )


class _Worker:
    """The worker process and its two files: the job it reads, the report it writes."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        folder: tempfile.TemporaryDirectory[str],
        stderr: Any,
    ) -> None:
        self.process = process
        self.folder = folder
        self.stderr = stderr  # a file, not a pipe: a full pipe would stall the worker
        self.output = Path(folder.name) / "report.json"

    @classmethod
    def start(cls, inputs: Inputs, settings: Settings, ids: frozenset[str]) -> _Worker | None:
        folder = tempfile.TemporaryDirectory(prefix="ftqa-worker-", ignore_cleanup_errors=True)
        job_path = Path(folder.name) / "job.json"
        job = {
            "sys_path": sys.path,
            "parent": os.getpid(),
            "origin": settings.origin,
            "settings": settings_to_mapping(settings, sorted(ids)),
            "only": sorted(ids),
            "train": [source.path for source in inputs.train],
            "validation": [source.path for source in inputs.validation],
            "references": [source.path for source in inputs.references],
            "limits": dataclasses.asdict(inputs.train[0].limits or Limits()),
            "model": inputs.model,
            "epochs": inputs.epochs,
        }
        stderr = None
        process = None
        try:
            job_path.write_text(json.dumps(job), encoding="utf-8")
            stderr = (Path(folder.name) / "stderr.txt").open("w+b")
            process = subprocess.Popen(
                [sys.executable, "-m", "ftqa.parallel", str(job_path), folder.name],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
            return cls(process, folder, stderr)
        except BaseException as error:  # failed or interrupted while starting: leave nothing
            if process is not None:
                process.kill()
                process.wait()
            if stderr is not None:
                stderr.close()
            folder.cleanup()
            if isinstance(error, (OSError, TypeError, ValueError)):
                return None
            raise

    def result(self) -> Report | None:
        self.process.wait()
        if self.process.returncode != 0 or not self.output.is_file():
            return None
        try:
            return Report.model_validate_json(self.output.read_bytes())
        except ValueError:
            return None

    def failure(self) -> str:
        """Why the worker gave no report: its exit status and last line of output."""
        self.stderr.seek(0)
        lines = self.stderr.read()[-4096:].decode("utf-8", "replace").strip().splitlines()
        last = f": {lines[-1].strip()}" if lines else ""
        return f"exit status {self.process.returncode}{last}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.stderr.close()
        self.folder.cleanup()


def _die_with_parent(parent: int, folder: str) -> None:
    """Make this worker end, removing `folder`, when the process that started it is gone.

    SIGTERM and SIGINT end the worker at once, folder removed (a worker has nothing to save;
    a parent still alive sees the worker failed and runs its checkers itself). On Linux the
    kernel sends SIGTERM when the parent dies; a thread polling the parent's pid covers other
    systems and the moment before `prctl` took effect.
    """

    def abandon() -> NoReturn:
        shutil.rmtree(folder, ignore_errors=True)
        os._exit(1)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        # Whoever sent it, the worker's result is lost: remove the folder. (The parent's pid
        # may still show here when the kernel's death signal came as its first thread ended.)
        shutil.rmtree(folder, ignore_errors=True)
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if sys.platform.startswith("linux"):
        # Without the libc symbol the polling thread below still does the job.
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:
        abandon()

    def watch() -> None:
        while os.getppid() == parent:
            threading.Event().wait(PARENT_POLL_SECONDS)
        abandon()

    threading.Thread(target=watch, name="ftqa-parent-watch", daemon=True).start()


def _work(job_path: str, folder: str) -> int:
    job: dict[str, Any] = json.loads(Path(job_path).read_text(encoding="utf-8"))
    _die_with_parent(job["parent"], folder)
    sys.path[:] = job["sys_path"]
    settings = settings_from_mapping(job["settings"], job["origin"])
    limits = Limits(**job["limits"])
    inputs = Inputs(
        train=[open_path(path, limits) for path in job["train"]],
        validation=[open_path(path, limits) for path in job["validation"]],
        references=[open_path(path, limits) for path in job["references"]],
        model=job["model"],
        epochs=job["epochs"],
    )
    report = run_pass(inputs, settings, None, only=frozenset(job["only"]))
    Path(folder, "report.json").write_text(report.to_json(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(_work(sys.argv[1], sys.argv[2]))
