"""The run report: what `ftqa runs analyze` found, as a pydantic model whose JSON is published.

Fields (schema `runs_schema_version` 1): `ftqa_version`; `source` (`path`, `kind`); `job`
(`provider`, `base_model`, `job_id`, `status`, `hyperparameters`: from the manifest, or
null); `dataset_report` (`path`, `sha256` of the dataset report the manifest links, or
null); `summary` (`errors`, `warnings`, `infos`, `passed`, `fail_on`); `curve` (the numbers
below); `findings` (the same model as `ftqa check`'s, check id `runs`); `advice` (`topic`,
`text`, `value`); `series` (`train_loss`, `valid_loss`, `train_accuracy`, `valid_accuracy`:
`[step, epoch, value]` triples, epoch and value null when unknown or not finite).
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, Field, field_validator

from ftqa._version import __version__
from ftqa.finding import Finding, Severity
from ftqa.outbound import outbound_value, visible
from ftqa.report import Summary
from ftqa.runs.advice import Advice
from ftqa.runs.metrics import SERIES, RunMetrics, Sample

RUNS_SCHEMA_VERSION = 1


class Source(BaseModel):
    path: str
    kind: str = Field(description="`openai-csv`, `trainer-state`, `jsonl` or `manifest`.")

    @field_validator("path")
    @classmethod
    def _visible(cls, value: str) -> str:
        return visible(value)


class Curve(BaseModel):
    steps: int = Field(description="Last optimizer step logged.")
    epochs: float | None = Field(description="Epochs the run was set to, or reached.")
    steps_per_epoch: float | None
    train_points: int
    valid_points: int
    first_train_loss: float | None = Field(description="Mean of the first points (see docs).")
    last_train_loss: float | None = Field(description="Mean of the last points.")
    min_valid_loss: float | None
    best_step: int | None = Field(description="Step of the lowest validation loss.")
    best_epoch: float | None = Field(description="Epoch of the lowest validation loss.")
    turning_step: int | None = Field(description="Where over-fitting began, when it did.")
    turning_epoch: float | None


class RunReport(BaseModel):
    runs_schema_version: int = RUNS_SCHEMA_VERSION
    ftqa_version: str = __version__
    source: Source
    job: dict[str, Any] | None = None
    dataset_report: dict[str, Any] | None = None
    summary: Summary
    curve: Curve
    findings: list[Finding]
    advice: list[Advice]
    series: dict[str, list[tuple[int, float | None, float | None]]]

    @field_validator("job", "dataset_report")
    @classmethod
    def _outbound(cls, value: Any) -> Any:
        return outbound_value(value)

    def exit_code(self) -> int:
        return 0 if self.summary.passed else 1

    def to_json(self, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent)

    def by_rule(self) -> dict[str, list[Finding]]:
        groups: dict[str, list[Finding]] = {}
        for finding in self.findings:
            groups.setdefault(finding.rule, []).append(finding)
        return groups


def _triple(sample: Sample, metrics: RunMetrics) -> tuple[int, float | None, float | None]:
    epoch = metrics.epoch_of(sample)
    return (
        sample.step,
        round(epoch, 4) if epoch is not None else None,
        sample.value if math.isfinite(sample.value) else None,
    )


def summarize(findings: list[Finding], fail_on: Severity) -> Summary:
    counts = dict.fromkeys(Severity, 0)
    for finding in findings:
        counts[finding.severity] += 1
    failed = any(finding.severity.at_least(fail_on) for finding in findings)
    return Summary(
        errors=counts[Severity.ERROR],
        warnings=counts[Severity.WARNING],
        infos=counts[Severity.INFO],
        passed=not failed,
        fail_on=fail_on,
    )


def job_section(metrics: RunMetrics) -> dict[str, Any] | None:
    manifest = metrics.manifest
    if manifest is None:
        return None
    keys = ("provider", "base_model", "job_id", "status", "hyperparameters", "error")
    return {key: manifest.get(key) for key in keys}


def dataset_section(metrics: RunMetrics) -> dict[str, Any] | None:
    manifest = metrics.manifest or {}
    report = manifest.get("report")
    if not isinstance(report, dict):
        return None
    return {"path": report.get("path"), "sha256": report.get("sha256")}


def series(metrics: RunMetrics) -> dict[str, list[tuple[int, float | None, float | None]]]:
    return {name: [_triple(s, metrics) for s in metrics.series(name)] for name in SERIES}
