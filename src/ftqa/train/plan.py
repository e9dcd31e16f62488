"""The launch plan: provider, base model, files, token and cost estimate, hyperparameters.

Hyperparameters come from the flags, else from the report's recommendations (the
`token_length` checker's starting points, e.g. "n_epochs: start with 3"), else the provider's
own default. Only single values are taken from a recommendation; a range ("about 2–40") is
left to the provider's automatic choice and shown in the plan.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftqa.config import Change, Settings
from ftqa.errors import FtqaError
from ftqa.report import FileInfo, Report
from ftqa.train.base import ProviderTimeouts, Trainer
from ftqa.train.gate import GateDecision

FLAGS = {
    "n_epochs": "--epochs",
    "batch_size": "--batch-size",
    "learning_rate_multiplier": "--learning-rate-multiplier",
    "learning_rate": "--learning-rate",
    "lora": "--lora",
}
FROM_REPORT = "report recommendation"
PROVIDER_DEFAULT = "provider default"

_EPOCHS = re.compile(r"^n_epochs:\s*start with (\d+)\b")
_BATCH = re.compile(r"^batch_size:\s*about (\d+)(?![\d–-])")
_BATCH_RANGE = re.compile(r"^batch_size:\s*about (\d+)\s*[–-]\s*(\d+)")
_LR_MULTIPLIER = re.compile(
    r"^learning_rate_multiplier:.*?(?:start low \(|start at |start with )(\d*\.?\d+)"
)


@dataclass(frozen=True)
class PlannedFile:
    path: str
    sha256: str
    rows: int
    bytes: int | None
    format: str | None

    @classmethod
    def of(cls, path: str, info: FileInfo) -> PlannedFile:
        return cls(path, info.sha256, info.rows, info.bytes, info.format)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "sha256": self.sha256,
            "rows": self.rows,
            "bytes": self.bytes,
            "format": self.format,
        }


@dataclass
class Hyperparameters:
    values: dict[str, Any]
    sources: dict[str, str]
    hints: list[str] = field(default_factory=list)

    def describe(self) -> str:
        parts = []
        for name, source in self.sources.items():
            value = self.values.get(name)
            shown = "auto" if value is None else _show(value)
            parts.append(f"{name}={shown} ({source})")
        return ", ".join(parts) or "provider defaults"


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def recommended(report: Report) -> tuple[dict[str, Any], list[str]]:
    """Single-valued starting points from the report's recommendations, and notes on ranges."""
    values: dict[str, Any] = {}
    hints: list[str] = []
    for line in report.recommendations:
        if match := _EPOCHS.match(line):
            values["n_epochs"] = int(match.group(1))
        elif match := _BATCH.match(line):
            values["batch_size"] = int(match.group(1))
        elif match := _BATCH_RANGE.match(line):
            hints.append(
                f"the report suggests a batch size of about {match.group(1)}–{match.group(2)}"
            )
        elif match := _LR_MULTIPLIER.match(line):
            values["learning_rate_multiplier"] = float(match.group(1))
    return values, hints


def check_flags(given: Mapping[str, Any], trainer: type[Trainer]) -> None:
    """Refuse a hyperparameter flag the provider does not take (before any work)."""
    supported = trainer.hyperparameters
    for name, value in given.items():
        if value is None or value is False:
            continue
        if name not in supported:
            takes = ", ".join(FLAGS[key] for key in FLAGS if key in supported) or "none"
            raise FtqaError(
                f"{FLAGS.get(name, name)} does not apply to provider `{trainer.name}` "
                f"(it takes: {takes})"
            )


def choose_hyperparameters(
    given: Mapping[str, Any], report: Report, trainer: type[Trainer]
) -> Hyperparameters:
    """Flags first, then the report's recommendations, then the provider's default."""
    check_flags(given, trainer)
    supported = trainer.hyperparameters
    report_values, hints = recommended(report)
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name in FLAGS:
        if name not in supported:
            continue
        flag_value = given.get(name)
        if flag_value is not None and flag_value is not False:
            values[name], sources[name] = flag_value, FLAGS[name]
        elif name in report_values:
            values[name], sources[name] = report_values[name], FROM_REPORT
        else:
            values[name], sources[name] = None, PROVIDER_DEFAULT
    shown = hints if "batch_size" in supported and values.get("batch_size") is None else []
    return Hyperparameters(values, sources, shown)


