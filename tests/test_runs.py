"""`ftqa runs analyze`: curves written here show each pattern (a healthy run raises nothing) in
the three layouts trainers write; real-shaped OpenAI and trainer_state.json files; unreadable
sources; every output format; the manifest's links to the dataset report. (`--watch`:
tests/test_train_watch.py.)"""

from __future__ import annotations

import base64
import csv
import io
import json
import math
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from ftqa.cli import main
from ftqa.runs import analyze

DATA = Path(__file__).resolve().parent / "data" / "runs"
OPENAI_CSV = DATA / "openai_step_metrics.csv"
TRAINER_STATE = DATA / "trainer_state.json"

Curve = Callable[[int], float]


# --- synthetic curves -----------------------------------------------------------------------


def decaying(start: float, floor: float, scale: float) -> Curve:
    return lambda step: floor + (start - floor) * math.exp(-step / scale)


def points(
    train: Curve,
    valid: Callable[[int], float] | None,
    *,
    steps: int = 120,
    epochs: int = 4,
    noise: float = 0.08,
    accuracy: Curve | None = None,
    seed: int = 0,
) -> list[dict]:
    """Log entries: a training point per step, a validation point at each epoch's end."""
    rng = random.Random(seed)
    per_epoch = steps // epochs
    accuracy = accuracy or (lambda step: 0.5 + 0.4 * (1 - math.exp(-step / 30)))
    entries = []
    for step in range(1, steps + 1):
        entries.append(
            {
                "step": step,
                "epoch": step / per_epoch,
                "loss": train(step) * (1 + rng.uniform(-noise, noise)),
                "mean_token_accuracy": accuracy(step),
            }
        )
        if valid is not None and step % per_epoch == 0:
            entries.append({"step": step, "epoch": step / per_epoch, "eval_loss": valid(step)})
    return entries


