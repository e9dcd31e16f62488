"""Which executor maps the rows of a run: named by `--executor` / `executor =` / the API, or
chosen by size (`auto`)."""

from __future__ import annotations

from typing import Any

from ftqa.config import Settings
from ftqa.engine.inputs import Inputs
from ftqa.engine.local import LocalExecutor
from ftqa.engine.plan import RunPlan
from ftqa.engine.pool import cpus
from ftqa.engine.process import ProcessExecutor
from ftqa.engine.results import readable_elsewhere
from ftqa.errors import ConfigError

AUTO_PROCESS_BYTES = 32 << 20
NAMES = ("auto", "local", "process", "dask")


def choose(executor: Any, settings: Settings, inputs: Inputs, plan: RunPlan) -> Any:
    """An executor object for `executor` (an executor, a name, or None for the settings')."""
    if executor is not None and not isinstance(executor, str):
        return executor
    name = executor or settings.globals.executor
    jobs = settings.globals.jobs
    if name == "local":
        return LocalExecutor()
    if name == "process":
        return ProcessExecutor(jobs)
    if name == "dask":
        from ftqa.engine.dask_executor import DaskExecutor  # the optional extra

        return DaskExecutor(settings.globals.scheduler)
    if name != "auto":
        raise ConfigError(f"unknown executor {name!r}: use one of {', '.join(NAMES)}")
    sources = [source for _, group in inputs.splits() for source in group]
    size = sum(source.size or 0 for source in sources)
    readable_again = all(readable_elsewhere(source) for source in sources)
    workers = jobs or cpus()
    if plan.pure and readable_again and size >= AUTO_PROCESS_BYTES and workers >= 2:
        # Also when the row cache holds the rows: workers read it in parallel and send combined
        # features, faster than one process (benchmarks/bench_engine.py, warm runs).
        return ProcessExecutor(workers)
    return LocalExecutor()
