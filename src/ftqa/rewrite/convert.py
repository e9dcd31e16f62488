"""`ftqa convert`: rewrite a dataset in another layout, one JSON line per row, losing nothing.

Every input row goes to exactly one place: the output (converted) or the quarantine (the input's
own bytes). Rows go to the quarantine when they cannot be read, when no layout is detected, when
the target layout cannot hold them (`ftqa.formats.export.Unrepresentable`), or when the exported
row would not read back as the same record: each converted row is read back through the
normalizer and its conversation, preference sides, text, label and declared tools compared with
the input's. A reason log says why each quarantined row is there.

The quarantine is written by the row-conserving writer (`ftqa.rewrite.conserving`), the same one
`ftqa fix` uses: converted rows go to a scratch destination beside it, so the writer proves
rows in = converted + quarantined and that every input byte was accounted for; the scratch is
then checked against the output (as many rows) and removed. Files appear only when everything
was proven; any failure (or an interruption) leaves no temporary file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from ftqa.config import load_settings
from ftqa.errors import FtqaError
from ftqa.formats import ReadOptions
from ftqa.formats.export import EXPORTERS, READS_AS, Unrepresentable, to_layout
from ftqa.formats.mapping import map_table
from ftqa.load import Limits, open_path
from ftqa.normalize import Normalizer
from ftqa.outbound import outbound
from ftqa.records import Message, Record
from ftqa.rewrite.conserving import open_writer
from ftqa.rewrite.fixer import ENDINGS
from ftqa.rewrite.framing import UNREADABLE
from ftqa.rewrite.targets import OutputFile, guard_target, promote
from ftqa.rewrite.verify import count_rows

OUTPUT_ENDINGS = (".jsonl", ".jsonl.gz")
UNREADABLE_ROW = "the row cannot be read"
UNDETECTED = "no layout detected"
NOT_THE_SAME = "would not read back the same"
HAS_MEDIA = "the row holds images, videos or audios, which convert does not carry"
MEDIA_KEYS = ("images", "videos", "audios")
# Conditions of the data itself that a layout without call ids could not show: a call whose
# result never comes is reported on the converted row (a warning), not hidden by refusing it.
SHOWN_NOW = frozenset({"unanswered-tool-call"})
TOOL_LAYOUTS = ("chat", "sharegpt")  # layouts whose rows carry tool definitions (`tools`)


@dataclass
class ConvertSummary:
    rows_in: int = 0
    rows_converted: int = 0
    rows_quarantined: int = 0
    to: str = ""
    by_reason: dict[str, int] = field(default_factory=dict)
    formats_in: dict[str, int] = field(default_factory=dict)
    output: str = ""
    quarantine: str = ""
    log: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows_in": self.rows_in,
            "rows_converted": self.rows_converted,
            "rows_quarantined": self.rows_quarantined,
            "to": self.to,
            "by_reason": dict(sorted(self.by_reason.items())),
            "formats_in": dict(sorted(self.formats_in.items())),
            "output": self.output,
            "quarantine": self.quarantine,
            "log": self.log,
        }


def _stem(name: str) -> str:
    return next((name[: -len(e)] for e in (*OUTPUT_ENDINGS, *ENDINGS) if name.endswith(e)), name)


def _input_ending(path: str) -> str:
    name = Path(path).name
    return next((e for e in ENDINGS if name.endswith(e)), Path(path).suffix)


def default_quarantine(output: str, source: str) -> str:
    """`<output stem>.quarantine.<input's ending>`: the quarantine holds the input's own rows."""
    path = Path(output)
    return str(path.with_name(f"{_stem(path.name)}.quarantine{_input_ending(source)}"))


def default_log(output: str) -> str:
    path = Path(output)
    return str(path.with_name(f"{_stem(path.name)}.convert.log.jsonl"))


