"""The Python API: `check` a dataset (paths or in-memory data) and get a `Report`."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ftqa.config import load_settings
from ftqa.engine import Executor, Inputs, ProgressHook, run
from ftqa.errors import ConfigError, DatasetRejected
from ftqa.finding import Severity
from ftqa.formats.mapping import MappingError, map_table
from ftqa.load import Limits, Source, open_memory, open_path
from ftqa.load.hf import is_hf_input, open_hf
from ftqa.report import Report

PathLike = str | os.PathLike[str]
DataInput = PathLike | Sequence[PathLike] | Sequence[Mapping[str, Any]] | Any


def _is_path(value: Any) -> bool:
    return isinstance(value, (str, os.PathLike))


def _open(path: PathLike, limits: Limits) -> Source:
    name = os.fspath(path)
    return open_hf(name) if is_hf_input(name) else open_path(name, limits)


def _sources(data: DataInput, name: str, limits: Limits) -> list[Source]:
    if data is None:
        return []
    if _is_path(data):
        return [_open(data, limits)]
    if isinstance(data, Sequence) and data and all(_is_path(item) for item in data):
        return [_open(item, limits) for item in data]
    return [open_memory(data, name)]


def _first_path(data: DataInput) -> Path | None:
    first = data if _is_path(data) else None
    if isinstance(data, Sequence) and data and _is_path(data[0]):
        first = data[0]
    if first is None or os.fspath(first).startswith("hf://"):
        return None  # configuration is then discovered from the working directory
    return Path(first)


def check(
    data: DataInput,
    validation: DataInput = None,
    *,
    config: PathLike | Mapping[str, Any] | None = None,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None,
    fail_on: Severity | str | None = None,
    input_format: str | None = None,
    reference: DataInput = None,
    model: str | None = None,
    epochs: int | None = None,
    examples: bool = False,
    limits: Limits | None = None,
    progress: ProgressHook | None = None,
    max_findings_per_rule: int | None = None,
    map: str | Sequence[str] | Mapping[str, Any] | None = None,
    dataset_level_findings: bool | None = None,
    executor: str | Executor | None = None,
    jobs: int | None = None,
    scheduler: Any = None,
    cache: bool | PathLike | None = None,
    fixes: bool = False,
) -> Report:
    """Check a dataset and return the report; problems in the data never raise.

    `data` and `validation` are a path, a list of paths, a list of dicts, a pandas DataFrame or a
    Hugging Face `datasets.Dataset`; `reference` names held-out files to test contamination
    against. `model`/`epochs` choose the tokenizer profile and the cost estimate; `examples=True`
    keeps the per-example table (`report.examples`). Configuration comes from `config` (a file or
    a mapping), else from the nearest `ftqa.toml` / `pyproject.toml [tool.ftqa]`; keyword
    arguments (`select`, `ignore`, `fail_on`, `input_format`, `max_findings_per_rule`, `map`,
    `dataset_level_findings`) override it. `map` reads rows whose keys are not a format's own, as
    `--map` does: `"prompt=question,completion=answer"` or
    `{"prompt": "question", "completion": "answer"}`.
    `executor` maps the rows in this process (`"local"`), in worker processes (`"process"`,
    `jobs` of them) or on a Dask cluster (`"dask"`, with `scheduler` an address, `"local:N"` or
    a `dask.distributed.Client`); the report is the same whichever runs. `cache` turns the row
    cache off (`False`) or names its folder (default: the settings' `cache-dir`).
    Raises `InputError` for a path that cannot be read at all and `ConfigError` for bad settings.
    """
    overrides = {
        "select": list(select) if select is not None else None,
        "ignore": list(ignore) if ignore is not None else None,
        "fail_on": Severity(fail_on) if fail_on is not None else None,
        "input_format": input_format,
        "max_findings_per_rule": max_findings_per_rule,
        "map": _map_override(map),
        "dataset_level_findings": dataset_level_findings,
        "executor": executor if isinstance(executor, str) else None,
        "jobs": jobs,
        "scheduler": scheduler if isinstance(scheduler, str) else None,
        "cache": None if cache is None or cache is True else bool(cache),
        "cache_dir": os.fspath(cache) if isinstance(cache, (str, os.PathLike)) else None,
    }
    start = _first_path(data) if config is None else None
    settings = load_settings(config, start or (Path.cwd() if config is None else None), overrides)
    limits = limits or Limits()
    inputs = Inputs(
        train=_sources(data, "<memory>", limits),
        validation=_sources(validation, "<memory:validation>", limits),
        references=_sources(reference, "<memory:reference>", limits),
        model=model,
        epochs=epochs,
        collect_examples=examples,
    )
    if scheduler is not None and not isinstance(scheduler, str):
        from ftqa.engine.dask_executor import DaskExecutor  # the optional extra

        executor = DaskExecutor(scheduler)
    return run(
        inputs,
        settings,
        progress,
        executor=None if isinstance(executor, str) else executor,
        with_fixes=fixes,
    )


def _map_override(entries: str | Sequence[str] | Mapping[str, Any] | None) -> Any:
    try:
        return map_table(entries)
    except MappingError as error:
        raise ConfigError(str(error)) from error


def require_clean(data: DataInput, validation: DataInput = None, **options: Any) -> Report:
    """Like `check`, but raise `DatasetRejected` (with `.report`) when the report fails."""
    report = check(data, validation, **options)
    if not report.passed:
        raise DatasetRejected(report)
    return report
