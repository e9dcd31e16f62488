"""OpenAI fine-tuning through the official `openai` SDK.

Uploads the checked files (purpose `fine-tune`), then creates a supervised job with the chosen
hyperparameters. The report's sha256 travels with the job: in `metadata`
(`ftqa_report_sha256`, `ftqa_config_sha256`, `ftqa_version`) and in the model-name `suffix`
(`ftqa-<first 8 hex digits>`). The API key comes from `OPENAI_API_KEY`; the base URL from the
`base_url` option, else `OPENAI_BASE_URL`, else the SDK's default. Every request is bounded by
the trainer's `timeouts` (connect, read, retries); errors and printed URLs carry no credential,
and the job id the API returns is quoted in the commands printed to follow the job.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from ftqa._version import __version__
from ftqa.runs.readers import decode_result_file
from ftqa.train.base import Job, LaunchError, Poll, ProviderTimeouts, StagedFile, Trainer
from ftqa.train.redact import mask_credentials

if TYPE_CHECKING:
    from ftqa.train.plan import Plan

DEFAULT_BASE_URL = "https://api.openai.com/v1"
SUFFIX_PREFIX = "ftqa-"
ENDED = frozenset({"succeeded", "failed", "cancelled"})
METRICS_NAME = "ftqa-metrics.csv"  # the job's result file: OpenAI's step metrics CSV


class OpenAITrainer(Trainer):
    name = "openai"
    extra = "openai"
    requires = ("openai",)
    paid = True
    formats = frozenset({"chat"})
    suffixes = (".jsonl",)
    hyperparameters = frozenset({"n_epochs", "batch_size", "learning_rate_multiplier"})
    options: ClassVar[dict[str, str]] = {
        "base_url": "API base URL (default: OPENAI_BASE_URL, else the SDK's default)",
        "suffix": "model-name suffix (default: ftqa-<report sha256 prefix>)",
    }

    def client(self) -> Any:
        import openai

        limits = self.timeouts
        try:
            return openai.OpenAI(
                base_url=self.settings.get("base_url"),
                timeout=openai.Timeout(limits.read, connect=limits.connect),
                max_retries=limits.retries,
            )
        except openai.OpenAIError as error:
            message = mask_credentials(str(error))
            raise LaunchError(
                f"openai: {message} (set OPENAI_API_KEY in the environment)"
            ) from error

    def launch(self, plan: Plan, train: StagedFile, validation: StagedFile | None) -> Job:
        import openai

        client = self.client()
        file_ids: dict[str, str] = {}
        try:
            for split, staged in (("train", train), ("validation", validation)):
                if staged is None:
                    continue
                with staged.path.open("rb") as handle:
                    uploaded = client.files.create(
                        file=(staged.path.name, handle), purpose="fine-tune"
                    )
                file_ids[split] = uploaded.id
            request = self.request(plan, file_ids)
            job = client.fine_tuning.jobs.create(**request)
        except openai.APITimeoutError as error:
            raise LaunchError(_timed_out(client, self.timeouts, file_ids)) from error
        except openai.APIConnectionError as error:
            where = mask_credentials(str(client.base_url).rstrip("/"), [client.api_key])
            raise LaunchError(
                _api_error(error, file_ids, client.api_key) + f" ({where})"
            ) from error
        except openai.APIError as error:
            raise LaunchError(_api_error(error, file_ids, client.api_key)) from error
        base = mask_credentials(str(client.base_url).rstrip("/"), [client.api_key])
        return Job(
            id=job.id,
            status=str(job.status),
            follow=self.follow(job.id, base),
            details={
                "file_ids": file_ids,
                "request": request,
                "base_url": base,
                "fine_tuned_model": getattr(job, "fine_tuned_model", None),
            },
        )

    def request(self, plan: Plan, file_ids: dict[str, str]) -> dict[str, Any]:
        """The `fine_tuning.jobs.create` arguments."""
        values = plan.hyperparameters.values
        hyper = {
            name: values[name]
            for name in ("n_epochs", "batch_size", "learning_rate_multiplier")
            if values.get(name) is not None
        }
        request: dict[str, Any] = {
            "model": plan.model,
            "training_file": file_ids["train"],
            "method": {"type": "supervised", "supervised": {"hyperparameters": hyper}},
            "metadata": {
                "ftqa_report_sha256": plan.report_sha256,
                "ftqa_config_sha256": plan.config_sha256,
                "ftqa_version": __version__,
            },
            "suffix": self.settings.get("suffix") or SUFFIX_PREFIX + plan.report_sha256[:8],
        }
        if "validation" in file_ids:
            request["validation_file"] = file_ids["validation"]
        return request

    def follow(self, job_id: str, base: str) -> list[str]:
        """Commands to follow the job. `job_id` comes from the API: it is quoted for the shell
        and for Python, so whatever it holds stays one argument."""
        lines = []
        if base == DEFAULT_BASE_URL:
            lines.append(
                f"dashboard: https://platform.openai.com/finetune/{quote(job_id, safe='')}"
            )
        code = f"import openai; print(openai.OpenAI().fine_tuning.jobs.retrieve({job_id!r}).status)"
        lines.append(f"status: python -c {shlex.quote(code)}")
        events = f"{base}/fine_tuning/jobs/{quote(job_id, safe='')}/events"
        lines.append(
            f'events: curl -s {shlex.quote(events)} -H "Authorization: Bearer $OPENAI_API_KEY"'
        )
        return lines

    def status(self, job_id: str) -> dict[str, Any]:
        """The job as the API reports it now (`fine_tuning.jobs.retrieve`)."""
        import openai

        client = self.client()
        try:
            return client.fine_tuning.jobs.retrieve(job_id).model_dump(mode="json")
        except openai.APITimeoutError as error:
            raise LaunchError(_timed_out(client, self.timeouts, {})) from error
        except openai.APIError as error:
            raise LaunchError(_api_error(error, {}, client.api_key)) from error

    def poll(self, job_id: str, details: Mapping[str, Any]) -> Poll:
        """`fine_tuning.jobs.retrieve`; once the job succeeded, its result file (the step
        metrics CSV, which the API serves base64-encoded) through `files.content`."""
        import openai

        client = self.client()
        try:
            job = client.fine_tuning.jobs.retrieve(job_id)
            status = str(job.status)
            error = getattr(job.error, "message", None) if job.error else None
            metrics = None
            if status == "succeeded" and job.result_files:
                metrics = decode_result_file(client.files.content(job.result_files[0]).read())
        except openai.APITimeoutError as timeout:
            raise LaunchError(_timed_out(client, self.timeouts, {})) from timeout
        except openai.APIError as failure:
            raise LaunchError(_api_error(failure, {}, client.api_key)) from failure
        return Poll(
            status=status,
            done=status in ENDED,
            error=mask_credentials(error, [client.api_key]) if error else None,
            metrics=metrics,
            metrics_name=METRICS_NAME if metrics is not None else None,
        )


def _timed_out(client: Any, limits: ProviderTimeouts, file_ids: dict[str, str]) -> str:
    where = mask_credentials(str(client.base_url).rstrip("/"), [client.api_key])
    uploaded = _uploaded(file_ids)
    return (
        f"openai: {where} did not answer in time ({limits.describe()}; every attempt timed "
        f"out); raise --read-timeout or --connect-timeout if the provider is slow{uploaded}"
    )


def _uploaded(file_ids: dict[str, str]) -> str:
    if not file_ids:
        return ""
    return f"; already uploaded: {', '.join(f'{k}={v}' for k, v in file_ids.items())}"


def _api_error(error: Exception, file_ids: dict[str, str], api_key: str | None) -> str:
    status = getattr(error, "status_code", None)
    message = " ".join(str(getattr(error, "message", error)).split())
    message = mask_credentials(message, [api_key])
    where = f" (HTTP {status})" if status else ""
    return f"openai{where}: {message}{_uploaded(file_ids)}"