def convert_dataset(
    path: str | os.PathLike[str],
    output: str | os.PathLike[str],
    to: str,
    *,
    quarantine: str | os.PathLike[str] | None = None,
    log: str | os.PathLike[str] | None = None,
    config: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    mapping: str | Mapping[str, Any] | None = None,
    limits: Limits | None = None,
) -> ConvertSummary:
    """Convert the dataset at `path` to layout `to`, writing JSON Lines to `output`.

    Rows that cannot be converted without loss go, exactly as written, to `quarantine` (default
    `<output stem>.quarantine.<input ending>`), and `log` (default
    `<output stem>.convert.log.jsonl`) says why. Raises `FtqaError` for an unknown layout, an
    output that is not `.jsonl`/`.jsonl.gz`, a target that is an input, or an unreadable input.
    """
    source_path = os.fspath(path)
    output = os.fspath(output)
    if to not in EXPORTERS:
        raise FtqaError(f"unknown layout `{to}` for --to (known: {', '.join(EXPORTERS)})")
    if not output.endswith(OUTPUT_ENDINGS):
        raise FtqaError(
            f"{output}: the output of convert is JSON Lines; name it .jsonl or .jsonl.gz"
        )
    quarantine = os.fspath(quarantine) if quarantine else default_quarantine(output, source_path)
    log = os.fspath(log) if log else default_log(output)
    inputs = [source_path] + ([os.fspath(config)] if isinstance(config, (str, os.PathLike)) else [])
    for target, what in ((output, "output"), (quarantine, "quarantine"), (log, "reason log")):
        guard_target(target, inputs, what)
    if len({os.path.realpath(p) for p in (output, quarantine, log)}) < 3:
        raise FtqaError("output, quarantine and reason log must be three different files")
    settings = load_settings(
        config, Path(source_path) if config is None else None, {"map": map_table(mapping)}
    )
    source = open_path(source_path, limits)
    summary = ConvertSummary(to=to, output=output, quarantine=quarantine, log=log)
    try:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".ftqa-convert-", dir=Path(output).parent))
    except OSError as error:
        raise FtqaError(f"{output}: cannot write ({error.strerror or error})") from error
    try:
        ending = _input_ending(source_path) or ".jsonl"
        files = {
            "output": work / ("output" + (".jsonl.gz" if output.endswith(".gz") else ".jsonl")),
            "quarantine": work / f"quarantine{ending}",
            "scratch": work / f"scratch{ending}",
            "log": work / "convert.log.jsonl",
        }
        normalizer = Normalizer(settings.read_options, settings.forced_format)
        _convert(source, normalizer, to, files, summary, limits)
        for name, target in (("output", output), ("quarantine", quarantine), ("log", log)):
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            promote(files[name], target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return summary


def _convert(
    source: Any,
    normalizer: Normalizer,
    to: str,
    files: dict[str, Path],
    summary: ConvertSummary,
    limits: Limits | None,
) -> None:
    reader = _ReadBack(normalizer.options, to)
    reasons: Counter[str] = Counter()
    formats: Counter[str] = Counter()
    converted_rows = 0
    destinations = {"scratch": files["scratch"], "quarantine": files["quarantine"]}
    with (
        OutputFile(files["output"], "output") as out,
        OutputFile(files["log"], "reason log") as log_stream,
        open_writer(source.path, source.kind, destinations, "scratch", limits=limits) as writer,
    ):
        for record in source.records():
            if record.row < 0:
                _notice(record)
                continue
            normalizer.normalize(record)
            formats[record.format or "none"] += 1
            row, reason, detail = _export(record, normalizer, to, reader)
            if row is None:
                writer.put(record, "quarantine")
                reasons[reason] += 1
                _log(log_stream, record, reason, detail)
                continue
            writer.put(record, "scratch")
            out.write(orjson.dumps(row) + b"\n")
            converted_rows += 1
            _log_converted(log_stream, record, converted_rows)
        writer.expected_sha256 = source.sha256  # the loader and the writer read the same bytes
        tally = writer.finish()
    written = count_rows(files["output"], "jsonl", limits)
    if written != tally.rows["scratch"]:
        raise FtqaError(
            f"{summary.output}: internal check failed: {tally.rows['scratch']} rows converted, "
            f"{written} read back; nothing was written"
        )
    summary.rows_in = tally.rows_in
    summary.rows_converted = tally.rows["scratch"]
    summary.rows_quarantined = tally.rows["quarantine"]
    summary.by_reason = dict(reasons)
    summary.formats_in = dict(formats)


def _notice(record: Record) -> None:
    rule = record.problems[0].rule if record.problems else ""
    if rule in UNREADABLE:
        message = record.problems[0].message
        raise FtqaError(
            f"{record.file}: cannot convert a file that cannot be read whole: {message}"
        )


def _log_converted(stream: BinaryIO, record: Record, output_line: int) -> None:
    entry = {"output_line": output_line, "row": record.row, "line": record.line}
    stream.write(orjson.dumps({**entry, "action": "converted"}) + b"\n")


def _log(stream: BinaryIO, record: Record, reason: str, detail: str | None) -> None:
    entry: dict[str, Any] = {
        "row": record.row,
        "line": record.line,
        "action": "quarantined",
        "reason": outbound(reason),
    }
    if detail:
        entry["detail"] = outbound(detail)
    stream.write(orjson.dumps(entry) + b"\n")


def _export(
    record: Record, normalizer: Normalizer, to: str, reader: _ReadBack
) -> tuple[dict[str, Any] | None, str, str | None]:
    """(the converted row, "", None), or (None, reason, detail) for the quarantine."""
    if not record.readable:
        fatal = next(p for p in record.problems if p.fatal)
        return None, UNREADABLE_ROW, fatal.rule
    if record.format is None:
        return None, UNDETECTED, None
    mapping = normalizer.mapping_for(record.file)
    view = mapping.view(record.raw) if mapping else record.raw
    if any(view.get(key) for key in MEDIA_KEYS):
        return None, HAS_MEDIA, None
    try:
        row = to_layout(record, to)
    except Unrepresentable as refusal:
        return None, str(refusal), None
    tools = _tool_definitions(record, view)
    if tools is not None and to in TOOL_LAYOUTS:
        row["tools"] = _tools_for(to, tools)
    difference = reader.difference(record, row)
    if difference is not None:
        return None, NOT_THE_SAME, difference
    return row, "", None


def _tool_definitions(record: Record, view: Mapping[str, Any]) -> list[Any] | None:
    """The row's declared tools as a list (LLaMA-Factory writes them as a JSON string)."""
    value = view.get("tools", view.get("functions"))
    if record.format == "openai_preference" and isinstance(view.get("input"), Mapping):
        value = view["input"].get("tools")
    if isinstance(value, str):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            return None
    return value if isinstance(value, list) and value else None


def _tools_for(to: str, tools: list[Any]) -> Any:
    """Tool definitions as the target writes them: OpenAI's `{"type": "function", "function":
    {...}}` list for chat, LLaMA-Factory's JSON string of bare functions for ShareGPT."""
    if to == "chat":
        return [
            {"type": "function", "function": tool}
            if isinstance(tool, Mapping) and "function" not in tool and "name" in tool
            else tool
            for tool in tools
        ]
    bare = [
        tool["function"]
        if isinstance(tool, Mapping) and isinstance(tool.get("function"), Mapping)
        else tool
        for tool in tools
    ]
    return orjson.dumps(bare).decode()


class _ReadBack:
    """Reads an exported row as `ftqa check` will read the output, and compares."""

    def __init__(self, options: ReadOptions, to: str) -> None:
        plain = ReadOptions(extra_roles=options.extra_roles, extra_keys=options.extra_keys)
        self.normalizer = Normalizer(plain, file_mapping=lambda _: None)
        self.to = to

    def difference(self, record: Record, row: dict[str, Any]) -> str | None:
        """None when `row` reads back as `record`; else what differs."""
        again = self.normalizer.normalize(
            Record(file="<converted>", row=record.row, line=None, raw=row)
        )
        if again.format not in READS_AS.get(self.to, frozenset({self.to})):
            return f"read back as {again.format or 'no layout'}, not {self.to}"
        new = {p.rule for p in again.problems} - {p.rule for p in record.problems} - SHOWN_NOW
        if new:
            return "the converted row has problems the input did not: " + ", ".join(sorted(new))
        for what, before, after in _sides(record, again):
            if before != after:
                return f"the {what} differ"
        return None


def _sides(record: Record, again: Record) -> Iterable[tuple[str, Any, Any]]:
    yield "messages", _turns(record.messages), _turns(again.messages)
    yield "chosen replies", _turns(record.chosen), _turns(again.chosen)
    yield "rejected replies", _turns(record.rejected), _turns(again.rejected)
    if record.template is None:  # a rendered conversation converts to its turns
        yield "texts", record.text, again.text
    yield "labels", record.label, again.label
    yield "declared tools", record.tools or None, again.tools or None


def _turns(messages: list[Message] | None) -> list[tuple[Any, ...]] | None:
    if messages is None:
        return None
    return [
        (
            m.role,
            m.content,
            m.name,
            m.weight,
            tuple((call.name, _json(call.arguments)) for call in m.tool_calls),
        )
        for m in messages
    ]


def _json(text: str | None) -> Any:
    """Tool-call arguments compare as the JSON they encode (spacing is not content)."""
    if text is None:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text
