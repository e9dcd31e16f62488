"""What the executors that map elsewhere (`process`, `dask`) share: the fallback to one
process, and folding one file's job results into the reduce side in order."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ftqa.engine.cache import RowCache
from ftqa.engine.cached_mapping import attach
from ftqa.engine.inputs import Inputs, ProgressHook
from ftqa.engine.local import LocalExecutor, file_info
from ftqa.engine.mapping import Mapper
from ftqa.engine.plan import RunPlan
from ftqa.engine.reduction import Reduction
from ftqa.engine.shift import shifted
from ftqa.engine.transport import TransportError
from ftqa.engine.worker import Job, JobResult, map_job
from ftqa.errors import InputError
from ftqa.load import Source


def readable_elsewhere(source: Source) -> bool:
    """Another process can open it again: a file or URL, not rows in this process's memory."""
    return source.limits is not None and not source.path.startswith("memory://")


def mapped_here(
    plan: RunPlan,
    inputs: Inputs,
    reduction: Reduction,
    mapper: Mapper,
    progress: ProgressHook | None,
) -> str | None:
    """Map in this process when the run cannot be split (an old stateful checker, rows only
    this process holds); the note for `stats.engine`, or None when it can be split."""
    sources = [source for _, group in inputs.splits() for source in group]
    if plan.pure and all(readable_elsewhere(source) for source in sources):
        return None
    LocalExecutor().map_into(plan, inputs, reduction, mapper, progress)
    reason = "a checker maps statefully" if not plan.pure else "in-memory rows"
    return f"mapped in one process: {reason}"


class MapHere:
    """Maps a job in this process, on checkers of its own (built when first needed): the
    run's first job while the workers start, and jobs whose worker died or whose rows could
    not be read back. With `cached`, through a row cache connection of its own."""

    def __init__(self, mapper: Mapper, cached: bool = False) -> None:
        self.mapper = mapper
        self.cached = cached
        self._own: Mapper | None = None
        self._cache: RowCache | None = None

    def __call__(self, job: Job) -> JobResult:
        if self._own is None:
            plan = self.mapper.plan
            self._own = Mapper.build(plan, self.mapper.timer, plan.checkers())
            if self.cached:
                self._cache = attach(self._own, plan)
        return map_job(self._own, job)

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()
            self._cache = None


@dataclass
class WorkerTally:
    """How the workers did: peak memory, time reading and mapping, row cache use."""

    worker_peak_mb: float = 0.0
    map_seconds: float = 0.0
    cache_counts: list[int] = field(default_factory=lambda: [0, 0])
    jobs_mapped_here: int = 0  # their rows could not be read back from the worker

    def add(self, result: JobResult, remote: bool = True) -> None:
        if remote:
            self.worker_peak_mb = max(self.worker_peak_mb, result.peak_rss_mb)
            self.map_seconds += result.wall_seconds
        self.cache_counts[0] += result.cache_hits
        self.cache_counts[1] += result.cache_misses


def fold_file(
    split: str,
    source: Source,
    results: Iterable[tuple[Job, JobResult, bool]],
    reduction: Reduction,
    progress: ProgressHook | None,
    tally: WorkerTally,
    map_here: Callable[[Job], JobResult],
    sha256: str | None = None,
) -> None:
    """Reduce one file's job results, in job order; each is (job, result, mapped by a
    worker). Rows are moved to their place once the rows of the jobs before are counted. A job
    whose rows cannot be read back is mapped again here (`map_here`)."""
    offset = 0
    formats: Counter[str] = Counter()
    for job, sent, remote in results:
        result = sent
        if result.refused is not None:
            raise InputError(*result.refused)
        try:
            rows = result.mapped_rows()
        except TransportError:
            result, remote = map_here(job), False
            tally.jobs_mapped_here += 1
            rows = result.rows
        rows = shifted(rows, offset)
        reduction.rows(split, source.path, rows)
        reduction.combined(split, source.path, rows, result.combined)
        for checker, error in result.errors:
            reduction.failed(checker, error)
        for state, seconds in zip(reduction.states, result.seconds, strict=False):
            state.seconds += seconds
        offset += result.counted
        tally.add(result, remote)
        formats.update(result.formats)
        sha256 = sha256 or result.sha256
        if progress is not None:
            progress(source, job.part.end if job.part is not None else (source.size or 0))
    reduction.file_done(split, file_info(source, offset, formats, sha256), formats)
