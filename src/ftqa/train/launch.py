"""The launch itself: copy the checked files privately (verifying their bytes), write the
manifest (`launching`), call the provider, record the outcome (`failed` with the error, or
the job). An interruption (Ctrl-C, SIGTERM) marks the manifest `failed` and the private copies
are removed on the way out.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ftqa.errors import FtqaError
from ftqa.report import Report
from ftqa.train.base import Job, LaunchError, StagedFile, Trainer
from ftqa.train.manifest import (
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
from ftqa.train.plan import Plan, PlannedFile
from ftqa.train.redact import mask_credentials
from ftqa.train.saved import CHUNK, StaleReport


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
                manifest.error = error_text(error)
                manifest.updated_at = now()
                write_manifest(out, manifest)
                if isinstance(error, (FtqaError, KeyboardInterrupt)):
                    raise
                if isinstance(error, Exception):
                    raise LaunchError(f"{plan.provider}: {error_text(error)}") from error
                raise
        manifest.status = job.status
        manifest.job_id = job.id
        manifest.follow = [mask_credentials(line) for line in job.follow]
        manifest.job = dict(job.details)
        if isinstance(manifest.job.get("base_url"), str):
            manifest.job["base_url"] = mask_credentials(manifest.job["base_url"])
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


def error_text(error: BaseException) -> str:
    """One line for the manifest and the terminal, credentials masked."""
    text = mask_credentials(" ".join(str(error).split()))
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def stage(info: PlannedFile, directory: Path) -> StagedFile:
    """Copy the file into `directory` (same name), hashing as it goes; refuse if the bytes are
    not the ones that were checked (sha256 and size). Providers upload or read only this copy,
    so what they receive is exactly what passed the gate."""
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
    if sha != info.sha256 or (info.bytes is not None and size != info.bytes):
        raise StaleReport(
            f"{info.path} changed after it was checked (now {size:,} bytes, sha256 "
            f"{sha[:12]}…; checked {info.bytes or 0:,} bytes, sha256 {info.sha256[:12]}…); "
            "nothing was launched, check it again"
        )
    return StagedFile(info.path, target, sha, size, info.format, info.rows)
