"""Advice for the next round, from the curve and, when the run has a manifest, the dataset
report behind it.

Rules of thumb (practitioners' guides, as quoted in issue 18): start with 2-4 epochs (more for
small sets, fewer for large ones); more epochs when the model does not follow the examples
closely enough, fewer when it over-fits; a batch size of 0.01-4% of the training set; a
learning-rate multiplier between 0.02 and 0.2, raised when the training loss has not reached
its minimum.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field, field_validator

from ftqa.outbound import outbound
from ftqa.runs.analysis import Analysis

MULTIPLIER_RANGE = (0.02, 0.2)
BATCH_SHARE = (0.0001, 0.04)
DEFAULT_EPOCHS = (2, 4)
DUPLICATE_CHECKS = ("duplicates", "near_duplicates")
DUPLICATE_SHARE = 0.05  # a share of repeated rows worth naming when the run over-fits


class Advice(BaseModel):
    topic: str = Field(description="`epochs`, `learning_rate`, `batch_size` or `data`.")
    text: str = Field(description="One sentence.")
    value: float | int | None = Field(
        default=None, description="The suggested setting, when there is one number to use."
    )

    @field_validator("text")
    @classmethod
    def _outbound(cls, value: str) -> str:
        return outbound(value)


def advise(analysis: Analysis) -> list[Advice]:
    advice: list[Advice] = []
    metrics, curves, fired = analysis.metrics, analysis.curves, analysis.fired
    manifest = metrics.manifest or {}
    hyper: Mapping[str, Any] = manifest.get("hyperparameters") or {}
    epochs = hyper.get("n_epochs") or metrics.epochs
    if curves.best is not None:
        epoch = metrics.epoch_of(curves.best)
        best = max(1, round(epoch)) if epoch is not None else None
        where = f"step {curves.best.step}" + (f", epoch {epoch:.2f}" if epoch is not None else "")
        text = f"validation loss was lowest ({curves.best.value:.3f}) at {where}"
        if best is not None and "overfitting" in fired:
            text += f": train for {best} epoch{'s' if best != 1 else ''} next round"
            if epochs:
                text += f" (this run: {_number(epochs)})"
        elif best is not None:
            text += f"; the best epoch was {best}"
        advice.append(Advice(topic="epochs", text=text, value=best))
    if "plateau" in fired and epochs:
        more = math.ceil(float(epochs)) + 2
        advice.append(
            Advice(
                topic="epochs",
                text=f"the loss stopped falling while high: try {more} epochs, or raise the "
                "learning rate (below)",
                value=more,
            )
        )
    if metrics.train_loss and not metrics.valid_loss:
        low, high = DEFAULT_EPOCHS
        advice.append(
            Advice(
                topic="epochs",
                text=f"without validation loss, start with {low}-{high} epochs (more for small "
                "sets, fewer for large ones) and train with a validation file",
            )
        )
    advice.extend(_learning_rate(fired, hyper))
    batch = _batch_size(fired, hyper, manifest)
    if batch is not None:
        advice.append(batch)
    advice.extend(_data_links(analysis))
    return advice


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _learning_rate(fired: set[str], hyper: Mapping[str, Any]) -> list[Advice]:
    low, high = MULTIPLIER_RANGE
    multiplier = hyper.get("learning_rate_multiplier")
    rate = hyper.get("learning_rate")
    if fired & {"learning-rate-too-low", "plateau"}:
        why = "the training loss had not reached its minimum"
        if isinstance(multiplier, (int, float)):
            new = min(high, float(multiplier) * 2)
            if new <= multiplier:
                text = f"{why}, but the multiplier is already at {high}: add epochs or data"
                return [Advice(topic="learning_rate", text=text)]
            return [
                Advice(
                    topic="learning_rate",
                    text=f"{why}: raise the learning-rate multiplier from {multiplier:g} to "
                    f"{new:g} (keep it within {low}-{high})",
                    value=round(new, 4),
                )
            ]
        if isinstance(rate, (int, float)):
            return [
                Advice(
                    topic="learning_rate",
                    text=f"{why}: double the learning rate, {rate:g} to {rate * 2:g}",
                    value=rate * 2,
                )
            ]
        return [
            Advice(
                topic="learning_rate",
                text=f"{why}: raise the learning rate (a multiplier between {low} and {high})",
            )
        ]
    if fired & {"loss-spike", "loss-rising", "non-finite-loss"}:
        current = multiplier if isinstance(multiplier, (int, float)) else rate
        if isinstance(current, (int, float)):
            new = max(low, current / 2) if current is multiplier else current / 2
            return [
                Advice(
                    topic="learning_rate",
                    text=f"the loss was unstable: halve the learning rate, {current:g} to {new:g}",
                    value=new,
                )
            ]
        text = "the loss was unstable: lower the learning rate"
        return [Advice(topic="learning_rate", text=text)]
    return []


def _batch_size(
    fired: set[str], hyper: Mapping[str, Any], manifest: Mapping[str, Any]
) -> Advice | None:
    rows = ((manifest.get("files") or {}).get("train") or {}).get("rows")
    batch = hyper.get("batch_size")
    if not isinstance(rows, int) or rows <= 0:
        return None
    low = max(1, math.ceil(rows * BATCH_SHARE[0]))
    high = max(1, math.floor(rows * BATCH_SHARE[1]))
    share = f"{BATCH_SHARE[0]:.2%}-{BATCH_SHARE[1]:.0%} of the {rows:,} training rows"
    if isinstance(batch, int) and batch > high:
        return Advice(
            topic="batch_size",
            text=f"batch size {batch} is above {share}: use at most {high}",
            value=high,
        )
    if isinstance(batch, int) and batch < low:
        return Advice(
            topic="batch_size",
            text=f"batch size {batch} is below {share}: use at least {low}",
            value=low,
        )
    if fired & {"loss-spike", "loss-rising"} and isinstance(batch, int) and batch < high:
        new = min(high, batch * 2)
        return Advice(
            topic="batch_size",
            text=f"a larger batch steadies the loss: {batch} to {new} (within {share})",
            value=new,
        )
    return None


def _data_links(analysis: Analysis) -> list[Advice]:
    report = analysis.metrics.dataset_report
    if not report:
        return []
    rows = (report.get("dataset") or {}).get("rows") or 0
    findings = [f for f in report.get("findings") or [] if isinstance(f, Mapping)]
    advice = []
    repeated = sum(
        max(0, len(f.get("rows") or []) - 1) for f in findings if f.get("check") in DUPLICATE_CHECKS
    )
    if rows and repeated:
        share = repeated / rows
        if "overfitting" in analysis.fired or share >= DUPLICATE_SHARE:
            verb = (
                "which inflates the over-fitting seen here"
                if "overfitting" in analysis.fired
                else "which the model sees several times per epoch"
            )
            advice.append(
                Advice(
                    topic="data",
                    text=f"{share:.0%} of training rows ({repeated} of {rows}) repeat another "
                    f"row or nearly so, {verb}; run `ftqa fix --dedupe`",
                    value=round(share, 4),
                )
            )
    contradictions = [f for f in findings if f.get("check") == "contradictions"]
    if contradictions:
        involved = sum(len(f.get("rows") or []) for f in contradictions)
        advice.append(
            Advice(
                topic="data",
                text=f"{len(contradictions)} groups of contradicting answers ({involved} rows) "
                "keep the loss floor high: no setting fits two different answers to the same "
                "prompt; resolve them (`ftqa check` lists the groups)",
                value=len(contradictions),
            )
        )
    return advice