def per_epoch(values: list[float], steps: int = 120, epochs: int = 4) -> Callable[[int], float]:
    size = steps // epochs
    return lambda step: values[step // size - 1]


def as_jsonl(entries: list[dict], folder: Path) -> Path:
    path = folder / "log.jsonl"
    path.write_text("".join(json.dumps(entry) + "\n" for entry in entries), encoding="utf-8")
    return path


def as_trainer_state(entries: list[dict], folder: Path) -> Path:
    path = folder / "trainer_state.json"
    last = max(entry["step"] for entry in entries)
    history = [*entries, {"step": last, "train_loss": 9.9, "train_runtime": 1.0}]
    path.write_text(json.dumps({"log_history": history, "global_step": last, "epoch": 4.0}))
    return path


def as_openai_csv(entries: list[dict], folder: Path) -> Path:
    """OpenAI's layout: one row per step, the full validation loss at each epoch's end."""
    path = folder / "step_metrics.csv"
    rows: dict[int, dict] = {}
    for entry in entries:
        row = rows.setdefault(entry["step"], {"step": entry["step"]})
        if "loss" in entry:
            row["train_loss"] = entry["loss"]
            row["train_accuracy"] = entry["mean_token_accuracy"]
        if "eval_loss" in entry:
            row["full_valid_loss"] = entry["eval_loss"]
    columns = ["step", "train_loss", "train_accuracy", "valid_loss", "full_valid_loss"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows[step] for step in sorted(rows))
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


LAYOUTS = {"jsonl": as_jsonl, "trainer-state": as_trainer_state, "openai-csv": as_openai_csv}

HEALTHY = points(decaying(2.0, 0.4, 25), per_epoch([1.2, 0.8, 0.7, 0.68]))
OVERFIT = points(decaying(2.0, 0.1, 25), per_epoch([1.0, 0.85, 1.0, 1.2]))


def rules(report) -> set[str]:
    return {finding.rule for finding in report.findings}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_a_healthy_run_raises_nothing(tmp_path, layout):
    report = analyze(LAYOUTS[layout](HEALTHY, tmp_path))
    assert report.source.kind == layout
    assert report.findings == []
    assert report.curve.best_step == 120
    assert report.curve.best_epoch == 4
    assert report.exit_code() == 0


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_overfitting_is_flagged_where_the_validation_loss_turned(tmp_path, layout):
    report = analyze(LAYOUTS[layout](OVERFIT, tmp_path))
    assert rules(report) == {"overfitting"}
    (finding,) = report.findings
    assert finding.severity.value == "warning"
    assert "turned at step 60 (epoch 2.00)" in finding.message
    assert report.curve.turning_step == 60
    assert report.curve.turning_epoch == 2
    epochs = [advice for advice in report.advice if advice.topic == "epochs"]
    assert epochs[0].value == 2
    assert "train for 2 epochs next round (this run: 4" in epochs[0].text
    assert report.exit_code() == 0  # a warning: below the default fail-on
    assert analyze(LAYOUTS[layout](OVERFIT, tmp_path), fail_on="warning").exit_code() == 1


def test_a_validation_loss_that_dips_once_is_not_overfitting(tmp_path):
    wobble = points(decaying(2.0, 0.4, 25), per_epoch([1.0, 0.8, 0.82, 0.79]))
    assert analyze(as_jsonl(wobble, tmp_path)).findings == []


def test_a_flat_high_loss_is_a_plateau(tmp_path):
    flat_high = points(decaying(2.6, 1.8, 12), per_epoch([2.0, 1.9, 1.9, 1.9]))
    report = analyze(as_jsonl(flat_high, tmp_path))
    assert rules(report) == {"plateau"}
    assert {advice.topic for advice in report.advice} >= {"epochs", "learning_rate"}


def test_a_loss_that_barely_moves_means_the_learning_rate_is_too_low(tmp_path):
    barely = points(lambda step: 1.5 - 0.0001 * step, per_epoch([1.5, 1.5, 1.49, 1.49]), noise=0.02)
    report = analyze(as_jsonl(barely, tmp_path))
    assert rules(report) == {"learning-rate-too-low"}
    [finding] = report.findings
    assert "barely moved" in finding.message


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_nan_is_a_diverged_run(tmp_path, layout):
    entries = points(decaying(2.0, 0.4, 25), per_epoch([1.2, 0.8, 0.7, 0.68]))
    for entry in entries:
        if "loss" in entry and entry["step"] > 90:
            entry["loss"] = math.nan
    report = analyze(LAYOUTS[layout](entries, tmp_path))
    assert "non-finite-loss" in rules(report)
    [finding] = [f for f in report.findings if f.rule == "non-finite-loss"]
    assert finding.occurrences == 30
    assert "at step 91" in finding.message
    assert report.exit_code() == 1


def test_a_loss_rising_from_the_start_is_divergence(tmp_path):
    rising = points(lambda step: 1.0 + step / 60, per_epoch([1.5, 1.9, 2.4, 3.0]))
    report = analyze(as_jsonl(rising, tmp_path))
    assert rules(report) == {"loss-rising"}
    assert report.exit_code() == 1


def test_spikes_are_found_and_counted(tmp_path):
    entries = points(decaying(2.0, 0.4, 25), per_epoch([1.2, 0.8, 0.7, 0.68]))
    for step in (70, 100):
        entries[[e.get("step") for e in entries].index(step)]["loss"] = 4.0
    report = analyze(as_jsonl(entries, tmp_path))
    assert rules(report) == {"loss-spike"}
    [finding] = report.findings
    assert finding.occurrences == 2
    assert "at step 70" in finding.message


def test_a_run_without_validation_loss_says_so(tmp_path):
    report = analyze(as_jsonl(points(decaying(2.0, 0.4, 25), None), tmp_path))
    assert rules(report) == {"missing-validation"}
    assert report.findings[0].severity.value == "info"
    assert any("2-4 epochs" in advice.text for advice in report.advice)


def test_token_accuracy_that_stalls_is_reported(tmp_path):
    stalled = points(
        decaying(2.0, 0.4, 25), per_epoch([1.2, 0.8, 0.7, 0.68]), accuracy=lambda step: 0.61
    )
    assert rules(analyze(as_jsonl(stalled, tmp_path))) == {"token-accuracy-stalled"}


# --- real-shaped files ----------------------------------------------------------------------


def test_openai_result_file_layout():
    report = analyze(OPENAI_CSV)
    assert report.source.kind == "openai-csv"
    assert report.curve.train_points == 120
    # The full validation loss (each epoch's end) supersedes the per-batch estimate.
    assert report.curve.valid_points == 3
    assert report.curve.steps_per_epoch == 40
    assert report.curve.epochs == 3
    assert [step for step, _, _ in report.series["valid_loss"]] == [40, 80, 120]
    assert len(report.series["train_accuracy"]) == 120
    assert len(report.series["valid_accuracy"]) == 3
    assert rules(report) == {"overfitting"}
    assert report.curve.turning_step == 40
    assert report.findings[0].line == 41  # the CSV line of the lowest validation loss


def test_a_result_file_saved_as_the_api_serves_it_base64_is_read(tmp_path):
    encoded = tmp_path / "step_metrics.csv"
    encoded.write_bytes(base64.b64encode(OPENAI_CSV.read_bytes()) + b"\n")
    assert analyze(encoded).curve == analyze(OPENAI_CSV).curve


def test_trainer_state_layout():
    report = analyze(TRAINER_STATE)
    assert report.source.kind == "trainer-state"
    assert report.curve.train_points == 26  # the end-of-run summary entry is not a step
    assert report.curve.valid_points == 5
    assert report.curve.epochs == 5
    assert report.curve.steps_per_epoch == 25
    assert len(report.series["valid_accuracy"]) == 5
    assert rules(report) == {"overfitting"}
    assert (report.curve.best_step, report.curve.best_epoch) == (50, 2)


# --- unreadable sources: one line, exit 2 ---------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("m.csv", "step,train_loss\n1,0.5\n2,abc\n", "m.csv: line 3: `train_loss` is not a number"),
        ("m.csv", "step,train_loss\n1,0.5,9\n", "m.csv: line 2: 3 cells, the header has 2"),
        ("m.csv", "a,b\n1,2\n", "m.csv: line 1: not a fine-tuning result file"),
        ("m.jsonl", '{"step": 1, "loss": 1}\n{"step": 2,\n', "m.jsonl: line 2: invalid JSON"),
        ("m.jsonl", '{"step": 1, "loss": 1}\n[1]\n', "m.jsonl: line 2: a log entry must be"),
        ("m.jsonl", '{"step": 1, "lr": 1}\n', "m.jsonl: no loss values"),
        ("m.json", '{"a": 1}', "m.json: not a run's metrics"),
        ("m.json", '{"log_history": [', "m.json: line 1: invalid JSON"),
        ("m.csv", b"\xff\xfe\x00", "m.csv: not UTF-8 text"),
    ],
)
def test_a_broken_source_is_one_line_naming_the_file(tmp_path, capsys, name, content, expected):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    assert main(["runs", "analyze", str(path)]) == 2
    captured = capsys.readouterr()
    (line,) = captured.err.strip().splitlines()
    assert line.startswith("ftqa: error: ")
    assert f"{tmp_path}/{expected}" in line, line
    assert "Traceback" not in captured.err


