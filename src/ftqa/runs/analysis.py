"""Judge a run's curves: findings with the `runs` rules, and the numbers advice is built on.

Each rule is a small function over `RunMetrics`; thresholds and smoothing are in
`ftqa.runs.rules`. A healthy curve (training loss falling, validation loss falling or flat,
token accuracy rising) raises nothing.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from ftqa.checker import Rule
from ftqa.finding import Finding
from ftqa.render.words import counted
from ftqa.runs import rules as R
from ftqa.runs.metrics import RunMetrics, Sample
from ftqa.runs.rules import Thresholds, quarter, window


@dataclass
class Curves:
    """The numbers the findings, the advice and the renderers share."""

    train: list[Sample] = field(default_factory=list)  # finite training loss, as logged
    train_smooth: list[float] = field(default_factory=list)
    valid: list[Sample] = field(default_factory=list)  # finite validation loss
    valid_smooth: list[float] = field(default_factory=list)
    best: Sample | None = None  # the evaluation of lowest (smoothed) validation loss
    turning: Sample | None = None  # the minimum, when over-fitting followed it
    head: float | None = None
    tail: float | None = None


@dataclass
class Analysis:
    metrics: RunMetrics
    curves: Curves
    findings: list[Finding]
    fired: set[str]


def smooth(values: Sequence[float], width: int) -> list[float]:
    """Trailing moving average over `width` points."""
    out, total = [], 0.0
    for index, value in enumerate(values):
        total += value
        if index >= width:
            total -= values[index - width]
        out.append(total / min(index + 1, width))
    return out


def curves(metrics: RunMetrics, limits: Thresholds) -> Curves:
    found = Curves()
    found.train = [s for s in metrics.train_loss if s.finite]
    found.train_smooth = smooth([s.value for s in found.train], window(len(found.train)))
    found.valid = [s for s in metrics.valid_loss if s.finite]
    width = window(len(found.valid)) if len(found.valid) > limits.smooth_valid_above else 1
    found.valid_smooth = smooth([s.value for s in found.valid], width)
    if found.train:
        size = quarter(len(found.train))
        found.head = statistics.fmean(s.value for s in found.train[:size])
        found.tail = statistics.fmean(s.value for s in found.train[-size:])
    if found.valid:
        index = min(range(len(found.valid)), key=found.valid_smooth.__getitem__)
        found.best = found.valid[index]
    return found


class _Judge:
    def __init__(self, metrics: RunMetrics, limits: Thresholds) -> None:
        self.metrics = metrics
        self.limits = limits
        self.curves = curves(metrics, limits)
        self.findings: list[Finding] = []
        self.fired: set[str] = set()

    def add(self, rule: Rule, message: str, sample: Sample | None = None, **extra: object) -> None:
        self.fired.add(rule.slug)
        self.findings.append(
            Finding(
                check=R.CHECK_ID,
                rule=rule.slug,
                severity=rule.severity,
                message=message,
                file=self.metrics.source,
                line=sample.line if sample is not None else None,
                **extra,  # type: ignore[arg-type]
            )
        )

    def where(self, sample: Sample) -> str:
        epoch = self.metrics.epoch_of(sample)
        return f"step {sample.step}" + (f" (epoch {epoch:.2f})" if epoch is not None else "")

    def run(self) -> None:
        self.job()
        self.non_finite()
        enough = len(self.curves.train) >= self.limits.min_points
        if enough:
            self.rising_or_flat()
            self.spikes()
            self.accuracy()
        self.overfitting()
        if self.metrics.train_loss and not self.metrics.valid_loss:
            self.add(
                R.MISSING_VALIDATION,
                "no validation loss was logged, so over-fitting cannot be told from learning; "
                "train with a validation file (ftqa split makes a leak-free one)",
            )

    def job(self) -> None:
        status = self.metrics.job_status
        if status in {"failed", "cancelled"}:
            reason = f": {self.metrics.job_error}" if self.metrics.job_error else ""
            self.add(R.JOB_FAILED, f"the job ended `{status}`{reason}")

    def non_finite(self) -> None:
        for name, series in (
            ("training", self.metrics.train_loss),
            ("validation", self.metrics.valid_loss),
        ):
            bad = [s for s in series if not s.finite]
            if bad:
                self.add(
                    R.NON_FINITE_LOSS,
                    f"the {name} loss is {_spelled(bad[0].value)} at {self.where(bad[0])}"
                    f" ({len(bad)} of {len(series)} values are NaN or infinite)",
                    bad[0],
                    occurrences=len(bad),
                )

    def rising_or_flat(self) -> None:
        c, limits = self.curves, self.limits
        assert c.head is not None
        assert c.tail is not None
        if c.tail > c.head * (1 + limits.rising_margin):
            self.add(
                R.LOSS_RISING,
                f"the training loss rose from {c.head:.3f} to {c.tail:.3f} (the first and the "
                f"last {counted(quarter(len(c.train)), 'point')}, averaged)",
                c.train[-1],
            )
            return
        if c.head <= 0:
            return
        drop = (c.head - c.tail) / c.head
        if drop < limits.flat_drop:
            self.add(
                R.LEARNING_RATE_TOO_LOW,
                f"the training loss barely moved over {len(c.train)} points "
                f"({c.head:.3f} to {c.tail:.3f}, {drop:.1%}): the learning rate is likely too "
                "low for this data",
                c.train[-1],
            )
            return
        size = quarter(len(c.train))
        third = statistics.fmean(s.value for s in c.train[-2 * size : -size])
        last = statistics.fmean(s.value for s in c.train[-size:])
        late_drop = (third - last) / third if third > 0 else 0.0
        flat = late_drop < limits.plateau_drop and drop >= limits.plateau_fell
        if flat and last >= limits.plateau_loss:
            since = c.train[-2 * size]
            self.add(
                R.PLATEAU,
                f"the training loss has been flat at about {last:.3f} since "
                f"{self.where(since)} ({late_drop:.1%} lower in the last quarter than in the "
                "third): the model is under-fitting",
                since,
            )

    def spikes(self) -> None:
        c, limits = self.curves, self.limits
        lookback = min(max(limits.spike_lookback, window(len(c.train))), limits.spike_lookback_max)
        values = [s.value for s in c.train]
        spikes = []
        for index in range(lookback, len(values)):
            before = statistics.median(values[index - lookback : index])
            if before > 0 and values[index] > limits.spike_factor * before:
                spikes.append(index)
        if spikes:
            first = c.train[spikes[0]]
            baseline = statistics.median(values[spikes[0] - lookback : spikes[0]])
            self.add(
                R.LOSS_SPIKE,
                f"the training loss jumped to {first.value:.3f} at {self.where(first)}, "
                f"{first.value / baseline:.1f}× the median {baseline:.3f} of the "
                f"{lookback} points before ({counted(len(spikes), 'spike')} in all)",
                first,
                occurrences=len(spikes),
            )

    def accuracy(self) -> None:
        series = [s for s in self.metrics.train_accuracy if s.finite]
        if len(series) < self.limits.min_points:
            return
        size = quarter(len(series))
        head = statistics.fmean(s.value for s in series[:size])
        tail = statistics.fmean(s.value for s in series[-size:])
        if tail - head < self.limits.accuracy_gain and tail < self.limits.accuracy_ceiling:
            self.add(
                R.TOKEN_ACCURACY_STALLED,
                f"training token accuracy went from {head:.3f} to {tail:.3f} over "
                f"{len(series)} points: the model is not learning to reproduce the answers",
                series[-1],
            )

    def overfitting(self) -> None:
        c, limits = self.curves, self.limits
        if c.best is None:
            return
        index = c.valid.index(c.best)
        after = c.valid_smooth[index + 1 :]
        minimum = c.valid_smooth[index]
        if len(after) < limits.overfit_patience:
            return
        floor = minimum * (1 + limits.overfit_margin)
        if not all(value > floor for value in after[-limits.overfit_patience :]):
            return
        train_then = _value_at(c.train, c.train_smooth, c.best.step)
        if train_then is None or not c.train_smooth or c.train_smooth[-1] >= train_then:
            return
        c.turning = c.best
        self.add(
            R.OVERFITTING,
            f"validation loss turned at {self.where(c.best)}: lowest {minimum:.3f}, then "
            f"{len(after)} evaluation{'s' if len(after) != 1 else ''} above it up to "
            f"{c.valid_smooth[-1]:.3f}, while training loss fell from {train_then:.3f} to "
            f"{c.train_smooth[-1]:.3f}",
            c.best,
        )


def _spelled(value: float) -> str:
    return "NaN" if math.isnan(value) else "infinite" if value > 0 else "minus infinity"


def _value_at(samples: list[Sample], smoothed: list[float], step: int) -> float | None:
    """The smoothed value at the last sample at or before `step`."""
    value = None
    for sample, smooth_value in zip(samples, smoothed, strict=True):
        if sample.step > step:
            break
        value = smooth_value
    return value


def analyze_metrics(metrics: RunMetrics, limits: Thresholds | None = None) -> Analysis:
    judge = _Judge(metrics, limits or Thresholds())
    judge.run()
    return Analysis(metrics, judge.curves, judge.findings, judge.fired)
