"""The `local` executor: one process reads every input in order and maps each row as it is
read; nothing keeps the rows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from ftqa.engine.inputs import Inputs, ProgressHook
from ftqa.engine.mapping import MappedRow, Mapper
from ftqa.engine.plan import RunPlan
from ftqa.engine.reduction import Reduction
from ftqa.load import Source
from ftqa.report import FileInfo
from ftqa.text import clean_text

PROGRESS_EVERY = 2048


class LocalExecutor:
    name = "local"

    def map_into(
        self,
        plan: RunPlan,
        inputs: Inputs,
        reduction: Reduction,
        mapper: Mapper,
        progress: ProgressHook | None,
    ) -> None:
        for split, sources in inputs.splits():
            for source in sources:
                formats: Counter[str] = Counter()
                counted = [0]
                mapped = _tallied(
                    mapper.records(source.records(), split), source, formats, counted, progress
                )
                reduction.rows(split, source.path, mapped)
                reduction.file_done(split, file_info(source, counted[0], formats), formats)


def _tallied(
    rows: Iterator[MappedRow],
    source: Source,
    formats: Counter[str],
    counted: list[int],
    progress: ProgressHook | None,
) -> Iterator[MappedRow]:
    count = 0
    for row in rows:
        if row.row >= 0:
            count += 1
            if row.format is not None:
                formats[row.format] += 1
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(source, source.bytes_read)
        yield row
    counted[0] = count
    if progress is not None:
        progress(source, source.bytes_read)


def file_info(
    source: Source, rows: int, formats: Counter[str], sha256: str | None = None
) -> FileInfo:
    return FileInfo(
        path=clean_text(source.path),
        sha256=sha256 or source.sha256,
        rows=rows,
        format=formats.most_common(1)[0][0] if formats else None,
        bytes=source.size,
    )
