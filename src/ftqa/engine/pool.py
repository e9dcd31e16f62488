"""The worker processes of the `process` executor, and how jobs reach them.

Jobs are handed to idle workers in order, at most `window` ahead of the first unfinished one
(so finished results waiting for an earlier job stay bounded), and results are yielded in job
order. A worker that dies takes its job back: the caller maps it in this process instead.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import selectors
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO

from ftqa.engine.plan import RunPlan
from ftqa.engine.worker import Job, JobResult, receive, send


class _Worker:
    def __init__(self, setup: bytes) -> None:
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ftqa.engine.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
        )
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.stdin: IO[bytes] = self.process.stdin
        self.stdout: IO[bytes] = self.process.stdout
        self.job: int | None = None
        self.stdin.write(setup)
        self.stdin.flush()

    def give(self, index: int, job: Job) -> bool:
        self.job = index
        try:
            send(self.stdin, job)
        except (BrokenPipeError, OSError):
            return False
        return True

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.stdin, self.stdout, self.stderr):
            with contextlib.suppress(OSError):
                stream.close()

    def failure(self) -> str:
        self.stderr.seek(0)
        lines = self.stderr.read().decode("utf-8", "replace").strip().splitlines()
        code = self.process.poll()
        return lines[-1] if lines else f"it exited with code {code}"


@dataclass
class _Run:
    """The state of handing out one run's jobs."""

    jobs: Sequence[Job]
    window: int
    following: int  # the next index to yield
    idle: list[_Worker]
    queued: int = -1  # the next index to hand out
    done: dict[int, JobResult | None] = field(default_factory=dict)
    selector: selectors.BaseSelector = field(default_factory=selectors.DefaultSelector)

    def __post_init__(self) -> None:
        self.queued = self.following


class WorkerPool:
    def __init__(self, size: int, plan: RunPlan) -> None:
        header = (os.getpid(), list(sys.path), pickle.dumps(plan))
        data = pickle.dumps(header, protocol=pickle.HIGHEST_PROTOCOL)
        setup = len(data).to_bytes(8, "little") + data
        self.workers = [_Worker(setup) for _ in range(size)]
        self.lost: list[str] = []  # why workers died, for the report

    def results(
        self, jobs: Sequence[Job], window: int, first: int = 0
    ) -> Iterator[tuple[int, JobResult | None]]:
        """(index, result) in job order from `first` on (jobs before it are mapped elsewhere);
        None when the job's worker died (map it elsewhere). The first jobs are handed out
        before this returns, so workers start while the caller does something else."""
        run = _Run(jobs, window, first, list(self.workers))
        self._hand_out(run)
        return self._collect(run)

    def _hand_out(self, run: _Run) -> None:
        while run.idle and run.queued < len(run.jobs) and run.queued < run.following + run.window:
            worker = run.idle.pop()
            if worker.give(run.queued, run.jobs[run.queued]):
                run.selector.register(worker.stdout, selectors.EVENT_READ, worker)
            else:
                self._lose(worker)
                run.done[run.queued] = None
            run.queued += 1

    def _collect(self, run: _Run) -> Iterator[tuple[int, JobResult | None]]:
        done = run.done
        try:
            while run.following < len(run.jobs):
                self._hand_out(run)
                if run.following in done:
                    yield run.following, done.pop(run.following)
                    run.following += 1
                    continue
                if not run.selector.get_map():
                    # Nothing runs and the next job is not done: no worker is left for it.
                    done[run.following] = None
                    run.queued = max(run.queued, run.following + 1)
                    continue
                for key, _ in run.selector.select():
                    worker = key.data
                    run.selector.unregister(worker.stdout)
                    index = worker.job
                    assert index is not None
                    try:
                        done[index] = receive(worker.stdout)
                        run.idle.append(worker)
                    except (EOFError, OSError, pickle.UnpicklingError):
                        self._lose(worker)
                        done[index] = None
        finally:
            run.selector.close()

    def _lose(self, worker: _Worker) -> None:
        self.lost.append(worker.failure())
        worker.stop()
        self.workers.remove(worker)

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.workers.clear()


def cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
