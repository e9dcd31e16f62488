"""The `process` executor: N worker processes map chunks of the inputs — newline-aligned byte
ranges of JSON Lines files, whole files for other layouts — while this process reduces the
results in (split, file, row) order as they complete. Rows of a chunk are numbered from 0 in the
worker and shifted here, so findings carry the same rows and lines as a single pass gives.

It needs every checker to map purely (`pure_map`); with an old stateful checker, or inputs that
cannot be read again by another process (in-memory rows, a Hugging Face dataset), it maps in
this process instead and says so in the report.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ftqa.engine.inputs import Inputs, ProgressHook
from ftqa.engine.local import LocalExecutor, file_info
from ftqa.engine.mapping import Mapper
from ftqa.engine.plan import RunPlan
from ftqa.engine.pool import WorkerPool, cpus
from ftqa.engine.reduction import Reduction
from ftqa.engine.shift import shifted
from ftqa.engine.worker import Job, map_job
from ftqa.errors import InputError
from ftqa.load import Source
from ftqa.load.chunks import plan_ranges
from ftqa.load.source import GZIP_MAGIC, is_url

CHUNK_BYTES = 8 << 20
MIN_CHUNK_BYTES = 256 << 10


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
        self.cache_counts = [0, 0]  # row cache hits and misses in the workers
        self.worker_peak_mb = 0.0
        self.map_seconds = 0.0  # reading and mapping, summed over every job
        self._spare: Mapper | None = None

    def map_into(
        self,
        plan: RunPlan,
        inputs: Inputs,
        reduction: Reduction,
        mapper: Mapper,
        progress: ProgressHook | None,
    ) -> None:
        sources = [source for _, group in inputs.splits() for source in group]
        if not plan.pure or not all(readable_elsewhere(source) for source in sources):
            self.note = "mapped in one process: " + (
                "a checker maps statefully" if not plan.pure else "in-memory rows"
            )
            LocalExecutor().map_into(plan, inputs, reduction, mapper, progress)
            return
        jobs, files = self._jobs(inputs)
        pool = WorkerPool(min(self.workers, len(jobs)), plan)
        try:
            results = pool.results(jobs, window=2 * self.workers + 2)
            for entry in files:
                self._file(entry, jobs, results, reduction, mapper, progress)
        finally:
            pool.close()
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
                    sha256, _, ranges = plan_ranges(source.path, chunk)
                    jobs.extend(Job(split, source.path, source.limits, part) for part in ranges)
                else:
                    jobs.append(Job(split, source.path, source.limits))
                files.append(_FileJobs(split, source, first, len(jobs) - first, sha256))
        return jobs, files

    def _file(
        self,
        entry: _FileJobs,
        jobs: list[Job],
        results: object,
        reduction: Reduction,
        mapper: Mapper,
        progress: ProgressHook | None,
    ) -> None:
        offset = 0
        formats: Counter[str] = Counter()
        sha256 = entry.sha256
        done_bytes = 0
        for _ in range(entry.count):
            index, result = next(results)  # type: ignore[call-overload]
            job = jobs[index]
            local = None
            if result is None:  # its worker died: map it here, on checkers of its own
                self._spare = self._spare or Mapper.build(
                    mapper.plan, mapper.timer, mapper.plan.checkers()
                )
                result = local = map_job(self._spare, job)
            if result.refused is not None:
                raise InputError(*result.refused)
            reduction.rows(entry.split, entry.source.path, shifted(result.rows, offset))
            for checker, error in result.errors:
                reduction.failed(checker, error)
            for state, seconds in zip(reduction.states, result.seconds, strict=False):
                state.seconds += seconds
            offset += result.counted
            if result is not local:
                self.map_seconds += result.wall_seconds
                self.worker_peak_mb = max(self.worker_peak_mb, result.peak_rss_mb)
                self.cache_counts[0] += result.cache_hits
                self.cache_counts[1] += result.cache_misses
            formats.update(result.formats)
            sha256 = sha256 or result.sha256
            if job.part is not None:
                done_bytes = job.part.end
            if progress is not None:
                progress(entry.source, done_bytes or (entry.source.size or 0))
        reduction.file_done(entry.split, file_info(entry.source, offset, formats, sha256), formats)


def readable_elsewhere(source: Source) -> bool:
    """Another process can open it again: a file or URL, not rows in this process's memory."""
    return source.limits is not None and not source.path.startswith("memory://")


def chunkable(source: Source) -> bool:
    """A local, uncompressed JSON Lines file: cut into byte ranges."""
    if source.kind != "jsonl" or not source.size or is_url(source.path):
        return False
    with open(source.path, "rb") as file:
        return file.read(2) != GZIP_MAGIC
