"""Property: `ftqa fix` conserves every row, whatever the format, the defects and the flags.

For generated datasets in every input format (JSONL, gzip, JSON array, CSV, TSV, Parquet) with
defects, CRLF, BOM and byte-level damage, under every combination of --unsafe/--dedupe/--redact:

- the input is untouched; rows in = rows written + rows quarantined (read back from the files);
- every input row is in exactly one of the two files: quarantined rows with the input's own bytes,
  rows no fix touched byte-identical, in order;
- the output has no error the input did not have;
- fixing the output changes nothing (idempotence).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ftqa
from conservation_data import STRATEGIES, write
from ftqa.load import open_path
from ftqa.rewrite.fixer import fix_dataset

EXAMPLES = 200
CHECKS = ["format", "encoding", "leakage", "secrets", "pii", "duplicates", "near_duplicates"]
FLAGS = st.fixed_dictionaries(
    {"unsafe": st.booleans(), "dedupe": st.booleans(), "redact": st.booleans()}
)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _plain(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def _records(path: Path, kind: str) -> list[Any]:
    """Each row of `path` as comparable content: its bytes (text formats) or its values."""
    if kind == "parquet":
        return [_comparable(row) for row in pq.read_table(path).to_pylist()]
    data = _plain(path)
    out = []
    for record in open_path(path, kind=kind).records():
        if record.row >= 0:
            assert record.span is not None, record
            out.append(data[record.span[0] : record.span[1]].strip())
    return out


def _in_order(pieces: list[bytes], data: bytes) -> bool:
    """Every piece occurs in `data`, in this order, without overlapping."""
    position = 0
    for piece in pieces:
        found = data.find(piece, position)
        if found < 0:
            return False
        position = found + len(piece)
    return True


def _readable(path: Path, kind: str) -> list[bool]:
    return [r.readable for r in open_path(path, kind=kind).records() if r.row >= 0]


def _comparable(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, dict):
        return {key: _comparable(item) for key, item in value.items()}
    return value


def _errors(path: Path) -> set[str]:
    report = ftqa.check(path, config={}, select=CHECKS)
    return {f"{f.check}/{f.rule}" for f in report.findings if f.severity.value == "error"}


def _fix(source: Path, out: Path, flags: dict[str, bool]) -> Any:
    return fix_dataset(
        source,
        out / f"clean{_suffix(source)}",
        quarantine=out / f"removed{_suffix(source)}",
        log=out / "changes.jsonl",
        config={},
        **flags,
    )


def _suffix(path: Path) -> str:
    return "".join(path.suffixes)


def _check_conserved(kind: str, data: Any, flags: dict[str, bool]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        source = write(kind, data, root)
        file_kind = open_path(source).kind
        before = _digest(source)
        out = root / "out"
        try:
            summary = _fix(source, out, flags)
        except ftqa.FtqaError as error:
            report = ftqa.check(source, config={}, select=["format"])
            unread = {"format/read-error", "format/decompression-limit"}
            assert unread & set(report.stats["findings_by_rule"]), error  # noqa: PT017
            assert not out.exists() or not list(out.iterdir())
            return
        assert _digest(source) == before, "the input was modified"
        rows_in = _records(source, file_kind)
        log = [json.loads(line) for line in Path(summary.log).read_text().splitlines()]
        dropped = {entry["row"] for entry in log if entry["action"] == "drop"}
        edited = {entry["row"] for entry in log if entry["action"] == "edit"} - {None}
        assert summary.rows_in == len(rows_in)
        assert summary.rows_quarantined == len(dropped)
        assert summary.rows_out == len(rows_in) - len(dropped)
        kept = [row for index, row in enumerate(rows_in) if index not in dropped]
        untouched = [row for i, row in enumerate(rows_in) if i not in dropped and i not in edited]
        removed = [row for index, row in enumerate(rows_in) if index in dropped]
        output, quarantine = Path(summary.output), Path(summary.quarantine)
        if file_kind == "parquet":
            written = _records(output, file_kind)
            assert len(written) == len(kept)
            assert _records(quarantine, file_kind) == removed
            kept_indices = [index for index in range(len(rows_in)) if index not in dropped]
            for index, now in zip(kept_indices, written, strict=True):
                if index not in edited:
                    assert now == rows_in[index], f"row {index} changed without a logged fix"
        else:
            assert _in_order(untouched, _plain(output)), "an untouched row changed or is lost"
            assert _in_order(removed, _plain(quarantine)), "a quarantined row is not as written"
            written = _records(output, file_kind)
            if all(readable for readable in _readable(source, file_kind)):
                assert len(written) == len(kept)
        new_errors = _errors(Path(summary.output)) - _errors(source)
        if not written:  # nothing left to write: an empty file says the same as a file of no rows
            new_errors -= {"format/empty-file", "format/empty-dataset"}
        assert not new_errors
        again = _fix(Path(summary.output), root / "again", flags)
        assert (again.rows_quarantined, again.edits) == (0, 0), again.to_dict()
        assert Path(again.output).read_bytes() == Path(summary.output).read_bytes()


@pytest.mark.parametrize("kind", sorted(STRATEGIES))
def test_fix_conserves_every_row(kind: str) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        # CI runs the same 200 files per kind every time; FTQA_FUZZ=random explores new ones.
        derandomize=os.environ.get("FTQA_FUZZ") != "random",
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=STRATEGIES[kind], flags=FLAGS)
    def conserved(data: Any, flags: dict[str, bool]) -> None:
        _check_conserved(kind, data, flags)

    conserved()
