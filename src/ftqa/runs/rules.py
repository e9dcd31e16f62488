"""The `runs` rules and the thresholds the analysis uses (documented in docs/runs.md).

Smoothing: a series of n points is smoothed with a trailing moving average over
`window(n) = max(1, n // 10)` points; the "head" and the "tail" of a series are the means of
its first and last quarter (`quarter(n) = max(1, n // 4)` finite points). Validation loss is
smoothed only when it was logged at more than `Thresholds.smooth_valid_above` points (OpenAI's
per-step estimate on one validation batch); evaluations over the whole validation file are
used as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from ftqa.checker import Rule
from ftqa.finding import Severity

CHECK_ID = "runs"

NON_FINITE_LOSS = Rule(
    "non-finite-loss", Severity.ERROR, "The loss became NaN or infinite: the run diverged."
)
LOSS_RISING = Rule(
    "loss-rising", Severity.ERROR, "The training loss rose over the run instead of falling."
)
LOSS_SPIKE = Rule("loss-spike", Severity.WARNING, "The training loss jumped far above its trend.")
OVERFITTING = Rule(
    "overfitting",
    Severity.WARNING,
    "Validation loss rose for several evaluations while training loss kept falling.",
)
PLATEAU = Rule("plateau", Severity.WARNING, "The training loss stopped falling while still high.")
LEARNING_RATE_TOO_LOW = Rule(
    "learning-rate-too-low",
    Severity.WARNING,
    "The training loss barely moved over the whole run.",
)
TOKEN_ACCURACY_STALLED = Rule(
    "token-accuracy-stalled", Severity.INFO, "Training token accuracy did not rise."
)
MISSING_VALIDATION = Rule("missing-validation", Severity.INFO, "The run logged no validation loss.")
JOB_FAILED = Rule("job-failed", Severity.ERROR, "The fine-tuning job failed or was cancelled.")

RULES: tuple[Rule, ...] = (
    NON_FINITE_LOSS,
    LOSS_RISING,
    LOSS_SPIKE,
    OVERFITTING,
    PLATEAU,
    LEARNING_RATE_TOO_LOW,
    TOKEN_ACCURACY_STALLED,
    MISSING_VALIDATION,
    JOB_FAILED,
)
SUMMARY = "a fine-tuning run's step metrics: divergence, over- and under-fitting, stalls"


@dataclass(frozen=True)
class Thresholds:
    """Every number the analysis compares against (relative values are fractions)."""

    min_points: int = 5  # fewer training-loss points: no curve-shape rule is judged
    overfit_patience: int = 2  # evaluations after the minimum, all above it
    overfit_margin: float = 0.03  # ... by at least this share of the minimum
    rising_margin: float = 0.10  # tail above head by this share: the loss rose
    spike_factor: float = 2.5  # a point this many times the median of the points before it
    spike_lookback: int = 5  # points the median looks back over: the smoothing window, at
    spike_lookback_max: int = 50  # least this many and at most this many
    flat_drop: float = 0.05  # head to tail drop below this share: the loss barely moved
    plateau_fell: float = 0.10  # a plateau: the loss first fell by at least this share ...
    plateau_drop: float = 0.03  # ... then its last quarter is this little below the third ...
    plateau_loss: float = 1.0  # ... and still this high (nats per token)
    accuracy_gain: float = 0.01  # token accuracy rising less than this (absolute) ...
    accuracy_ceiling: float = 0.95  # ... while below this: stalled
    smooth_valid_above: int = 20


def window(points: int) -> int:
    """The smoothing window of a series of `points` points."""
    return max(1, points // 10)


def quarter(points: int) -> int:
    """The size of a series' head and tail (its first and last quarter)."""
    return max(1, points // 4)
