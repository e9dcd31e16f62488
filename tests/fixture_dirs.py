"""A rule's fixture directory, shared by the format and the other rules' harnesses: its data
files by case name (`fires`, `near-miss-...`) and its `expected.json`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EXTENSIONS = (".jsonl.gz", ".jsonl", ".json", ".csv", ".tsv", ".parquet")


def data_files(directory: Path) -> dict[str, Path]:
    """Each data file by the part of its name before the first dot; sub-directories (a model
    folder) are not data files."""
    files = {}
    for path in sorted(directory.iterdir()):
        if path.name == "expected.json" or path.is_dir():
            continue
        if not path.name.endswith(EXTENSIONS):
            raise AssertionError(f"{path}: unexpected fixture file type")
        files[path.name.split(".", 1)[0]] = path
    return files


def load_expected(directory: Path) -> dict[str, Any]:
    return json.loads((directory / "expected.json").read_text(encoding="utf-8"))
