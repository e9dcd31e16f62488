"""The `process` executor: N worker processes map chunks of the inputs — newline-aligned byte
ranges of JSON Lines files, whole files for other layouts — while this process reduces the
results in (split, file, row) order as they complete. Rows of a chunk are numbered from 0 in the
worker and shifted here, so findings carry the same rows and lines as a single pass gives.

It needs every checker to map purely (`pure_map`); with an old stateful checker, or inputs that
cannot be read again by another process (in-memory rows, a Hugging Face dataset), it maps in
this process instead and says so in the report.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from ftqa.engine.inputs import Inputs, ProgressHook
from ftqa.engine.mapping import Mapper
from ftqa.engine.plan import RunPlan
from ftqa.engine.pool import WorkerPool, cpus
from ftqa.engine.reduction import Reduction
from ftqa.engine.results import MapHere, WorkerTally, fold_file, mapped_here
from ftqa.engine.worker import Job, JobResult
from ftqa.load import Source
from ftqa.load.chunks import plan_ranges
from ftqa.load.source import GZIP_MAGIC, is_url

CHUNK_BYTES = 8 << 20
MIN_CHUNK_BYTES = 256 << 10
# A chunk's results wait in the worker, then in the main process (a window of chunks): short
# rows (a few dozen bytes each) would put a hundred thousand rows' results in each chunk.
MAX_CHUNK_ROWS = 16384


@dataclass
class _FileJobs:
    split: str
    source: Source
    first: int  # index of its first job
    count: int
    sha256: str | None  # known from planning (ranges), else from the worker


class ProcessExecutor:
    name = "process"

    def __init__(self, workers: int | None = None, chunk_bytes: int | None = None) -> None:
        self.workers = max(1, workers or cpus())
        self.chunk_bytes = chunk_bytes
        self.note: str | None = None
        self.tally = WorkerTally()
        self._first_here = False

    def map_into(
        self,
        plan: RunPlan,
        inputs: Inputs,
        reduction: Reduction,
        mapper: Mapper,
        progress: ProgressHook | None,
    ) -> None:
        self.note = mapped_here(plan, inputs, reduction, mapper, progress)
        if self.note is not None:
            return
        # Workers start (about a second) while this process plans the chunks (a pass over
        # the file) and then maps the first job itself, through the row cache like them.
        pool = WorkerPool(self.workers, plan)
        map_here = MapHere(mapper, cached=True)
        try:
            jobs, files = self._jobs(inputs)
            first = 1 if len(jobs) > 1 else 0
            self._first_here = bool(first)
            results = pool.results(jobs, 2 * self.workers + 2, first)
            if first:
                results = itertools.chain([(0, map_here(jobs[0]))], results)
            for entry in files:
                self._file(entry, jobs, results, reduction, map_here, progress)
        finally:
            pool.close()
            map_here.close()
        if pool.lost:
            self.note = f"a worker process failed ({pool.lost[0]}); its chunks were mapped here"

    def _jobs(self, inputs: Inputs) -> tuple[list[Job], list[_FileJobs]]:
        jobs: list[Job] = []
        files: list[_FileJobs] = []
        total = sum(source.size or 0 for _, group in inputs.splits() for source in group)
        chunk = self.chunk_bytes or max(
            MIN_CHUNK_BYTES, min(CHUNK_BYTES, total // (4 * self.workers) or MIN_CHUNK_BYTES)
        )
        for split, group in inputs.splits():
            for source in group:
                assert source.limits is not None
                first = len(jobs)
                sha256 = None
                if chunkable(source):
                    sha256, _, ranges = plan_ranges(source.path, chunk, MAX_CHUNK_ROWS)
                    jobs.extend(Job(split, source.path, source.limits, part) for part in ranges)
                else:
                    jobs.append(Job(split, source.path, source.limits))
                files.append(_FileJobs(split, source, first, len(jobs) - first, sha256))
        return jobs, files

    def _file(
        self,
        entry: _FileJobs,
        jobs: list[Job],
        results: Iterator[tuple[int, JobResult | None]],
        reduction: Reduction,
        map_here: MapHere,
        progress: ProgressHook | None,
    ) -> None:
        def mapped() -> Iterator[tuple[Job, JobResult, bool]]:
            for _ in range(entry.count):
                index, result = next(results)
                if result is not None:
                    yield jobs[index], result, not (index == 0 and self._first_here)
                else:  # its worker died
                    yield jobs[index], map_here(jobs[index]), False

        fold_file(
            entry.split,
            entry.source,
            mapped(),
            reduction,
            progress,
            self.tally,
            map_here,
            entry.sha256,
        )


def chunkable(source: Source) -> bool:
    """A local, uncompressed JSON Lines file: cut into byte ranges."""
    if source.kind != "jsonl" or not source.size or is_url(source.path):
        return False
    with open(source.path, "rb") as file:
        return file.read(2) != GZIP_MAGIC
