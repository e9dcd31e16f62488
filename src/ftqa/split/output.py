"""The two output files: their names (the input's extension) and every row written to one side."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ftqa.load import Limits, Source, open_path
from ftqa.rewrite.conserving import open_writer

ENDINGS = (".jsonl.gz", ".json.gz", ".csv.gz", ".tsv.gz", ".ndjson.gz")


def _extension(path: str, kind: str) -> str:
    name = os.path.basename(path).lower()
    for ending in ENDINGS:
        if name.endswith(ending):
            return ending
    suffix = os.path.splitext(name)[1]
    known = {".jsonl", ".ndjson", ".jsonlines", ".json", ".csv", ".tsv", ".parquet", ".pq"}
    if suffix in known:
        return suffix
    return f".{kind}"


def _outputs(path: str, kind: str, output_dir: Path) -> dict[str, Path]:
    ending = _extension(path, kind)
    return {side: output_dir / f"{side}{ending}" for side in ("train", "validation")}


def _write(
    source: Source, limits: Limits, outputs: dict[str, Path], validation: np.ndarray
) -> None:
    """Every row to exactly one side through the row-conserving writer (framing such as a CSV
    header or a JSON array's brackets in both files); the file must be the one just read."""
    rows = (record for record in open_path(source.path, limits, source.kind).records())
    with open_writer(
        source.path,
        source.kind,
        outputs,
        "train",
        limits=limits,
        expected_sha256=source.sha256,
        expected_rows=len(validation),
    ) as writer:
        for record in rows:
            if record.row < 0:
                continue
            writer.put(record, "validation" if validation[record.row] else "train")
        writer.finish()
