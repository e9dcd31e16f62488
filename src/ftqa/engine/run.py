"""One run: resolve the checkers, map every row through an executor, reduce, build the report.

Executors (`local`, `process`, and `dask` with the extra) own reading, chunking and where `map`
runs; the reduce side and the report are built here, the same way whichever executor mapped the
rows, so reports are identical across executors and worker counts (timings aside).
"""

from __future__ import annotations

from typing import Protocol

from ftqa.collector import Collector
from ftqa.config import Settings
from ftqa.engine import collection
from ftqa.engine.build import build_report
from ftqa.engine.cached_mapping import attach
from ftqa.engine.choice import choose
from ftqa.engine.inputs import Inputs, ProgressHook
from ftqa.engine.mapping import BOOKKEEPING as MAP_BOOKKEEPING
from ftqa.engine.mapping import Mapper
from ftqa.engine.plan import RunPlan
from ftqa.engine.reduction import BOOKKEEPING as REDUCE_BOOKKEEPING
from ftqa.engine.reduction import Examples, Reduction
from ftqa.engine.worker import peak_rss_mb
from ftqa.report import Report
from ftqa.timelimit import CallTimer


class Executor(Protocol):
    name: str

    def map_into(
        self,
        plan: RunPlan,
        inputs: Inputs,
        reduction: Reduction,
        mapper: Mapper,
        progress: ProgressHook | None,
    ) -> None:
        """Map every row of `inputs` and hand the mapped rows of each file to `reduction` in
        row order, files in input order. `mapper` maps in this process, on the checkers
        `reduction` reduces into (executors that map elsewhere build their own)."""


def run(
    inputs: Inputs,
    settings: Settings,
    progress: ProgressHook | None = None,
    *,
    executor: Executor | str | None = None,
    with_fixes: bool = False,
) -> Report:
    """Check `inputs`; `executor` is an executor object or name (None: the settings').
    `with_fixes` attaches each finding's fixes, as data, for `ftqa fix`."""
    plan = RunPlan.of(inputs, settings, with_fixes)
    chosen = choose(executor, settings, inputs, plan)
    timer = CallTimer(settings.globals.checker_timeout, MAP_BOOKKEEPING | REDUCE_BOOKKEEPING)
    mapper = Mapper.build(plan, timer, plan.checkers())
    rules = plan.rules()
    collector = Collector(settings, lambda check, slug: rules.get((check, slug)))
    examples = Examples() if plan.collect_examples else None
    reduction = Reduction(mapper.states, collector, timer, examples)
    cache = attach(mapper, plan)
    try:
        with timer, collection.paused():
            chosen.map_into(plan, inputs, reduction, mapper, progress)
            stats, extras = reduction.finish(with_fixes)
    finally:
        if cache is not None:
            cache.close()
    # How the rows were mapped: like timings, the one part of a report that differs by executor.
    engine: dict[str, object] = {"executor": chosen.name}
    tally = getattr(chosen, "tally", None)
    for owner, attribute in (
        (chosen, "workers"),
        (chosen, "note"),
        (tally, "worker_peak_mb"),
        (tally, "map_seconds"),
        (tally, "jobs_mapped_here"),
    ):
        value = getattr(owner, attribute, None)
        if value:
            engine[attribute] = round(value, 2) if isinstance(value, float) else value
    if cache is not None:
        hits, misses = cache.hits, cache.misses
        if tally is not None:
            hits, misses = hits + tally.cache_counts[0], misses + tally.cache_counts[1]
        engine["cache"] = {"hits": hits, "misses": misses}
        if cache.broken:
            engine["cache"]["note"] = "not used after a database or disk error"
    engine["peak_mb"] = peak_rss_mb()
    stats["engine"] = engine
    return build_report(reduction, settings, stats, extras)
