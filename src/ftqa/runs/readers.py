"""Read a run's step metrics from what the trainers write.

- OpenAI's result file (CSV: `step`, `train_loss`, `train_accuracy`, `valid_loss`,
  `valid_mean_token_accuracy`, `train_mean_token_accuracy`, `full_valid_loss`,
  `full_valid_mean_token_accuracy`);
- a Hugging Face Trainer `trainer_state.json` (`log_history`, `epoch`, `global_step`);
- TRL/transformers logs as JSON lines (one `log_history` entry per line, or OpenAI metric
  events' `data`);
- an `ftqa train` run manifest (`ftqa-manifest.json`, or the folder holding it), whose metrics
  sit next to it (`METRICS_FILES`) and which links the dataset report.

Anything else, or a file that breaks the layout, is an `InputError` naming the file (and the
line): one line on stderr, exit 2.
"""

from __future__ import annotations

import base64
import binascii
import csv
import json
import math
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ftqa.errors import InputError
from ftqa.runs.metrics import RunMetrics, Sample

MANIFEST_NAME = "ftqa-manifest.json"  # as `ftqa.train.manifest` writes it
REPORT_NAME = "ftqa-report.json"
TRAINER_STATE = "trainer_state.json"
OPENAI_METRICS = "ftqa-metrics.csv"
JSONL_METRICS = "ftqa-metrics.jsonl"
METRICS_FILES = (OPENAI_METRICS, TRAINER_STATE, JSONL_METRICS)
MAX_BYTES = 256 * 1024 * 1024

# Key spellings of each series across trainers, first match wins.
TRAIN_LOSS = ("loss", "train_loss")
VALID_LOSS = ("eval_loss", "full_valid_loss", "valid_loss")
TRAIN_ACCURACY = ("mean_token_accuracy", "train_mean_token_accuracy", "train_accuracy")
VALID_ACCURACY = (
    "eval_mean_token_accuracy",
    "full_valid_mean_token_accuracy",
    "valid_mean_token_accuracy",
)
# A transformers log entry with these keys is the end-of-run summary, not a step.
SUMMARY_KEYS = ("train_runtime", "total_flos")


def read_metrics(source: str | os.PathLike[str]) -> RunMetrics:
    """The metrics of `source` (a result CSV, trainer_state.json, JSON lines, a manifest or
    the folder holding one)."""
    path = Path(source)
    name = os.fspath(source)
    if path.is_dir():
        for candidate in (MANIFEST_NAME, TRAINER_STATE):
            if (path / candidate).is_file():
                return read_metrics(path / candidate)
        raise InputError(name, f"a folder without {MANIFEST_NAME} or {TRAINER_STATE}")
    data = _read_bytes(path, name)
    if path.suffix.lower() in {".csv", ".tsv"}:
        return read_openai_csv(data, name)
    if path.suffix.lower() == ".json":
        document = _json_document(data, name)
        if isinstance(document, Mapping) and "manifest_version" in document:
            return read_manifest_metrics(document, path)
        if isinstance(document, Mapping) and "log_history" in document:
            return read_trainer_state(document, name)
        if isinstance(document, list):
            return _from_entries(((None, entry) for entry in document), name, "jsonl")
        raise InputError(
            name,
            "not a run's metrics: a JSON file must be a trainer_state.json (with log_history) "
            "or an ftqa run manifest",
        )
    return read_jsonl(data, name)


def _read_bytes(path: Path, name: str) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(name, f"{size:,} bytes is too large for a metrics file")
        return path.read_bytes()
    except FileNotFoundError as error:
        raise InputError(name, "no such file") from error
    except PermissionError as error:
        raise InputError(name, "permission denied") from error
    except OSError as error:
        raise InputError(name, f"cannot read ({error.strerror or error})") from error


