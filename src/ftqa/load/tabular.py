"""CSV/TSV and Parquet readers, and in-memory tables (DataFrames).

Tabular rows are flat: a cell that holds a nested value (a `messages` list written as JSON text)
is parsed back into that value so the row can be normalized like a JSON example.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

import orjson

from ftqa.load.limits import Limits
from ftqa.records import Problem, Record

STRUCTURED_COLUMNS = frozenset(
    {"messages", "conversations", "tools", "history", "preferred_output", "non_preferred_output"}
)
CONVERSATIONAL_COLUMNS = frozenset({"prompt", "completion", "chosen", "rejected"})


def _parse_cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def _is_message_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _decode_nested(row: dict[str, Any]) -> dict[str, Any]:
    """Parse JSON text cells back into the nested values the format expects there."""
    for key in STRUCTURED_COLUMNS.intersection(row):
        row[key] = _parse_cell(row[key])
    for key in CONVERSATIONAL_COLUMNS.intersection(row):
        parsed = _parse_cell(row[key])
        if _is_message_list(parsed):
            row[key] = parsed
    if "preferred_output" in row and "input" in row:
        parsed = _parse_cell(row["input"])
        if isinstance(parsed, dict):
            row["input"] = parsed
    return row


def _surrogates_to_replacement(value: str) -> tuple[str, bool]:
    if not any(0xDC80 <= ord(char) <= 0xDCFF for char in value):
        return value, False
    return "".join("\ufffd" if 0xDC80 <= ord(char) <= 0xDCFF else char for char in value), True


def read_csv(path: str, stream: BinaryIO, limits: Limits, delimiter: str = ",") -> Iterator[Record]:
    """CSV/TSV with a header row. `strict` parsing reports malformed quoting instead of silently
    swallowing the rest of the file into one cell."""
    csv.field_size_limit(min(limits.max_line_bytes, 2**31 - 1))
    reader = csv.reader(_physical_lines(stream), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    row = 0
    last_line = 0
    while True:
        start_line = last_line + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            last_line = reader.line_num
            yield _csv_error(path, row if header is not None else -1, start_line, error)
            if header is not None:
                row += 1
            continue
        last_line = reader.line_num
        if header is None:
            header = [name.strip() for name in cells]
            if any(_surrogates_to_replacement(name)[1] for name in header):
                header = [_surrogates_to_replacement(name)[0] for name in header]
                yield Record(
                    file=path,
                    row=-1,
                    line=start_line,
                    problems=[
                        Problem(
                            "invalid-utf8",
                            "the header has bytes that are not valid UTF-8 (read as U+FFFD)",
                            fatal=False,
                        )
                    ],
                )
            repeated = sorted(name for name, seen in Counter(header).items() if seen > 1)
            if repeated:
                yield Record(
                    file=path,
                    row=-1,
                    line=start_line,
                    problems=[
                        Problem(
                            "duplicate-key",
                            "the header repeats column "
                            + ", ".join(f"`{name}`" for name in repeated)
                            + ": only the last cell of each row is read",
                            fatal=False,
                        )
                    ],
                )
            continue
        if not cells:
            yield Record(
                file=path,
                row=-1,
                line=start_line,
                problems=[Problem("blank-line", "blank line between examples")],
            )
            continue
        yield _csv_record(path, row, start_line, header, cells)
        row += 1


def _physical_lines(stream: BinaryIO) -> Iterator[str]:
    """Lines split on b"\\n" only, so a stray carriage return never shifts line numbers; bytes that
    are not UTF-8 survive as surrogate escapes (reported per row, written back unchanged)."""
    first = True
    for line in iter(stream.readline, b""):
        if first:
            first = False
            line = line.removeprefix(b"\xef\xbb\xbf")
        yield line.decode("utf-8", "surrogateescape")


def _csv_error(path: str, row: int, line: int, error: csv.Error) -> Record:
    message = str(error)
    if "field larger than field limit" in message:
        problem = Problem("line-too-long", f"a cell longer than the limit ({message}); not read")
    elif "unexpected end of data" in message:
        problem = Problem(
            "invalid-csv",
            f"malformed CSV: a quoted cell starting on line {line} is never closed, so the rest "
            "of the file is inside it and was not checked",
        )
    elif "new-line character seen in unquoted field" in message:
        problem = Problem(
            "invalid-csv",
            "malformed CSV: a carriage return (\\r) inside an unquoted cell; quote the cell",
        )
    elif "expected after" in message:
        problem = Problem(
            "invalid-csv",
            f"malformed CSV: text after a closing quote ({message}); a quote inside a quoted "
            'cell must be doubled ("")',
        )
    else:
        problem = Problem("invalid-csv", f"malformed CSV: {message}")
    return Record(file=path, row=row, line=line, problems=[problem])


def _csv_record(path: str, row: int, line: int, header: list[str], cells: list[str]) -> Record:
    problems: list[Problem] = []
    bad_utf8 = False
    values: dict[str, Any] = {}
    for name, cell in zip(header, cells, strict=False):
        fixed, had = _surrogates_to_replacement(cell)
        bad_utf8 = bad_utf8 or had
        values[name] = fixed
    if bad_utf8:
        problems.append(
            Problem(
                "invalid-utf8",
                "bytes that are not valid UTF-8 (read as U+FFFD replacement characters)",
                fatal=False,
            )
        )
    if len(cells) != len(header):
        problems.append(
            Problem(
                "wrong-column-count",
                f"{len(cells)} cells where the header has {len(header)} columns",
                fatal=False,
            )
        )
        for name in header[len(cells) :]:
            values[name] = None
    return Record(
        file=path,
        row=row,
        line=line,
        raw=_decode_nested(values),
        tabular=True,
        problems=problems,
        source=cells,
    )


def _clean_cell(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return value.tolist()
    return value


def rows_from_table(
    path: str, batches: Iterable[list[dict[str, Any]]], line_offset: int | None = None
) -> Iterator[Record]:
    row = 0
    for batch in batches:
        for values in batch:
            cleaned = {str(key): _clean_cell(value) for key, value in values.items()}
            yield Record(
                file=path,
                row=row,
                line=None if line_offset is None else row + line_offset,
                raw=_decode_nested(cleaned),
                tabular=True,
            )
            row += 1


def parquet_batches(path: str) -> Iterator[list[dict[str, Any]]]:
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path)
    for batch in parquet.iter_batches(batch_size=4096):
        yield batch.to_pylist()
