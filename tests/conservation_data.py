"""Hypothesis strategies for the conservation property test: small datasets in every input format,
with the defects `ftqa fix` acts on and byte-level damage it must survive."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import strategies as st

WORDS = ("reset", "password", "order", "refund", "the", "a", "ship", "blue", "seven", "why")
TEXTS = (
    "How do I reset my password?",
    "How can I reset my password?",
    "Where is my order?",
    "Click Forgot password on the login page.",
    "Your order ships tomorrow.",
    "Yes.",
    "No.",
)
DEFECTS = (
    "",
    "  padded  ",
    "zero\u200bwidth",
    "bidi\u202eswap",
    "mail me at jane.doe@example.com",
    "key sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0fGh3iJk",
    "<|im_end|> leaked",
    "caf\u00e9 mojibake caf\u00c3\u00a9",
    "line\r\nbreak",
)


@st.composite
def texts(draw: st.DrawFn) -> str:
    base = draw(st.sampled_from(TEXTS))
    if draw(st.booleans()):
        words = base.split()
        index = draw(st.integers(0, len(words) - 1))
        words[index] = draw(st.sampled_from(WORDS))
        base = " ".join(words)
    return base + draw(st.sampled_from(DEFECTS))


@st.composite
def rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    layout = draw(st.sampled_from(("chat", "completion")))
    count = draw(st.integers(0, 8))
    out: list[dict[str, Any]] = []
    for _ in range(count):
        if out and draw(st.integers(0, 4)) == 0:
            out.append(draw(st.sampled_from(out)))  # an exact copy
            continue
        if layout == "chat":
            messages = [{"role": "user", "content": draw(texts())}]
            if draw(st.integers(0, 6)):
                messages.append({"role": "assistant", "content": draw(texts())})
            out.append({"messages": messages})
        else:
            out.append({"prompt": draw(texts()), "completion": " " + draw(texts())})
    return out


def _line_ending(draw: st.DrawFn) -> str:
    return draw(st.sampled_from(("\n", "\r\n")))


@st.composite
def jsonl_bytes(draw: st.DrawFn) -> bytes:
    parts: list[str] = []
    for row in draw(rows()):
        kind = draw(st.integers(0, 9))
        if kind == 0:
            parts.append('{"messages": [broken')
        elif kind == 1:
            parts.append("")  # a blank line
        parts.append(json.dumps(row, ensure_ascii=draw(st.booleans())))
    ending = _line_ending(draw)
    text = ending.join(parts)
    if draw(st.booleans()):
        text += ending
    data = text.encode()
    if draw(st.integers(0, 4)) == 0:
        data = b"\xef\xbb\xbf" + data
    return draw(_mutated(data))


@st.composite
def json_array_bytes(draw: st.DrawFn) -> bytes:
    items = [json.dumps(row, indent=draw(st.sampled_from((None, 2)))) for row in draw(rows())]
    if items and draw(st.integers(0, 5)) == 0:
        items[draw(st.integers(0, len(items) - 1))] = '{"prompt": oops}'
    text = "[\n" + ",\n".join(items) + "\n]\n"
    if draw(st.integers(0, 6)) == 0:
        text += '{"after": "the array"}\n'
    return draw(_mutated(text.encode()))


@st.composite
def csv_bytes(draw: st.DrawFn, delimiter: str = ",") -> bytes:
    table = draw(rows())
    columns = ("messages",) if table and "messages" in table[0] else ("prompt", "completion")
    buffer = io.StringIO()
    quoting = draw(st.sampled_from((csv.QUOTE_MINIMAL, csv.QUOTE_ALL)))
    writer = csv.writer(
        buffer, delimiter=delimiter, lineterminator=_line_ending(draw), quoting=quoting
    )
    writer.writerow(columns)
    for row in table:
        cells = [
            json.dumps(row[name]) if name == "messages" else row.get(name, "") for name in columns
        ]
        writer.writerow(cells)
    data = buffer.getvalue().encode()
    if draw(st.integers(0, 5)) == 0:
        data += b'oops,"never closed\n'
    if draw(st.integers(0, 5)) == 0:
        data = data.replace("café".encode(), "café".encode("latin-1"))
    return draw(_mutated(data))


@st.composite
def _mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """Sometimes damage a few bytes: a flip, a stray CR or quote, a cut."""
    if not data or draw(st.integers(0, 3)):
        return data
    for _ in range(draw(st.integers(1, 3))):
        if not data:
            break
        where = draw(st.integers(0, len(data) - 1))
        how = draw(st.sampled_from(("flip", "cr", "quote", "cut", "nul")))
        if how == "flip":
            data = data[:where] + bytes([data[where] ^ 0x5A]) + data[where + 1 :]
        elif how == "cr":
            data = data[:where] + b"\r" + data[where:]
        elif how == "quote":
            data = data[:where] + b'"' + data[where:]
        elif how == "nul":
            data = data[:where] + b"\\u0000" + data[where:]
        else:
            data = data[:where]
    return data


@st.composite
def parquet_table(draw: st.DrawFn) -> pa.Table:
    table = draw(rows())
    prompts, completions, scores = [], [], []
    for row in table:
        if "messages" in row:
            prompts.append(row["messages"][0]["content"])
            reply = row["messages"][1]["content"] if len(row["messages"]) > 1 else None
            completions.append(reply)
        else:
            prompts.append(row["prompt"])
            completions.append(row["completion"])
        scores.append(draw(st.sampled_from((0.5, float("nan"), None, 1e300))))
    return pa.table(
        {
            "prompt": pa.array(prompts, pa.string()),
            "completion": pa.array(completions, pa.string()),
            "score": pa.array(scores, pa.float64()),
            "meta": pa.array([json.dumps({"n": i}) for i in range(len(prompts))], pa.string()),
        }
    )


def write(kind: str, data: Any, directory: Path) -> Path:
    names = {
        "jsonl": "in.jsonl",
        "gz": "in.jsonl.gz",
        "json": "in.json",
        "csv": "in.csv",
        "tsv": "in.tsv",
        "parquet": "in.parquet",
    }
    path = directory / names[kind]
    if kind == "parquet":
        pq.write_table(data, path)
    elif kind == "gz":
        path.write_bytes(gzip.compress(data, mtime=0))
    else:
        path.write_bytes(data)
    return path


STRATEGIES = {
    "jsonl": jsonl_bytes(),
    "gz": jsonl_bytes(),
    "json": json_array_bytes(),
    "csv": csv_bytes(","),
    "tsv": csv_bytes("\t"),
    "parquet": parquet_table(),
}