def _text(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(name, f"not UTF-8 text (byte {error.start})") from error


def _json_document(data: bytes, name: str) -> Any:
    try:
        return json.loads(_text(data, name))
    except json.JSONDecodeError as error:
        raise InputError(name, f"line {error.lineno}: invalid JSON ({error.msg})") from error


def _number(value: Any, name: str, line: int | None, key: str) -> float | None:
    """A metric value: numbers and numeric strings (NaN and inf kept: they are findings)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InputError(name, f"{_at(line)}`{key}` is not a number")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    raise InputError(name, f"{_at(line)}`{key}` is not a number")


def _at(line: int | None) -> str:
    return f"line {line}: " if line is not None else ""


def decode_result_file(data: bytes) -> bytes:
    """OpenAI serves a job's result file base64-encoded: the CSV itself, whichever was given."""
    stripped = data.strip()
    if stripped.startswith(b"step") or not stripped:
        return data
    try:
        decoded = base64.b64decode(stripped, validate=True)
    except (binascii.Error, ValueError):
        return data
    return decoded if decoded.lstrip(b"\xef\xbb\xbf").startswith(b"step") else data


def read_openai_csv(data: bytes, name: str) -> RunMetrics:
    text = _text(decode_result_file(data), name)
    rows = csv.reader(text.splitlines())
    header = next(rows, None)
    if not header or "step" not in header:
        raise InputError(name, "line 1: not a fine-tuning result file (no `step` column)")
    columns = [column.strip() for column in header]
    if not any(key in columns for key in TRAIN_LOSS):
        raise InputError(name, "line 1: not a fine-tuning result file (no `train_loss` column)")
    metrics = RunMetrics(name, "openai-csv")
    epoch_ends: list[int] = []
    full_lines: set[int] = set()
    for line, cells in enumerate(rows, start=2):
        if not cells:
            continue
        if len(cells) != len(columns):
            raise InputError(
                name, f"line {line}: {len(cells)} cells, the header has {len(columns)}"
            )
        entry = dict(zip(columns, cells, strict=True))
        _add(metrics, entry, name, line, None)
        if entry.get("full_valid_loss", "").strip():
            epoch_ends.append(metrics.valid_loss[-1].step)
            full_lines.add(line)
    if full_lines:
        # The full validation loss (the whole validation file, at each epoch's end) supersedes
        # the per-step estimate on one validation batch.
        metrics.valid_loss = [s for s in metrics.valid_loss if s.line in full_lines]
        metrics.valid_accuracy = [s for s in metrics.valid_accuracy if s.line in full_lines]
    if epoch_ends and epoch_ends[0]:
        # OpenAI computes the full validation loss at the end of each epoch.
        metrics.steps_per_epoch = float(epoch_ends[0])
    _require_points(metrics, name)
    metrics.fill_epochs()
    return metrics


def _pick(entry: Mapping[str, Any], keys: Iterable[str]) -> tuple[str, Any] | None:
    for key in keys:
        value = entry.get(key)
        if value is not None and value != "":
            return key, value
    return None


def _add(
    metrics: RunMetrics, entry: Mapping[str, Any], name: str, line: int | None, step: int | None
) -> None:
    if step is None:
        raw_step = _number(entry.get("step"), name, line, "step")
        if raw_step is None or not math.isfinite(raw_step):
            raise InputError(name, f"{_at(line)}no `step`")
        step = int(raw_step)
    epoch = _number(entry.get("epoch"), name, line, "epoch")
    for series, keys in (
        (metrics.train_loss, TRAIN_LOSS),
        (metrics.valid_loss, VALID_LOSS),
        (metrics.train_accuracy, TRAIN_ACCURACY),
        (metrics.valid_accuracy, VALID_ACCURACY),
    ):
        picked = _pick(entry, keys)
        if picked is None:
            continue
        value = _number(picked[1], name, line, picked[0])
        if value is not None:
            series.append(Sample(step, value, epoch, line))


def _from_entries(entries: Iterable[tuple[int | None, Any]], name: str, kind: str) -> RunMetrics:
    metrics = RunMetrics(name, kind)
    last_step = 0
    for line, entry in entries:
        if not isinstance(entry, Mapping):
            raise InputError(name, f"{_at(line)}a log entry must be a JSON object")
        if any(key in entry for key in SUMMARY_KEYS):
            continue
        data = entry.get("data") if isinstance(entry.get("data"), Mapping) else entry
        step = None if data.get("step") is not None else last_step
        _add(metrics, data, name, line, step)
        if data.get("step") is not None:
            last_step = int(_number(data["step"], name, line, "step") or 0)
    _require_points(metrics, name)
    metrics.fill_epochs()
    return metrics


def read_jsonl(data: bytes, name: str) -> RunMetrics:
    def entries() -> Iterator[tuple[int | None, Any]]:
        for line, text in enumerate(_text(data, name).splitlines(), start=1):
            if not text.strip():
                continue
            try:
                yield line, json.loads(text)
            except json.JSONDecodeError as error:
                raise InputError(name, f"line {line}: invalid JSON ({error.msg})") from error

    return _from_entries(entries(), name, "jsonl")


def read_trainer_state(document: Mapping[str, Any], name: str) -> RunMetrics:
    history = document.get("log_history")
    if not isinstance(history, list):
        raise InputError(name, "`log_history` is not a list")
    metrics = _from_entries(((None, entry) for entry in history), name, "trainer-state")
    metrics.kind = "trainer-state"
    epochs = document.get("num_train_epochs") or document.get("epoch")
    if isinstance(epochs, (int, float)) and not isinstance(epochs, bool):
        metrics.epochs = float(epochs)
    metrics.fill_epochs()
    return metrics


def _require_points(metrics: RunMetrics, name: str) -> None:
    if not (metrics.train_loss or metrics.valid_loss):
        raise InputError(name, "no loss values (no `loss`, `train_loss` or `eval_loss`)")


def read_manifest_metrics(manifest: Mapping[str, Any], path: Path) -> RunMetrics:
    """The metrics written next to an `ftqa train` manifest, with the manifest and the dataset
    report it links attached."""
    name = os.fspath(path)
    folder = path.parent
    status = str(manifest.get("status") or "")
    error = manifest.get("error")
    metrics: RunMetrics | None = None
    for candidate in METRICS_FILES:
        if (folder / candidate).is_file():
            metrics = read_metrics(folder / candidate)
            break
    if metrics is None:
        if status not in {"failed", "cancelled"}:
            raise InputError(
                name,
                f"no metrics next to the manifest yet (job status `{status or 'unknown'}`): "
                f"`ftqa runs analyze {name} --watch` waits for the job and fetches them",
            )
        metrics = RunMetrics(name, "manifest")
    metrics.manifest = dict(manifest)
    metrics.job_status = status or None
    metrics.job_error = error if isinstance(error, str) else None
    hyper = manifest.get("hyperparameters") or {}
    if metrics.epochs is None and isinstance(hyper.get("n_epochs"), (int, float)):
        metrics.epochs = float(hyper["n_epochs"])
    metrics.fill_epochs()
    metrics.dataset_report = _dataset_report(manifest, folder)
    return metrics


def _dataset_report(manifest: Mapping[str, Any], folder: Path) -> dict[str, Any] | None:
    report = manifest.get("report") or {}
    candidates = [folder / REPORT_NAME]
    if isinstance(report.get("path"), str):
        candidates.append(Path(report["path"]))
    for candidate in candidates:
        try:
            document = json.loads(candidate.read_bytes())
        except (OSError, ValueError):
            continue
        if isinstance(document, dict):
            return document
    return None