def test_missing_sources_and_folders_without_metrics(tmp_path, capsys):
    assert main(["runs", "analyze", str(tmp_path / "nope.csv")]) == 2
    assert "nope.csv: no such file" in capsys.readouterr().err
    assert main(["runs", "analyze", str(tmp_path)]) == 2
    assert "a folder without ftqa-manifest.json or trainer_state.json" in capsys.readouterr().err


# --- outputs --------------------------------------------------------------------------------


def test_every_format(tmp_path, capsys):
    source = as_jsonl(OVERFIT, tmp_path)
    assert main(["runs", "analyze", str(source)]) == 0
    terminal = capsys.readouterr().out
    assert "runs/overfitting" in terminal
    assert "turning point: step 60" in terminal
    sparkline = next(line for line in terminal.splitlines() if "train loss" in line)
    assert set("▁█") <= set(sparkline)

    assert main(["runs", "analyze", str(source), "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert set(document) == {
        "runs_schema_version", "ftqa_version", "source", "job", "dataset_report", "summary",
        "curve", "findings", "advice", "series",
    }  # fmt: skip
    assert document["curve"]["turning_step"] == 60
    assert document["findings"][0]["check"] == "runs"
    assert document["series"]["valid_loss"][1] == [60, 2.0, 0.85]

    assert main(["runs", "analyze", str(source), "--format", "markdown"]) == 0
    assert "| warning | `runs/overfitting` |" in capsys.readouterr().out

    out = tmp_path / "report.html"
    assert main(["runs", "analyze", str(source), "--format", "html", "--output", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "default-src 'none'" in page
    assert "<script" not in page.lower()
    assert page.count("<svg") == 2  # loss and token accuracy
    assert "turned at step 60" in page


def test_a_healthy_html_report_has_no_turning_mark(tmp_path):
    out = tmp_path / "report.html"
    source = as_trainer_state(HEALTHY, tmp_path)
    assert main(["runs", "analyze", str(source), "--format", "html", "--output", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "turned at step" not in page
    assert "the curve looks healthy" in page


# --- run manifests and the dataset report ---------------------------------------------------


SECRET = "sk-proj-" + "Q7vT2mXb9LpR4sWk8ZcN1yHd6FgJ3aEu5oVi0qBt"


def _manifest(folder: Path, **overrides) -> Path:
    manifest = {
        "manifest_version": 1,
        "provider": "openai",
        "base_model": "gpt-4o-mini",
        "job_id": "ftjob-1",
        "status": "succeeded",
        "files": {"train": {"rows": 200}},
        "hyperparameters": {"n_epochs": 4, "batch_size": 16, "learning_rate_multiplier": 0.1},
        "report": {"path": str(folder / "ftqa-report.json"), "sha256": "ab" * 32},
        "job": {},
        **overrides,
    }
    path = folder / "ftqa-manifest.json"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    return path


def _dataset_report(folder: Path) -> None:
    findings = [
        {"check": "near_duplicates", "rule": "near-duplicate", "rows": [1, 2, 3, 4]},
        {"check": "duplicates", "rule": "exact-duplicate", "rows": [7, 8, 9]},
        {"check": "contradictions", "rule": "conflicting-answers", "rows": [10, 11]},
    ]
    document = {"dataset": {"rows": 50}, "findings": findings}
    (folder / "ftqa-report.json").write_text(json.dumps(document), encoding="utf-8")


def test_a_manifest_links_the_curve_to_the_dataset_report(tmp_path):
    as_openai_csv(OVERFIT, tmp_path).rename(tmp_path / "ftqa-metrics.csv")
    _manifest(tmp_path)
    _dataset_report(tmp_path)
    report = analyze(tmp_path)  # the folder, as `ftqa train` wrote it
    assert rules(report) == {"overfitting"}
    assert report.job["job_id"] == "ftjob-1"
    data = [advice.text for advice in report.advice if advice.topic == "data"]
    assert data[0].startswith("10% of training rows (5 of 50) repeat another row")
    assert "inflates the over-fitting seen here; run `ftqa fix --dedupe`" in data[0]
    assert data[1].startswith("1 groups of contradicting answers (2 rows) keep the loss floor")
    # batch 16 is above 4% of 200 rows
    [batch] = [advice for advice in report.advice if advice.topic == "batch_size"]
    assert batch.value == 8


def test_a_plateau_raises_the_multiplier_within_the_range(tmp_path):
    flat_high = points(decaying(2.6, 1.8, 12), per_epoch([2.0, 1.9, 1.9, 1.9]))
    as_jsonl(flat_high, tmp_path).rename(tmp_path / "ftqa-metrics.jsonl")
    _manifest(tmp_path, hyperparameters={"n_epochs": 3, "learning_rate_multiplier": 0.15})
    report = analyze(tmp_path / "ftqa-manifest.json")
    [rate] = [advice for advice in report.advice if advice.topic == "learning_rate"]
    assert rate.value == 0.2  # doubled, but capped at the top of 0.02-0.2
    assert any(advice.value == 5 for advice in report.advice if advice.topic == "epochs")


def test_a_failed_job_is_an_error_and_its_message_is_masked(tmp_path, capsys):
    error = f"Training failed: Incorrect API key provided: {SECRET} \x1b[2J<script>x</script>"
    _manifest(tmp_path, status="failed", error=error)
    for fmt in ("terminal", "json", "markdown", "html"):
        assert main(["runs", "analyze", str(tmp_path), "--format", fmt]) == 1
        out = capsys.readouterr().out
        assert "job-failed" in out
        assert SECRET[8:16] not in out, fmt
        assert "\x1b" not in out, fmt
        if fmt in ("markdown", "html"):
            assert "<script>" not in out, fmt


def test_a_running_job_without_metrics_says_how_to_wait(tmp_path, capsys):
    _manifest(tmp_path, status="running")
    assert main(["runs", "analyze", str(tmp_path)]) == 2
    assert "no metrics next to the manifest yet (job status `running`)" in capsys.readouterr().err
