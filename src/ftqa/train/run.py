"""`ftqa.train(...)`: check, gate, plan, confirm, launch, record.

    result = ftqa.train("train.jsonl", provider="openai", model="gpt-4o-mini", yes=True)
    result.job_id, result.manifest_path

Order of events: the provider's dependencies are checked; a configuration discovered near the
data that relaxes the checks refuses the launch (`DiscoveredConfigRefused`, CLI exit 1); the
dataset is checked now, and a saved `--report` must first belong to the files and the
configuration and then agree with that fresh check (`StaleReport`, exit 2); the gate judges
the fresh report (`TrainingRefused`, exit 1, unless every blocking rule is accepted); the plan
is built and the provider says whether it can take these files; a dry run stops there; a paid
launch needs confirmation; the files are copied privately and their bytes (sha256 and size)
verified against what was checked; the manifest is written, the provider launches, the
manifest is updated (`ftqa.train.launch`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ftqa import api
from ftqa._version import __version__
from ftqa.config import Settings, load_settings
from ftqa.errors import FtqaError
from ftqa.formats.mapping import map_table
from ftqa.report import Report
from ftqa.train.base import ConfirmationRequired, LaunchError, ProviderTimeouts
from ftqa.train.base import load_trainer as _load_trainer
from ftqa.train.fingerprint import config_fingerprint
from ftqa.train.gate import (
    TrainingRefused,
    check_accept_selectors,
    decide,
    refuse_relaxing_discovery,
)
from ftqa.train.launch import Launch, TrainResult
from ftqa.train.manifest import MANIFEST_NAME
from ftqa.train.plan import Plan, PlannedFile, check_flags, choose_hyperparameters
from ftqa.train.saved import (
    LoadedReport,
    load_report,
    recorded_inputs,
    verify_report,
    verify_reproduced,
)

PathLike = str | os.PathLike[str]
log = logging.getLogger("ftqa.train")
CHECKED_NOW = "checked now"
RUNS_DIR = "ftqa-runs"

__all__ = ["Launch", "TrainResult", "prepare", "train"]


@dataclass
class _Checked:
    """The fresh report the gate judges, and the report bytes the manifest records."""

    report: Report
    report_bytes: bytes
    source: str
    verification: str
    profile: str | None  # ftqa's token profile for the base model, for the plan's estimate
    notes: list[str] = field(default_factory=list)
    saved: LoadedReport | None = None  # the --report, to compare with `report`


def _profile_for(model: str, settings: Settings) -> str | None:
    """The name of ftqa's token profile for `model` (so the check counts and prices for it),
    or None when there is none."""
    try:
        from ftqa.tokens.profiles import get_profile
    except ImportError:  # pragma: no cover - the token layer is part of ftqa
        return None
    options = settings.options_for("token_length")
    custom = getattr(options, "profiles", None)
    try:
        return str(get_profile(model, custom).name)
    except Exception:  # noqa: BLE001 - unknown names raise several error types
        return None


def _default_output_dir(provider: str) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    base = Path(RUNS_DIR) / f"{stamp}-{provider}"
    candidate, number = base, 2
    while candidate.exists():
        candidate = base.with_name(f"{base.name}-{number}")
        number += 1
    return candidate


def _loaded(report: PathLike | Report) -> LoadedReport:
    if isinstance(report, Report):
        data = report.to_json().encode("utf-8")
        return LoadedReport(
            report, "<report object>", data, hashlib.sha256(data).hexdigest(), report.to_dict()
        )
    return load_report(report)


def prepare(
    data: PathLike,
    validation: PathLike | None = None,
    *,
    provider: str,
    model: str,
    epochs: int | None = None,
    batch_size: int | None = None,
    learning_rate_multiplier: float | None = None,
    learning_rate: float | None = None,
    lora: bool = False,
    report: PathLike | Report | None = None,
    accept: Sequence[str] = (),
    config: PathLike | Mapping[str, Any] | None = None,
    output_dir: PathLike | None = None,
    options: Mapping[str, Any] | None = None,
    connect_timeout: float | None = None,
    read_timeout: float | None = None,
    retries: int | None = None,
    mapping: str | Mapping[str, Any] | None = None,
) -> Launch:
    """Everything before the launch: raises `TrainingRefused` when the gate refuses,
    `StaleReport` for a report of other files or settings or one the checks do not reproduce,
    `DiscoveredConfigRefused` for a discovered configuration that relaxes the checks,
    `ProviderUnavailable`, `LaunchError` when the provider cannot take these files,
    `InputError`/`ConfigError`."""
    trainer_cls = _load_trainer(provider)
    trainer_cls.check_model(model)
    check_accept_selectors(accept)
    trainer = trainer_cls(options)
    given = {
        "n_epochs": epochs,
        "batch_size": batch_size,
        "learning_rate_multiplier": learning_rate_multiplier,
        "learning_rate": learning_rate,
        "lora": lora,
    }
    check_flags(given, trainer_cls)
    train_path = os.fspath(data)
    validation_path = os.fspath(validation) if validation is not None else None
    settings = load_settings(
        config, Path(train_path) if config is None else None, {"map": map_table(mapping)}
    )
    refuse_relaxing_discovery(settings)
    trainer.timeouts = _timeouts(settings, connect_timeout, read_timeout, retries)
    if report is None:
        fresh = _check_now(train_path, validation_path, config, settings, model, epochs, mapping)
    else:
        loaded = _loaded(report)
        fresh = _recheck(loaded, train_path, validation_path, config, settings, model, mapping)
    checked, notes = fresh.report, fresh.notes
    decision = decide(checked, settings.globals.fail_on, accept)
    if not decision.allowed:
        raise TrainingRefused(decision)
    if fresh.saved is not None:
        verify_reproduced(fresh.saved, checked)
    for acceptance in decision.accepted:
        log.warning(
            "--accept %s: launching despite %d blocking finding(s) of %s",
            acceptance.selector,
            acceptance.findings,
            ", ".join(acceptance.rules),
        )
    notes.extend(
        f"--accept {selector}: nothing blocking matched it (not recorded)"
        for selector in decision.unused
    )
    hyper = choose_hyperparameters(given, checked, trainer_cls)
    out = Path(output_dir) if output_dir is not None else _default_output_dir(provider)
    if (out / MANIFEST_NAME).exists():
        raise FtqaError(f"{out} already holds a run manifest; choose another --output-dir")
    plan = Plan(
        provider=provider,
        paid=bool(getattr(trainer_cls, "paid", True)),
        model=model,
        profile=fresh.profile,
        timeouts=trainer.timeouts,
        train=PlannedFile.of(train_path, checked.dataset),
        validation=(
            PlannedFile.of(validation_path, checked.validation)
            if validation_path is not None and checked.validation is not None
            else None
        ),
        report=checked,
        report_sha256=hashlib.sha256(fresh.report_bytes).hexdigest(),
        report_source=fresh.source,
        config_sha256=config_fingerprint(settings),
        config_origin=settings.origin,
        config_verification=fresh.verification,
        decision=decision,
        hyperparameters=hyper,
        output_dir=out,
        settings=settings,
        notes=notes,
    )
    problems = trainer.problems(plan)
    if problems:
        raise LaunchError(f"cannot launch on {provider}: " + "; ".join(problems))
    return Launch(trainer, plan, fresh.report_bytes)


def _timeouts(
    settings: Settings, connect: float | None, read: float | None, retries: int | None
) -> ProviderTimeouts:
    """Flags first, then the configuration (whose defaults are ProviderTimeouts')."""
    glob = settings.globals
    return ProviderTimeouts(
        connect=connect if connect is not None else glob.provider_connect_timeout,
        read=read if read is not None else glob.provider_read_timeout,
        retries=retries if retries is not None else glob.provider_retries,
    )


def _check_now(
    train_path: str,
    validation_path: str | None,
    config: PathLike | Mapping[str, Any] | None,
    settings: Settings,
    model: str,
    epochs: int | None,
    mapping: str | Mapping[str, Any] | None,
) -> _Checked:
    profile = _profile_for(model, settings)
    notes = []
    if profile is None:
        notes.append(
            f"{model} is not one of ftqa's model profiles: the checks counted tokens "
            "with the configured or default profile"
        )
    checked = api.check(
        train_path,
        validation_path,
        config=config,
        model=model if profile is not None else None,
        epochs=epochs,
        map=mapping,
    )
    report_bytes = checked.to_json().encode("utf-8")
    return _Checked(checked, report_bytes, CHECKED_NOW, CHECKED_NOW, profile, notes)


def _recheck(
    loaded: LoadedReport,
    train_path: str,
    validation_path: str | None,
    config: PathLike | Mapping[str, Any] | None,
    settings: Settings,
    model: str,
    mapping: str | Mapping[str, Any] | None,
) -> _Checked:
    """A saved report must belong to the files and the configuration, and agree with the
    checks run again now, under the model profile and reference files it records."""
    verification = verify_report(loaded, train_path, validation_path, settings)
    recorded_profile, references = recorded_inputs(loaded.report)
    fresh = api.check(
        train_path,
        validation_path,
        config=config,
        model=recorded_profile,
        reference=references or None,
        map=mapping,
    )
    notes = []
    if loaded.report.ftqa_version != __version__:
        notes.append(f"the report was written by ftqa {loaded.report.ftqa_version}")
    notes.append("the checks ran again on the files as they are now and agree with the report")
    profile = _profile_for(model, settings)
    return _Checked(fresh, loaded.data, loaded.path, verification, profile, notes, loaded)


def ask_on_terminal(plan: Plan, write: Callable[[str], None] = print) -> bool:
    """Show the plan and ask for a yes on the terminal."""
    for line in plan.lines():
        write(line)
    try:
        answer = input(f"Launch this paid fine-tuning job on {plan.provider}? [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in {"y", "yes"}


def train(
    data: PathLike,
    validation: PathLike | None = None,
    *,
    provider: str,
    model: str,
    epochs: int | None = None,
    batch_size: int | None = None,
    learning_rate_multiplier: float | None = None,
    learning_rate: float | None = None,
    lora: bool = False,
    report: PathLike | Report | None = None,
    accept: Sequence[str] = (),
    config: PathLike | Mapping[str, Any] | None = None,
    output_dir: PathLike | None = None,
    options: Mapping[str, Any] | None = None,
    connect_timeout: float | None = None,
    read_timeout: float | None = None,
    retries: int | None = None,
    dry_run: bool = False,
    yes: bool = False,
    confirm: Callable[[Plan], bool] | None = None,
) -> TrainResult:
    """Launch fine-tuning on `provider` only if the dataset's report passes the gate.

    `data`/`validation` are dataset paths. The checks always run now; with `report` (a path
    to `ftqa check --format json` output, or a `Report`) that report must also match the
    files' sha256 and the configuration, and agree with the fresh check. `accept` lists
    rules (`check/rule`) whose blocking findings are knowingly let through; each is recorded
    in the manifest. Hyperparameters left as None come from the report's recommendations,
    else the provider's defaults. `options` are provider options (e.g. `base_url`).
    `connect_timeout`, `read_timeout` (seconds) and `retries` bound each provider request
    (default: the configuration, else 10 s, 120 s, 2). `dry_run=True` returns the plan and
    launches nothing.
    A paid launch needs `yes=True`, a `confirm(plan) -> bool` callback, or a terminal to ask
    on (else `ConfirmationRequired`). Raises `TrainingRefused` (a `DatasetRejected`) when the
    gate refuses; the manifest and a copy of the report go to `output_dir`.
    """
    launch = prepare(
        data,
        validation,
        provider=provider,
        model=model,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate_multiplier=learning_rate_multiplier,
        learning_rate=learning_rate,
        lora=lora,
        report=report,
        accept=accept,
        config=config,
        output_dir=output_dir,
        options=options,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries=retries,
    )
    if dry_run:
        return TrainResult(launch.plan, False)
    if launch.plan.paid and not yes:
        if confirm is not None:
            agreed = confirm(launch.plan)
        elif sys.stdin is not None and sys.stdin.isatty():
            agreed = ask_on_terminal(launch.plan)
        else:
            raise ConfirmationRequired(
                f"not launched: a paid launch on {provider} needs confirmation and there is no "
                "terminal to ask on; pass --yes (yes=True) after reviewing the plan (--dry-run)"
            )
        if not agreed:
            raise ConfirmationRequired("not launched: the launch was not confirmed")
    return launch.start()
