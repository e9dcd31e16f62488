"""Together AI fine-tuning through the official `together` SDK.

Uploads the checked files (purpose `fine-tune`; the SDK runs its own file check and sends the
file's sha256 with the upload), then creates the job. Together has no job metadata, so the
report's sha256 travels in the model-name `suffix` (`ftqa-<first 8 hex digits>`) and in full
in the run manifest. With a validation file, one evaluation is requested (`n_evals=1`),
otherwise Together ignores it. The API key comes from `TOGETHER_API_KEY`; the base URL from
the `base_url` option, else `TOGETHER_BASE_URL`, else the SDK's default. Every request (the
upload too) is bounded by the trainer's `timeouts`; errors and recorded URLs carry no
credential, and the job id the API returns is quoted in the printed commands.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Any, ClassVar

from ftqa.train.base import Job, LaunchError, StagedFile, Trainer
from ftqa.train.redact import mask_credentials

if TYPE_CHECKING:
    from ftqa.train.plan import Plan

SUFFIX_PREFIX = "ftqa-"


class TogetherTrainer(Trainer):
    name = "together"
    extra = "together"
    requires = ("together",)
    paid = True
    formats = frozenset({"chat", "completion"})
    suffixes = (".jsonl",)
    hyperparameters = frozenset({"n_epochs", "batch_size", "learning_rate", "lora"})
    options: ClassVar[dict[str, str]] = {
        "base_url": "API base URL (default: TOGETHER_BASE_URL, else the SDK's default)",
        "suffix": "model-name suffix (default: ftqa-<report sha256 prefix>)",
    }

    def client(self) -> Any:
        import together

        limits = self.timeouts
        try:
            return together.Together(
                base_url=self.settings.get("base_url"),
                timeout=together.Timeout(limits.read, connect=limits.connect),
                max_retries=limits.retries,
            )
        except together.TogetherError as error:
            raise LaunchError(
                f"together: {mask_credentials(str(error))} (set TOGETHER_API_KEY in the "
                "environment)"
            ) from error

    def launch(self, plan: Plan, train: StagedFile, validation: StagedFile | None) -> Job:
        import together

        client = self.client()
        file_ids: dict[str, str] = {}
        try:
            for split, staged in (("train", train), ("validation", validation)):
                if staged is None:
                    continue
                uploaded = client.files.upload(file=staged.path, purpose="fine-tune", check=True)
                file_ids[split] = uploaded.id
            request = self.request(plan, file_ids)
            job = client.fine_tuning.create(**request)
        except together.APITimeoutError as error:
            where = mask_credentials(str(client.base_url), [client.api_key])
            raise LaunchError(
                f"together: {where} did not answer in time ({self.timeouts.describe()}; every "
                "attempt timed out); raise --read-timeout or --connect-timeout if the provider "
                f"is slow{_uploaded(file_ids)}"
            ) from error
        except (together.TogetherError, ValueError) as error:
            raise LaunchError(_error(error, file_ids, client.api_key)) from error
        return Job(
            id=job.id,
            status=str(getattr(job, "status", None) or "pending"),
            follow=[
                f"status: together fine-tuning retrieve {shlex.quote(job.id)}",
                f"events: together fine-tuning list-events {shlex.quote(job.id)}",
            ],
            details={
                "file_ids": file_ids,
                "request": request,
                "base_url": mask_credentials(str(client.base_url), [client.api_key]),
                "output_name": getattr(job, "output_name", None),
            },
        )

    def request(self, plan: Plan, file_ids: dict[str, str]) -> dict[str, Any]:
        """The `fine_tuning.create` arguments."""
        values = plan.hyperparameters.values
        request: dict[str, Any] = {
            "training_file": file_ids["train"],
            "model": plan.model,
            "suffix": self.settings.get("suffix") or SUFFIX_PREFIX + plan.report_sha256[:8],
        }
        for name in ("n_epochs", "batch_size", "learning_rate"):
            if values.get(name) is not None:
                request[name] = values[name]
        if values.get("lora"):
            request["lora"] = True
        if "validation" in file_ids:
            request["validation_file"] = file_ids["validation"]
            request["n_evals"] = 1
        return request


def _uploaded(file_ids: dict[str, str]) -> str:
    if not file_ids:
        return ""
    return f"; already uploaded: {', '.join(f'{k}={v}' for k, v in file_ids.items())}"


def _error(error: Exception, file_ids: dict[str, str], api_key: str | None) -> str:
    status = getattr(error, "status_code", None)
    message = " ".join(str(getattr(error, "message", None) or error).split())
    where = f" (HTTP {status})" if status else ""
    return f"together{where}: {mask_credentials(message, [api_key])}{_uploaded(file_ids)}"
