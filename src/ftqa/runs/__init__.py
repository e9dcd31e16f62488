"""`ftqa runs analyze`: read a fine-tuning run's step metrics and advise the next round.

    report = ftqa.runs.analyze("ftqa-runs/20260101T000000Z-openai")   # or a CSV, a JSON file
    report.findings; report.advice; report.curve.best_epoch; report.to_json()

Readers: `ftqa.runs.readers`; rules and thresholds: `ftqa.runs.rules`; the judging:
`ftqa.runs.analysis`; advice: `ftqa.runs.advice`; the published JSON: `ftqa.runs.report`.
"""

from __future__ import annotations

import os

from ftqa.finding import Severity
from ftqa.runs.analysis import Analysis, analyze_metrics
from ftqa.runs.metrics import RunMetrics, Sample
from ftqa.runs.readers import METRICS_FILES, read_metrics
from ftqa.runs.report import (
    Curve,
    RunReport,
    Source,
    dataset_section,
    job_section,
    series,
    summarize,
)
from ftqa.runs.rules import RULES, Thresholds

__all__ = [
    "METRICS_FILES",
    "RULES",
    "RunMetrics",
    "RunReport",
    "Sample",
    "Thresholds",
    "analyze",
    "build_report",
    "read_metrics",
]


def analyze(
    source: str | os.PathLike[str],
    *,
    fail_on: Severity | str = Severity.ERROR,
    thresholds: Thresholds | None = None,
) -> RunReport:
    """Read `source` and judge the run (raises `InputError` for what cannot be read)."""
    return build_report(analyze_metrics(read_metrics(source), thresholds), Severity(fail_on))


def build_report(analysis: Analysis, fail_on: Severity = Severity.ERROR) -> RunReport:
    from ftqa.runs.advice import advise

    metrics, curves = analysis.metrics, analysis.curves
    best_epoch = metrics.epoch_of(curves.best) if curves.best is not None else None
    turning = curves.turning
    curve = Curve(
        steps=metrics.last_step,
        epochs=metrics.epochs,
        steps_per_epoch=round(metrics.steps_per_epoch, 4) if metrics.steps_per_epoch else None,
        train_points=len(metrics.train_loss),
        valid_points=len(metrics.valid_loss),
        first_train_loss=curves.head,
        last_train_loss=curves.tail,
        min_valid_loss=curves.best.value if curves.best is not None else None,
        best_step=curves.best.step if curves.best is not None else None,
        best_epoch=round(best_epoch, 4) if best_epoch is not None else None,
        turning_step=turning.step if turning is not None else None,
        turning_epoch=(
            round(e, 4) if turning is not None and (e := metrics.epoch_of(turning)) else None
        ),
    )
    findings = sorted(analysis.findings, key=lambda f: (-f.severity.rank, f.rule))
    return RunReport(
        source=Source(path=metrics.source, kind=metrics.kind),
        job=job_section(metrics),
        dataset_report=dataset_section(metrics),
        summary=summarize(findings, fail_on),
        curve=curve,
        findings=findings,
        advice=advise(analysis),
        series=series(metrics),
    )