@dataclass
class Plan:
    """Everything a launch will do, shown before it does it and recorded in the manifest."""

    provider: str
    paid: bool
    model: str
    profile: str | None  # ftqa's token profile for `model`, when it has one
    timeouts: ProviderTimeouts
    train: PlannedFile
    validation: PlannedFile | None
    report: Report
    report_sha256: str
    report_source: str
    config_sha256: str
    config_origin: str
    config_verification: str
    decision: GateDecision
    hyperparameters: Hyperparameters
    output_dir: Path
    settings: Settings
    notes: list[str] = field(default_factory=list)

    @property
    def epochs(self) -> int | None:
        value = self.hyperparameters.values.get("n_epochs")
        if value is None and self.report.cost is not None:
            return self.report.cost.epochs
        return value

    def tokens_per_epoch(self) -> int | None:
        stats = self.report.stats.get("token_length")
        total = stats.get("total") if isinstance(stats, Mapping) else None
        return total if isinstance(total, int) else None

    def estimate(self) -> dict[str, Any] | None:
        """The report's cost estimate, re-scaled to the epochs this launch will run; None when
        the report priced another model than the base model (or nothing)."""
        cost = self.report.cost
        if cost is None or cost.epochs <= 0 or cost.model != self.profile:
            return None
        epochs = self.epochs or cost.epochs
        per_epoch = cost.billed_tokens / cost.epochs
        billed = round(per_epoch * epochs)
        return {
            "priced_as": cost.model,
            "billed_tokens": billed,
            "epochs": epochs,
            "price_per_million": cost.price_per_million,
            "estimate_usd": round(billed * cost.price_per_million / 1_000_000, 6),
        }

    def lines(self) -> list[str]:
        out = [f"Plan: fine-tune {self.model} on {self.provider}"]
        out.append(f"  provider        {self.provider}" + (" (paid)" if self.paid else " (local)"))
        out.append(f"  base model      {self.model}")
        out.append(f"  training file   {_file_line(self.train)}")
        if self.validation is not None:
            out.append(f"  validation file {_file_line(self.validation)}")
        out.append(f"  report          {self.report_source} (sha256 {self.report_sha256[:16]}…)")
        out.append(
            f"  configuration   {self.config_origin} (sha256 {self.config_sha256[:16]}…, "
            f"{self.config_verification})"
        )
        files = len(self.settings.files)
        out.extend(f"                  {change.describe(files)}" for change in self.changes())
        out.append(f"  gate            {self._gate_line()}")
        out.extend(self._token_lines())
        out.append(f"  hyperparameters {self.hyperparameters.describe()}")
        out.extend(f"                  {hint}" for hint in self.hyperparameters.hints)
        out.append(f"  requests        {self.timeouts.describe()} (per provider request)")
        out.append(f"  output          {self.output_dir}")
        out.extend(f"  note: {note}" for note in self.notes)
        return out

    def changes(self) -> list[Change]:
        """How the configuration in force differs from the defaults."""
        return self.settings.changes()

    def _gate_line(self) -> str:
        decision = self.decision
        level = decision.fail_on.value
        if decision.clean:
            return f"passed (nothing at or above `{level}`)"
        accepted = ", ".join(
            f"{', '.join(acceptance.rules)} ({acceptance.findings} findings)"
            for acceptance in decision.accepted
        )
        return f"passed with accepted rules (--accept): {accepted}"

    def _token_lines(self) -> list[str]:
        lines = []
        tokens = self.tokens_per_epoch()
        stats = self.report.stats.get("token_length")
        if tokens is not None and isinstance(stats, Mapping):
            exact = "" if stats.get("exact", True) else ", an estimate"
            lines.append(
                f"  tokens          {tokens:,} per epoch ({stats.get('model', '?')} "
                f"tokenizer{exact})"
            )
        else:
            lines.append("  tokens          not counted (the token_length check did not run)")
        if not self.paid:
            lines.append("  cost            local run: no provider charge")
            return lines
        estimate = self.estimate()
        if estimate is None:
            why = (
                f"ftqa has no price for {self.model}; see {self.provider}'s price list"
                if self.report.cost is not None or self.profile is None
                else "the token_length check did not price it"
            )
            lines.append(f"  cost            not estimated ({why})")
            return lines
        lines.append(
            f"  cost            ≈ {_usd(estimate['estimate_usd'])} for "
            f"{estimate['billed_tokens']:,} billed tokens ({estimate['epochs']} epochs × "
            f"${estimate['price_per_million']:g} per 1M {estimate['priced_as']} tokens; an "
            "estimate, see the report's assumptions)"
        )
        return lines


def _usd(amount: float) -> str:
    return f"${amount:,.2f}" if amount >= 0.1 else f"${amount:.4f}"


def _file_line(info: PlannedFile) -> str:
    size = f", {info.bytes:,} bytes" if info.bytes is not None else ""
    return f"{info.path} ({info.rows:,} rows, {info.format or 'unknown format'}{size})"
