"""The report: what a run found, as pydantic models whose JSON is the published contract."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from ftqa._version import __version__
from ftqa.finding import Finding, Severity

SCHEMA_VERSION = 1


class FileInfo(BaseModel):
    path: str
    sha256: str
    rows: int
    format: str | None = Field(description="Dominant detected format of the file.")
    bytes: int | None


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

    def attach_examples(self, columns: dict[str, list[Any]]) -> None:
        self._examples = columns

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
