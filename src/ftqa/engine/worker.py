"""A worker process of the `process` executor: `python -m ftqa.engine.worker`.

A fresh interpreter (not a fork, so it inherits no threads or loaded models, and scripts that
call `ftqa.check` need no `if __name__ == "__main__"` guard). It reads framed messages on stdin:
first the run plan, then jobs (a byte range of a JSON Lines file, or a whole file), and answers
each job with its mapped rows on stdout. Messages are pickles exchanged only with the ftqa
process that started it, never data from a dataset file.

It never outlives the run: on Linux the kernel sends it SIGTERM when its parent dies; a thread
polling the parent's pid covers other systems.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import pickle
import signal
import struct
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, BinaryIO, NoReturn

from ftqa.engine.cached_mapping import attach
from ftqa.engine.collection import out_of_collection
from ftqa.engine.mapping import BOOKKEEPING, MappedRow, Mapper
from ftqa.engine.plan import RunPlan
from ftqa.engine.transport import BOOKKEEPING as TRANSPORT_BOOKKEEPING
from ftqa.engine.transport import Combined, combined_features, pack_rows, unpack_rows
from ftqa.errors import FtqaError, InputError
from ftqa.finding import Finding
from ftqa.load import Limits, open_path
from ftqa.load.chunks import ByteRange, read_range
from ftqa.timelimit import CallTimer

HEADER = struct.Struct("<Q")
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
PARENT_POLL_SECONDS = 0.5


@dataclass(frozen=True)
class Job:
    split: str
    path: str
    limits: Limits
    part: ByteRange | None = None  # None: the whole file


@dataclass
class JobResult:
    rows: list[MappedRow] = field(default_factory=list)
    counted: int = 0
    formats: Counter[str] = field(default_factory=Counter)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (checker index, failure)
    seconds: list[float] = field(default_factory=list)
    sha256: str | None = None  # whole-file jobs: the file as read
    refused: tuple[str, str] | None = None  # (path, message) of an input that cannot be read
    cache_hits: int = 0
    cache_misses: int = 0
    peak_rss_mb: float = 0.0  # of the process that mapped the job, when it finished
    wall_seconds: float = 0.0  # reading, parsing, normalizing and mapping the job
    packed: bytes | None = None  # `rows` for the journey (`ftqa.engine.transport`)
    findings: list[Finding] = field(default_factory=list)  # the packed rows' findings
    combined: list[Combined] = field(default_factory=list)

    def for_transport(self, mapper: Mapper | None = None) -> JobResult:
        """Itself with the features of `mapper`'s checkers that `combine` them combined, and
        its rows packed when their features are plain data."""
        self.combined = combined_features(mapper, self.rows) if mapper is not None else []
        packed = pack_rows(self.rows, self.combined)
        if packed is not None:
            self.packed, self.findings = packed
            self.rows, self.combined = [], []
        return self

    def mapped_rows(self) -> list[MappedRow]:
        """Its rows, unpacked; raises `TransportError` when they cannot be."""
        if self.packed is None:
            return self.rows
        with out_of_collection():
            rows, self.combined = unpack_rows(self.packed, self.findings)
        self.packed, self.findings = None, []
        return rows


def send(stream: BinaryIO, message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def receive(stream: BinaryIO) -> Any:
    head = _exactly(stream, HEADER.size)
    if head is None:
        raise EOFError
    (size,) = HEADER.unpack(head)
    data = _exactly(stream, size)
    if data is None:
        raise EOFError
    with out_of_collection():
        return pickle.loads(data)  # noqa: S301 - a message from the ftqa process that started us


def _exactly(stream: BinaryIO, size: int) -> bytes | None:
    chunks = []
    left = size
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def map_job(mapper: Mapper, job: Job) -> JobResult:
    """Map one job's rows; checker failures and timings are this job's alone."""
    for state in mapper.states:
        state.error = None
        state.error_row = None
        state.seconds = 0.0
    started = time.perf_counter()
    result = JobResult()
    counts = mapper.cache.cache if mapper.cache is not None else None
    hits, misses = (counts.hits, counts.misses) if counts is not None else (0, 0)
    try:
        if job.part is not None:
            records = read_range(job.path, job.limits, job.part)
            result.rows = list(mapper.records(records, job.split))
        else:
            source = open_path(job.path, job.limits)
            result.rows = list(mapper.records(source.records(), job.split))
            result.sha256 = source.sha256
    except InputError as error:
        result.refused = (error.path, error.reason)
        return result
    except FtqaError as error:
        result.refused = (job.path, str(error))
        return result
    for row in result.rows:
        if row.row >= 0:
            result.counted += 1
            if row.format is not None:
                result.formats[row.format] += 1
    result.errors = [
        (index, state.error) for index, state in enumerate(mapper.states) if state.error
    ]
    result.seconds = [state.seconds for state in mapper.states]
    if counts is not None:
        result.cache_hits, result.cache_misses = counts.hits - hits, counts.misses - misses
    result.peak_rss_mb = peak_rss_mb()
    result.wall_seconds = time.perf_counter() - started
    return result


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB (0 where it cannot be read)."""
    try:
        import resource
    except ImportError:  # not on POSIX
        return 0.0
    scale = 1 if sys.platform == "darwin" else 1024
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1e6, 1)


def _die_with_parent(parent: int) -> None:
    def abandon() -> NoReturn:
        os._exit(1)

    def on_signal(signum: int, frame: FrameType | None) -> None:
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


def main() -> int:
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but messages may reach the parent's pipe
    parent, sys_path, plan = receive(stdin)
    _die_with_parent(parent)
    sys.path[:] = sys_path
    plan = pickle.loads(plan)  # noqa: S301 - the plan ftqa itself sent
    assert isinstance(plan, RunPlan)
    timer = CallTimer(plan.settings.globals.checker_timeout, BOOKKEEPING | TRANSPORT_BOOKKEEPING)
    with timer:
        mapper = Mapper.build(plan, timer, plan.checkers())
        cache = attach(mapper, plan)
        gc.freeze()
        try:
            while True:
                try:
                    job = receive(stdin)
                except EOFError:
                    return 0
                # A job's rows and results hold no reference cycles and die with the job:
                # cyclic collections while they live walk them all again and again (measured:
                # a worker's warm 100k rows, 18 s of CPU with them, 11 s without).
                gc.disable()
                try:
                    send(stdout, map_job(mapper, job).for_transport(mapper))
                finally:
                    gc.enable()
                    gc.collect()
        finally:
            if cache is not None:
                cache.close()


if __name__ == "__main__":
    # Run the module under its import name, so what it sends pickles as ftqa.engine.worker.*.
    from ftqa.engine import worker

    raise SystemExit(worker.main())
