"""The `dask` executor (`pip install "ftqa[dask]"`): the map step runs as tasks on a Dask
cluster, the reduce step here, so the report is the one `local` gives.

- Inputs are files or fsspec URLs every worker can open (shared storage, `s3://`, …).
- JSON Lines files are cut into newline-aligned byte ranges without reading them here: a first
  wave of tasks scans fixed blocks (newline count and the first newline of each block), from
  which this process derives each range's first line; a task per file computes its sha256. Other
  layouts are mapped as one task per file.
- A second wave maps the ranges; results (findings, features, measures: see
  docs/scale.md for their size) come back in file order and are reduced here as they arrive.
  Rows are never gathered: only what `map` returns.
- A worker that dies takes its tasks with it; Dask runs them again elsewhere, and since `map`
  is pure the report is the same.
"""

from __future__ import annotations

import hashlib
import pickle
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ftqa.engine.inputs import Inputs, ProgressHook
from ftqa.engine.mapping import Mapper
from ftqa.engine.plan import RunPlan
from ftqa.engine.reduction import Reduction
from ftqa.engine.results import MapHere, WorkerTally, fold_file, mapped_here
from ftqa.engine.worker import Job, JobResult, map_job
from ftqa.errors import ConfigError
from ftqa.load.chunks import ByteRange, open_binary
from ftqa.load.source import GZIP_MAGIC, Source
from ftqa.timelimit import CallTimer

BLOCK_BYTES = 16 << 20
LOCAL_PREFIX = "local:"


class DaskExecutor:
    name = "dask"

    def __init__(self, scheduler: Any = None, block_bytes: int = BLOCK_BYTES) -> None:
        self.scheduler = scheduler
        self.block_bytes = block_bytes
        self.note: str | None = None
        self.workers: int | None = None
        self.tally = WorkerTally()

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
        with _Connection(self.scheduler) as client:
            self.workers = len(client.scheduler_info().get("workers", {})) or None
            plan_data = client.scatter(pickle.dumps(plan), broadcast=True)
            files = [
                _plan_file(client, split, source, self.block_bytes)
                for split, group in inputs.splits()
                for source in group
            ]
            for entry in files:
                entry.futures = [
                    client.submit(_map_task, job, plan_data, pure=True, key=_key(job))
                    for job in entry.jobs
                ]
            map_here = MapHere(mapper)
            for entry in files:
                _reduce_file(entry, reduction, progress, self.tally, map_here)


@dataclass
class _File:
    split: str
    source: Source
    jobs: list[Job]
    sha256: Any  # a future of the file's sha256, or None: the whole-file task gives it
    futures: list[Any]


def _plan_file(client: Any, split: str, source: Source, block: int) -> _File:
    assert source.limits is not None
    if not _chunkable(source):
        return _File(split, source, [Job(split, source.path, source.limits)], None, [])
    size = source.size or 0
    starts = list(range(0, size, block))
    scans = client.gather(
        client.map(_scan_block, [source.path] * len(starts), starts, [block] * len(starts))
    )
    ranges = _ranges(scans, starts, size)
    digest = client.submit(_sha256, source.path, pure=False)
    jobs = [Job(split, source.path, source.limits, part) for part in ranges]
    return _File(split, source, jobs, digest, [])


def _ranges(scans: list[tuple[int, int]], starts: list[int], size: int) -> list[ByteRange]:
    """Ranges cut after the first newline of each block; `scans` holds each block's newline
    count and first newline offset (-1: none)."""
    cuts = [(0, 0)]
    before = 0
    for (count, first), start in zip(scans, starts, strict=True):
        if start > 0 and first >= 0 and start + first + 1 < size:
            cuts.append((start + first + 1, before + 1))
        before += count
    return [
        ByteRange(start, cuts[index + 1][0] if index + 1 < len(cuts) else size, lines)
        for index, (start, lines) in enumerate(cuts)
    ]


def _reduce_file(
    entry: _File,
    reduction: Reduction,
    progress: ProgressHook | None,
    tally: WorkerTally,
    map_here: MapHere,
) -> None:
    def mapped() -> Iterator[tuple[Job, JobResult, bool]]:
        for job, future in zip(entry.jobs, entry.futures, strict=True):
            result: JobResult = future.result()
            future.release()
            yield job, result, True

    sha256 = entry.sha256.result() if entry.sha256 is not None else None
    fold_file(entry.split, entry.source, mapped(), reduction, progress, tally, map_here, sha256)


def _chunkable(source: Source) -> bool:
    if source.kind != "jsonl" or not source.size:
        return False
    with open_binary(source.path) as file:
        return file.read(2) != GZIP_MAGIC  # type: ignore[no-any-return]


def _key(job: Job) -> str:
    where = f"{job.part.start}-{job.part.end}" if job.part is not None else "file"
    digest = hashlib.blake2b(f"{job.split}\0{job.path}\0{where}".encode(), digest_size=8)
    return f"ftqa-map-{digest.hexdigest()}"


# -- on the workers ------------------------------------------------------------------------

_MAPPERS: dict[bytes, Mapper] = {}
_LOCK = threading.Lock()


def _map_task(job: Job, plan_data: bytes) -> JobResult:
    key = hashlib.blake2b(plan_data, digest_size=16).digest()
    with _LOCK:
        mapper = _MAPPERS.get(key)
        if mapper is None:
            from ftqa.engine.cached_mapping import attach

            plan = pickle.loads(plan_data)  # noqa: S301 - the plan this run's driver sent
            mapper = Mapper.build(plan, CallTimer(None), plan.checkers())
            attach(mapper, plan)
            _MAPPERS[key] = mapper
        return map_job(mapper, job).for_transport(mapper)


def _open(path: str) -> Any:
    if "://" in path:
        from ftqa.load.remote import filesystem

        fs, inner = filesystem(path)
        return fs.open(inner, "rb")
    return open(path, "rb")


def _scan_block(path: str, start: int, length: int) -> tuple[int, int]:
    with _open(path) as file:
        file.seek(start)
        data = file.read(length)
    return data.count(b"\n"), data.find(b"\n")


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with _open(path) as file:
        while block := file.read(8 << 20):
            digest.update(block)
    return digest.hexdigest()


class _Connection:
    """A client for `scheduler`: a `Client` (used as is), `local:N` (a local cluster of N
    worker processes, closed after the run), an address, or None (`local:` with every CPU)."""

    def __init__(self, scheduler: Any) -> None:
        self.scheduler = scheduler
        self.owned: list[Any] = []

    def __enter__(self) -> Any:
        try:
            from distributed import Client, LocalCluster
        except ImportError as error:
            raise ConfigError(
                'the dask executor needs the dask extra: pip install "ftqa[dask]"'
            ) from error
        scheduler = self.scheduler
        if scheduler is not None and not isinstance(scheduler, str):
            return scheduler
        if scheduler is None or scheduler.startswith(LOCAL_PREFIX):
            from ftqa.engine.pool import cpus

            count = scheduler[len(LOCAL_PREFIX) :] if scheduler else ""
            try:
                workers = int(count) if count else cpus()
            except ValueError as error:
                raise ConfigError(f"--scheduler {scheduler}: expected local:N") from error
            cluster = LocalCluster(
                n_workers=max(1, workers),
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
            self.owned.append(cluster)
            client = Client(cluster)
        else:
            try:
                client = Client(scheduler, timeout=30)
            except OSError as error:
                raise ConfigError(
                    f"cannot reach the Dask scheduler {scheduler}: {error}"
                ) from error
        self.owned.insert(0, client)
        return client

    def __exit__(self, *exc: object) -> None:
        for item in self.owned:
            item.close()
