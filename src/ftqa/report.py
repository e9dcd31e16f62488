"""The report: what a run found, as pydantic models whose JSON is the published contract.

Like findings, every string a report holds passes the outbound-text layer (`ftqa.outbound`)
when the report is built: statistics (keys and values), recommendations, checker notes, the
cost section and the per-example table. File paths are only made visible (`visible`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from ftqa._version import __version__
from ftqa.finding import Finding, Severity
from ftqa.outbound import outbound, outbound_value, visible

SCHEMA_VERSION = 1


class FileInfo(BaseModel):
    path: str
    sha256: str
    rows: int
    format: str | None = Field(description="Dominant detected format of the file.")
    bytes: int | None

    @field_validator("path")
    @classmethod
    def _visible(cls, value: str) -> str:
        return visible(value)


class DatasetInfo(FileInfo):
    files: list[FileInfo] = Field(
        default_factory=list, description="Each input file when the dataset spans several."
    )


class Summary(BaseModel):
    errors: int
    warnings: int
    infos: int
    passed: bool
    fail_on: Severity = Severity.ERROR


class CheckRun(BaseModel):
    id: str
    status: Literal["ran", "skipped", "failed"]
    seconds: float
    note: str | None = None

    @field_validator("note")
    @classmethod
    def _outbound(cls, value: str | None) -> str | None:
        return None if value is None else outbound(value)


class ConfigFileInfo(BaseModel):
    path: str
    sha256: str = Field(description="sha256 of the file's bytes as read.")
    discovered: bool = Field(
        description="True when found by searching upward from the dataset, False when named "
        "with --config."
    )


class ConfigInfo(BaseModel):
    """The configuration a run applied: its files and what it changed relative to the
    defaults (including command-line flags such as --ignore)."""

    files: list[ConfigFileInfo] = Field(default_factory=list)
    changes: list[str] = Field(
        default_factory=list,
        description="Each difference from the defaults, e.g. `ignores secrets`, "
        "`lowers format/invalid-json from error to info`.",
    )
    summary: str | None = Field(
        default=None, description="The changes in one short phrase (terminal verdict line)."
    )


class Cost(BaseModel):
    model: str
    billed_tokens: int
    epochs: int
    price_per_million: float
    estimate_usd: float
    assumptions: list[str] = Field(default_factory=list)

    @field_validator("model", "assumptions")
    @classmethod
    def _outbound(cls, value: Any) -> Any:
        return outbound_value(value)


class Report(BaseModel):
    model_config = ConfigDict(title="ftqa report")

    ftqa_version: str = __version__
    schema_version: int = SCHEMA_VERSION
    dataset: DatasetInfo
    validation: DatasetInfo | None = None
    summary: Summary
    config: ConfigInfo = Field(default_factory=ConfigInfo)
    findings: list[Finding] = Field(default_factory=list)
    stats: dict[str, Any] = Field(default_factory=dict)
    cost: Cost | None = None
    checks: list[CheckRun] = Field(default_factory=list)
    recommendations: list[str] = Field(default_factory=list)

    _examples: dict[str, list[Any]] | None = PrivateAttr(default=None)

    @field_validator("stats")
    @classmethod
    def _outbound_stats(cls, value: Any) -> Any:
        return outbound_value(value, excerpts=True)

    @field_validator("recommendations")
    @classmethod
    def _outbound(cls, value: Any) -> Any:
        return outbound_value(value)

    def attach_examples(self, columns: dict[str, list[Any]]) -> None:
        """Attach the per-example table; its text cells pass the outbound layer (file paths
        are only made visible)."""
        self._examples = {name: _safe_column(name, values) for name, values in columns.items()}

    @property
    def examples(self) -> Any:
        """The per-example table as a pandas DataFrame (when the run collected it)."""
        if self._examples is None:
            raise AttributeError(
                "this report has no examples table: run ftqa.check(..., examples=True)"
            )
        import pandas as pd

        return pd.DataFrame(self._examples)

    @property
    def passed(self) -> bool:
        return self.summary.passed

    def exit_code(self) -> int:
        return 0 if self.summary.passed else 1

    def to_json(self, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent, exclude_none=False)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def by_rule(self) -> dict[tuple[str, str], list[Finding]]:
        groups: dict[tuple[str, str], list[Finding]] = {}
        for finding in self.findings:
            groups.setdefault((finding.check, finding.rule), []).append(finding)
        return groups

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        schema = cls.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"https://ftqa.dev/schemas/report-v{SCHEMA_VERSION}.json"
        return schema


def _safe_column(name: str, values: list[Any]) -> list[Any]:
    if not any(isinstance(value, str) for value in values):
        return values
    shown = visible if name == "file" else outbound
    return [shown(value) if isinstance(value, str) else value for value in values]
