"""Configuration: `ftqa.toml`, `[tool.ftqa]` in `pyproject.toml`, or `--config FILE`.

Keys may be written with dashes or underscores. Every checker has a table named after its id
(`[tool.ftqa.near_duplicates]`) holding `enabled`, `severity` (rule -> level) and the checker's
own options. An unknown key anywhere is a `ConfigError` that names it.

`ftqa.config.files` finds and reads the files, `ftqa.config.changes` says what a configuration
changes relative to the defaults (every report carries it), `ftqa.config.arguments` adds the
`--config FILE` / `--no-config` options to a command.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ftqa.checker import Checker, Options
from ftqa.config.arguments import add_config_arguments
from ftqa.config.changes import Change, describe_changes, summary
from ftqa.config.files import CONFIG_FILES, ConfigFile, discover, read_config_file
from ftqa.errors import ConfigError
from ftqa.finding import Severity
from ftqa.formats import FORMATS, ReadOptions
from ftqa.formats.base import DEFAULT_EXTRA_KEYS
from ftqa.formats.mapping import FieldMap, MappingError, parse_map
from ftqa.registry import canonical, checkers, is_checker, load_checker, resolve
from ftqa.report import ConfigFileInfo, ConfigInfo
from ftqa.user_cache import embedding_cache_max_mb

# `config=NO_CONFIG` (the CLI's `--no-config`): ftqa's defaults, no file discovered.
NO_CONFIG: Mapping[str, Any] = MappingProxyType({})
NO_CONFIG_ORIGIN = "defaults (--no-config)"

__all__ = [
    "CONFIG_FILES",
    "NO_CONFIG",
    "Change",
    "CheckerTable",
    "ConfigFile",
    "GlobalSettings",
    "Settings",
    "add_config_arguments",
    "discover",
    "load_settings",
    "read_config_file",
    "settings_from_mapping",
    "settings_to_mapping",
]


class GlobalSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    select: list[str] | None = Field(None, description="Check ids or rules to run (default: all).")
    ignore: list[str] = Field(default_factory=list, description="Check ids or rules to skip.")
    fail_on: Severity = Field(Severity.ERROR, description="Lowest severity that fails the run.")
    input_format: str = Field("auto", description="Force an input format instead of detecting it.")
    sharegpt_roles: dict[str, str] = Field(
        default_factory=dict, description="Extra ShareGPT `from` tags mapped to roles."
    )
    extra_roles: list[str] = Field(default_factory=list, description="Roles to accept as known.")
    extra_keys: list[str] = Field(
        default_factory=lambda: list(DEFAULT_EXTRA_KEYS),
        description="Top-level keys accepted besides the format's own (metadata fields).",
    )
    map: dict[str, str | list[str]] = Field(
        default_factory=dict,
        description='Field mapping: format field -> the row\'s key (`prompt = "question"`), '
        "`role-key`, `content-key`, `role.ROLE` -> tag (CLI `--map`).",
    )
    role_key: str | None = Field(None, description="Key of each nested message's role.")
    content_key: str | None = Field(None, description="Key of each nested message's content.")
    max_findings_per_rule: int = Field(
        1000, ge=1, description="Findings listed per rule; counts stay exact beyond it."
    )
    dataset_level_findings: bool = Field(
        True,
        description="Report a row condition that holds for most rows of a file once, for the "
        "file, instead of once per row (false: always per row).",
    )
    severity: dict[str, Severity] = Field(
        default_factory=dict, description="Severity overrides by `rule` or `check/rule`."
    )
    checker_timeout: float = Field(
        600,
        ge=0,
        description="Seconds one call into a checker may run before the checker is marked "
        "failed (`timed out`) and the run goes on; 0: no limit.",
    )
    executor: Literal["auto", "local", "process", "dask"] = Field(
        "auto",
        description="Where rows are mapped: `local` (this process), `process` (worker "
        "processes over chunks of the files), `dask` (a Dask cluster, `ftqa[dask]`), or `auto` "
        "(`process` for inputs of 32 MiB or more on 2+ CPUs, else `local`). Reports are the "
        "same whichever runs.",
    )
    jobs: int | None = Field(
        None, ge=1, description="Worker processes of the `process` executor (default: CPUs)."
    )
    scheduler: str | None = Field(
        None,
        description="`dask` executor: the scheduler address (`tcp://host:8786`) or `local:N` "
        "for a local cluster of N worker processes.",
    )
    cache: bool = Field(
        True,
        description="Keep each row's map results in the row cache, so a re-check after a small "
        "edit maps only the changed rows (`--no-cache`: off).",
    )
    cache_dir: str = Field(
        default_factory=lambda: os.environ.get("FTQA_ROW_CACHE") or ".ftqa_cache",
        description="Folder of the row cache (relative: to the working directory; default "
        "`$FTQA_ROW_CACHE` or `.ftqa_cache`); may be shared storage.",
    )
    cache_max_mb: int = Field(
        4096, ge=1, description="Size of the row cache before the oldest entries are evicted."
    )
    embedding_cache_max_mb: int = Field(
        default_factory=embedding_cache_max_mb,
        ge=1,
        description="Size of the embedding cache (every model's, in the user cache directory) "
        "before the least recently used shards are evicted (default "
        "`$FTQA_EMBEDDING_CACHE_MAX_MB` or 2048).",
    )
    provider_connect_timeout: float = Field(
        10, gt=0, description="`ftqa train`: seconds to connect to the provider's API."
    )
    provider_read_timeout: float = Field(
        120,
        gt=0,
        description="`ftqa train`: seconds to wait for data from the provider (and for each "
        "write of an upload) before the request fails.",
    )
    provider_retries: int = Field(
        2, ge=0, le=10, description="`ftqa train`: retries of a failed provider request."
    )


class CheckerTable(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    severity: dict[str, Severity] = Field(default_factory=dict)


@dataclass
class Settings:
    """Resolved configuration: global settings plus validated options for every checker."""

    globals: GlobalSettings = field(default_factory=GlobalSettings)
    tables: dict[str, CheckerTable] = field(default_factory=dict)
    options: dict[str, Options] = field(default_factory=dict)
    origin: str = "defaults"
    files: list[ConfigFile] = field(default_factory=list)
    overridden: frozenset[str] = frozenset()  # global keys set by flags / keyword arguments

    def __post_init__(self) -> None:
        self._validate_selectors()
        self._rename_former_slugs()
        self._ignored = self._selected_pairs(self.globals.ignore)
        self._selected = (
            None if self.globals.select is None else self._selected_pairs(self.globals.select)
        )
        for check_id, table in self.tables.items():
            cls = load_checker(check_id)
            for slug in table.severity:
                if slug not in cls._rules_by_slug:
                    raise ConfigError(
                        f"{self.origin}: [{check_id}] severity: unknown rule `{slug}`"
                    )
        self._mapping = self._field_map()
        fmt = self.globals.input_format
        if fmt != "auto" and fmt not in FORMATS:
            raise ConfigError(
                f"{self.origin}: unknown input-format `{fmt}` (known: auto, {', '.join(FORMATS)})"
            )

    def _validate_selectors(self) -> None:
        lists = {"select": self.globals.select or [], "ignore": self.globals.ignore}
        for name, selectors in lists.items():
            for selector in selectors:
                if resolve(selector) is None:
                    raise ConfigError(
                        f"{self.origin}: unknown check or rule `{selector}` in {name}"
                    )
        for selector in self.globals.severity:
            if is_checker(selector) or resolve(selector) is None:
                raise ConfigError(f"{self.origin}: severity: unknown rule `{selector}`")

    def _rename_former_slugs(self) -> None:
        """Former rule slugs (a rule's `aliases`) still work; the settings keep current ones."""
        glob = self.globals
        if glob.select is not None:
            glob.select = [canonical(selector) for selector in glob.select]
        glob.ignore = [canonical(selector) for selector in glob.ignore]
        glob.severity = {canonical(key): value for key, value in glob.severity.items()}
        for check_id, table in self.tables.items():
            cls = load_checker(check_id)
            table.severity = {
                (cls._rules_by_alias[slug].slug if slug in cls._rules_by_alias else slug): level
                for slug, level in table.severity.items()
            }

    def changes(self) -> list[Change]:
        """How these settings differ from the defaults (see `ftqa.config.changes`)."""
        return describe_changes(self)

    def report_info(self) -> ConfigInfo:
        """The `config` section of a report: the files applied and what they change."""
        changes = self.changes()
        return ConfigInfo(
            files=[
                ConfigFileInfo(path=item.path, sha256=item.sha256, discovered=item.discovered)
                for item in self.files
            ],
            changes=[change.describe(len(self.files)) for change in changes],
            summary=summary(changes) or None,
        )

    def _field_map(self) -> FieldMap | None:
        table: dict[str, str | list[str]] = dict(self.globals.map)
        for key, value in (
            ("role-key", self.globals.role_key),
            ("content-key", self.globals.content_key),
        ):
            if value is not None:
                table.setdefault(key, value)
        try:
            mapping = parse_map(table, origin="your mapping")
        except MappingError as error:
            raise ConfigError(f"{self.origin}: {error}") from error
        return mapping or None

    def options_for(self, check_id: str) -> Options:
        """The checker's validated options (its defaults when the configuration has none)."""
        options = self.options.get(check_id)
        if options is None:
            options = self.options[check_id] = load_checker(check_id).Options()
        return options

    def candidates(self) -> list[type[Checker]]:
        """The checkers that may run: those named by `select`, else every installed one. Only
        these are imported."""
        if self._selected is None:
            return list(checkers().values())
        named = dict.fromkeys(check_id for check_id, _ in sorted(self._selected))
        return [load_checker(check_id) for check_id in named]

    @property
    def read_options(self) -> ReadOptions:
        return ReadOptions(
            sharegpt_roles=dict(self.globals.sharegpt_roles),
            extra_roles=tuple(self.globals.extra_roles),
            extra_keys=tuple(self.globals.extra_keys),
            mapping=self._mapping,
        )

    @property
    def forced_format(self) -> str | None:
        fmt = self.globals.input_format
        return None if fmt == "auto" else fmt

    def _selected_pairs(self, selectors: list[str]) -> set[tuple[str, str]]:
        return {pair for selector in selectors for pair in resolve(selector) or ()}

    def rule_active(self, check: str, rule: str) -> bool:
        if not self.tables.get(check, CheckerTable()).enabled:
            return False
        if (check, rule) in self._ignored:
            return False
        return self._selected is None or (check, rule) in self._selected

    def checker_active(self, cls: type[Checker]) -> bool:
        return any(self.rule_active(cls.id, rule.slug) for rule in cls.rules)

    def severity(self, check: str, rule: str, default: Severity) -> Severity:
        table = self.tables.get(check)
        if table is not None and rule in table.severity:
            return table.severity[rule]
        overrides = self.globals.severity
        return overrides.get(f"{check}/{rule}", overrides.get(rule, default))


def _normalize_keys(data: Mapping[str, Any]) -> dict[str, Any]:
    return {str(key).replace("-", "_"): value for key, value in data.items()}


def _spelled(data: Mapping[str, Any]) -> dict[str, str]:
    """Normalized key -> the key as the user wrote it, for error messages."""
    return {str(key).replace("-", "_"): str(key) for key in data}


def _error_text(
    error: ValidationError, where: str, spelling: Mapping[str, str] | None = None
) -> str:
    problems = []
    for item in error.errors():
        parts = [str(part) for part in item["loc"]]
        if parts and spelling:
            parts[0] = spelling.get(parts[0], parts[0])
        location = ".".join(parts)
        if item["type"] == "extra_forbidden":
            problems.append(f"unknown key `{location}`")
        else:
            problems.append(f"`{location}`: {item['msg']}")
    return f"{where}: " + "; ".join(problems)


def settings_from_mapping(data: Mapping[str, Any], origin: str = "configuration") -> Settings:
    spelling = _spelled(data)
    data = _normalize_keys(data)
    global_keys = set(GlobalSettings.model_fields)
    tables: dict[str, CheckerTable] = {}
    options: dict[str, Options] = {}
    global_data: dict[str, Any] = {}
    for key, value in data.items():
        if is_checker(key):
            if not isinstance(value, Mapping):
                raise ConfigError(
                    f"{origin}: `{spelling[key]}` must be a table of checker settings"
                )
            table_spelling = _spelled(value)
            table_data = _normalize_keys(value)
            base = {
                name: table_data.pop(name) for name in ("enabled", "severity") if name in table_data
            }
            try:
                tables[key] = CheckerTable(**base)
                options[key] = load_checker(key).Options(**table_data)
            except ValidationError as error:
                where = f"{origin}: [{spelling[key]}]"
                raise ConfigError(_error_text(error, where, table_spelling)) from error
        elif key in global_keys:
            global_data[key] = value
        else:
            raise ConfigError(f"{origin}: unknown key `{spelling.get(key, key)}`")
    try:
        settings_globals = GlobalSettings(**global_data)
    except ValidationError as error:
        raise ConfigError(_error_text(error, origin, spelling)) from error
    return Settings(settings_globals, tables, options, origin)


def settings_to_mapping(settings: Settings, check_ids: Iterable[str]) -> dict[str, Any]:
    """Resolved settings as a plain JSON mapping that `settings_from_mapping` reads back: the
    global settings plus the tables of `check_ids` (enabled, severity and every option)."""
    data: dict[str, Any] = settings.globals.model_dump(mode="json")
    for check_id in check_ids:
        table = settings.tables.get(check_id, CheckerTable())
        data[check_id] = {
            **settings.options_for(check_id).model_dump(mode="json", by_alias=True),
            **table.model_dump(mode="json"),
        }
    return data


def load_settings(
    config: str | Path | Mapping[str, Any] | None = None,
    start: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Settings from an explicit file or mapping, else discovered from `start`, plus overrides
    (keyword arguments / flags; None means not given). `NO_CONFIG` means the defaults."""
    origin = "defaults"
    data: dict[str, Any] = {}
    files: list[ConfigFile] = []
    if config is NO_CONFIG:
        origin = NO_CONFIG_ORIGIN
    elif isinstance(config, Mapping):
        data, origin = dict(config), "config"
    elif config is not None:
        data, identity = read_config_file(Path(config), discovered=False)
        origin, files = identity.path, [identity]
    elif start is not None:
        found = discover(start)
        if found is not None:
            data, identity = read_config_file(found, discovered=True)
            origin, files = identity.path, [identity]
    overridden = set()
    for key, value in (overrides or {}).items():
        if value is not None:
            data = {k: v for k, v in data.items() if str(k).replace("-", "_") != key}
            data[key] = value
            overridden.add(key)
    settings = settings_from_mapping(data, origin)
    settings.files = files
    settings.overridden = frozenset(overridden)
    return settings
