"""The map step through the row cache: a batch of records is looked up at once; rows found
take their cached results for every pure checker, the others are mapped and written back."""

from __future__ import annotations

import functools
import hashlib
import inspect
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

from ftqa.checker import Checker
from ftqa.engine.cache import RowCache, open_cache, pack, row_key, run_identity, unpack
from ftqa.engine.mapping import MappedRow, Mapper
from ftqa.engine.plan import RunPlan
from ftqa.records import Record
from ftqa.rowresult import RowResult


class CachedMapping:
    def __init__(
        self, cache: RowCache, identity: bytes, pure: frozenset[int], variants: list[Checker]
    ) -> None:
        self.cache = cache
        self.identity = identity
        self.pure = pure
        self.variants = variants  # checkers whose map result depends on more than the row

    def rows(self, mapper: Mapper, batch: list[Record], collect: bool) -> Iterator[MappedRow]:
        keys = [row_key(record, self.identity, self._variant(record)) for record in batch]
        found = self.cache.get_many(keys)
        cached: list[list[tuple[int, RowResult]] | None] = []
        for record, key in zip(batch, keys, strict=True):
            data = found.get(key)
            cached.append(unpack(data, record) if data is not None else None)
        hits = sum(entry is not None for entry in cached)
        self.cache.hits += hits
        self.cache.misses += len(batch) - hits
        mapped = mapper.batch(batch, collect, cached)
        states = mapper.states
        failed = any(states[index].error for index in self.pure)
        for record, key, entry, row in zip(batch, keys, cached, mapped, strict=True):
            if entry is None and not failed:
                value = pack(record, [pair for pair in row.results if pair[0] in self.pure])
                if value is not None:
                    self.cache.put(key, value)
            yield row
        self.cache.flush()

    def _variant(self, record: Record) -> list[Any] | None:
        if not self.variants:
            return None
        return [checker.cache_variant(record) for checker in self.variants]


def attach(mapper: Mapper, plan: RunPlan) -> RowCache | None:
    """Give `mapper` the row cache the settings ask for; the cache, or None."""
    settings = plan.settings.globals
    if not settings.cache or plan.with_fixes:
        return None  # fixes hold dataset text: never cached
    pure = frozenset(
        index for index, state in enumerate(mapper.states) if type(state.checker).pure_map
    )
    if not pure:
        return None
    cache = open_cache(settings.cache_dir, settings.cache_max_mb)
    if cache is None:
        return None
    variants = [
        mapper.states[index].checker
        for index in sorted(pure)
        if type(mapper.states[index].checker).cache_variant is not Checker.cache_variant
    ]
    mapper.cache = CachedMapping(cache, identity(plan, mapper, pure), pure, variants)
    mapper.cached_checkers = pure
    return cache


def identity(plan: RunPlan, mapper: Mapper, pure: frozenset[int]) -> bytes:
    parts: list[Any] = [
        plan.model,
        plan.settings.forced_format,
        repr(plan.settings.read_options),
        _packages(),
        _code(),
    ]
    for index in sorted(pure):
        checker = mapper.states[index].checker
        cls = type(checker)
        parts.append(
            [
                index,
                cls.id,
                cls.version,
                checker.options.model_dump(mode="json"),
                _source_of(cls),
            ]
        )
    # Providers may follow any checker's options (token counts follow token_length's): every
    # option set that differs from its checker's defaults (the defaults are in the code).
    parts.append(
        {
            key: value.model_dump(mode="json")
            for key, value in sorted(plan.settings.options.items())
            if value != type(value)()
        }
    )
    parts.append(sorted(c.id for c in plan.classes))
    parts.append(_model_files(plan.model))
    # What a checker's map may read of the run besides the row: which inputs it has (e.g.
    # train_test_leakage signs training rows only when a validation file is given).
    context = plan.context
    parts.append([bool(context.validation_files), bool(context.reference_files), context.epochs])
    return run_identity(parts)


@functools.cache
def _code() -> str:
    """A digest of ftqa's own source: results change with the code, not only the version."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.blake2b(digest_size=16)
    for path in sorted(root.rglob("*")):
        if path.suffix in (".py", ".toml", ".json", ".txt") and path.is_file():
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@functools.cache
def _packages() -> list[str]:
    found = []
    for name in ("tiktoken", "model2vec", "sentence-transformers", "detect-secrets", "ftfy"):
        try:
            found.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name}-")
    found.append(sys.version.split()[0])
    return found


def _source_of(cls: type) -> str:
    """A plugin's own source (ftqa's is in `_code`)."""
    module = sys.modules.get(cls.__module__)
    if module is None or cls.__module__.startswith("ftqa."):
        return ""
    try:
        return hashlib.blake2b(inspect.getsource(module).encode(), digest_size=16).hexdigest()
    except (OSError, TypeError):
        return repr(cls)


def _model_files(model: str | None) -> list[Any]:
    """A local model folder's tokenizer files, by size and modification time."""
    if not model:
        return []
    folder = Path(model)
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("*.json")):
        info = path.stat()
        out.append([path.name, info.st_size, info.st_mtime_ns])
    return out
