"""`ftqa.train(...)`: check (or load a verified report), gate, plan, confirm, launch, record.

    result = ftqa.train("train.jsonl", provider="openai", model="gpt-4o-mini", yes=True)
    result.job_id, result.manifest_path

Order of events: the provider's dependencies are checked; the dataset is checked now (or a
saved report is loaded and verified against the files' sha256 and the configuration); the gate
refuses (`TrainingRefused`, CLI exit 1) unless every blocking rule is accepted; the plan is
built and the provider says whether it can take these files; a dry run stops there; a paid
launch needs confirmation; the files are copied privately and their bytes verified against the
report once more; the manifest is written, the provider launches, the manifest is updated.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ftqa import api
from ftqa._version import __version__
from ftqa.config import Settings, load_settings
from ftqa.errors import FtqaError
from ftqa.formats.mapping import map_table
from ftqa.report import Report
from ftqa.train.base import ConfirmationRequired, Job, LaunchError, StagedFile, Trainer
from ftqa.train.base import load_trainer as _load_trainer
from ftqa.train.gate import (
    CHUNK,
    LoadedReport,
    StaleReport,
    TrainingRefused,
    check_accept_selectors,
    config_fingerprint,
    decide,
    load_report,
    verify_report,
)
from ftqa.train.manifest import (
    MANIFEST_NAME,
    REPORT_NAME,
    AcceptedRule,
    ManifestConfig,
    ManifestFile,
    ManifestReport,
    RunManifest,
    host,
    now,
    write_manifest,
)
from ftqa.train.plan import Plan, PlannedFile, check_flags, choose_hyperparameters

PathLike = str | os.PathLike[str]
log = logging.getLogger("ftqa.train")
CHECKED_NOW = "checked now"
RUNS_DIR = "ftqa-runs"


@dataclass
class TrainResult:
    """What `train` did: the plan, and for a launch the job and the manifest."""

    plan: Plan
    launched: bool
    job: Job | None = None
    manifest_path: Path | None = None
    manifest: RunManifest | None = None

    @property
    def job_id(self) -> str | None:
        return self.job.id if self.job is not None else None

    @property
    def report(self) -> Report:
        return self.plan.report


class Launch:
    """A prepared launch: the gate passed and the provider accepts the plan."""

    def __init__(self, trainer: Trainer, plan: Plan, report_bytes: bytes) -> None:
        self.trainer = trainer
        self.plan = plan
        self.report_bytes = report_bytes

    def start(self) -> TrainResult:
        plan = self.plan
        with tempfile.TemporaryDirectory(prefix="ftqa-train-") as scratch:
            train = stage(plan.train, Path(scratch) / "train")
            validation = (
                stage(plan.validation, Path(scratch) / "validation")
                if plan.validation is not None
                else None
            )
            out = plan.output_dir
            out.mkdir(parents=True, exist_ok=True)
            (out / REPORT_NAME).write_bytes(self.report_bytes)
            manifest = self._manifest()
            write_manifest(out, manifest)
            try:
                job = self.trainer.launch(plan, train, validation)
            except BaseException as error:
                manifest.status = "failed"
                manifest.error = _error_text(error)
                manifest.updated_at = now()
                write_manifest(out, manifest)
                if isinstance(error, (FtqaError, KeyboardInterrupt)):
                    raise
                if isinstance(error, Exception):
                    raise LaunchError(f"{plan.provider}: {_error_text(error)}") from error
                raise
        manifest.status = job.status
        manifest.job_id = job.id
        manifest.follow = list(job.follow)
        manifest.job = dict(job.details)
        for split, file_id in (job.details.get("file_ids") or {}).items():
            if split in manifest.files:
                manifest.files[split].provider_file_id = file_id
        manifest.updated_at = now()
        path = write_manifest(plan.output_dir, manifest)
        return TrainResult(plan, True, job, path, manifest)

    def _manifest(self) -> RunManifest:
        plan = self.plan
        report = plan.report
        files = {"train": _manifest_file(plan.train)}
        if plan.validation is not None:
            files["validation"] = _manifest_file(plan.validation)
        stamp = now()
        return RunManifest(
            created_at=stamp,
            updated_at=stamp,
            status="launching",
            provider=plan.provider,
            base_model=plan.model,
            files=files,
            report=ManifestReport(
                sha256=plan.report_sha256,
                path=str(plan.output_dir / REPORT_NAME),
                source=plan.report_source,
                ftqa_version=report.ftqa_version,
                passed=report.summary.passed,
                fail_on=plan.decision.fail_on.value,
                errors=report.summary.errors,
                warnings=report.summary.warnings,
                infos=report.summary.infos,
            ),
            config=ManifestConfig(
                sha256=plan.config_sha256,
                origin=plan.config_origin,
                verification=plan.config_verification,
            ),
            accepted=[
                AcceptedRule(
                    selector=acceptance.selector,
                    rules=list(acceptance.rules),
                    findings=acceptance.findings,
                )
                for acceptance in plan.decision.accepted
            ],
            hyperparameters={
                name: value
                for name, value in plan.hyperparameters.values.items()
                if value is not None
            },
            hyperparameter_sources=dict(plan.hyperparameters.sources),
            estimate=plan.estimate() if plan.paid else None,
            host=host(),
        )


def _manifest_file(info: PlannedFile) -> ManifestFile:
    return ManifestFile(
        path=info.path, sha256=info.sha256, bytes=info.bytes, rows=info.rows, format=info.format
    )


def _error_text(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def stage(info: PlannedFile, directory: Path) -> StagedFile:
    """Copy the file into `directory` (same name), hashing as it goes; refuse if the bytes are
    not the ones the report checked. Providers upload or read only this copy."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / Path(info.path).name
    digest = hashlib.sha256()
    size = 0
    try:
        with open(info.path, "rb") as source, open(target, "wb") as copy:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                copy.write(chunk)
                size += len(chunk)
    except OSError as error:
        raise FtqaError(f"{info.path}: cannot read ({error.strerror or error})") from error
    sha = digest.hexdigest()
    if sha != info.sha256:
        raise StaleReport(
            f"{info.path} changed after it was checked (sha256 now {sha[:12]}…, checked "
            f"{info.sha256[:12]}…); nothing was launched, check it again"
        )
    return StagedFile(info.path, target, sha, size, info.format, info.rows)


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
    mapping: str | Mapping[str, Any] | None = None,
) -> Launch:
    """Everything before the launch: raises `TrainingRefused` when the gate refuses,
    `StaleReport` for a report of other files or settings, `ProviderUnavailable`,
    `LaunchError` when the provider cannot take these files, `InputError`/`ConfigError`."""
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
    notes: list[str] = []
    if report is None:
        profile = _profile_for(model, settings)
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
        source = verification = CHECKED_NOW
    else:
        profile = _profile_for(model, settings)
        loaded = _loaded(report)
        verification = verify_report(loaded, train_path, validation_path, settings)
        checked, report_bytes, source = loaded.report, loaded.data, loaded.path
        if checked.ftqa_version != __version__:
            notes.append(f"the report was written by ftqa {checked.ftqa_version}")
    decision = decide(checked, settings.globals.fail_on, accept)
    if not decision.allowed:
        raise TrainingRefused(decision)
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
        profile=profile,
        train=PlannedFile.of(train_path, checked.dataset),
        validation=(
            PlannedFile.of(validation_path, checked.validation)
            if validation_path is not None and checked.validation is not None
            else None
        ),
        report=checked,
        report_sha256=hashlib.sha256(report_bytes).hexdigest(),
        report_source=source,
        config_sha256=config_fingerprint(settings),
        config_origin=settings.origin,
        config_verification=verification,
        decision=decision,
        hyperparameters=hyper,
        output_dir=out,
        settings=settings,
        notes=notes,
    )
    problems = trainer.problems(plan)
    if problems:
        raise LaunchError(f"cannot launch on {provider}: " + "; ".join(problems))
    return Launch(trainer, plan, report_bytes)


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
    dry_run: bool = False,
    yes: bool = False,
    confirm: Callable[[Plan], bool] | None = None,
) -> TrainResult:
    """Launch fine-tuning on `provider` only if the dataset's report passes the gate.

    `data`/`validation` are dataset paths. Without `report` the checks run now; with it (a
    path to `ftqa check --format json` output, or a `Report`) the report must match the files'
    sha256 and the configuration. `accept` lists rules (`check/rule`) whose blocking findings
    are knowingly let through; each is recorded in the manifest. Hyperparameters left as None
    come from the report's recommendations, else the provider's defaults. `options` are
    provider options (e.g. `base_url`). `dry_run=True` returns the plan and launches nothing.
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
