"""The trainer protocol: what a fine-tuning provider declares and implements.

Providers register under the entry-point group `ftqa.trainers` (the built-in `openai`,
`together` and `hf` too), so a third party adds one with

    [project.entry-points."ftqa.trainers"]
    myprovider = "mypackage.trainer:MyTrainer"

A trainer class declares `name`, the pip `extra` (or package) that provides its dependencies,
the importable modules it `requires`, whether a launch costs money (`paid`: the CLI then asks
for confirmation), the ftqa input `formats` and file suffixes it accepts, the
`hyperparameters` it understands and the provider `options` it takes. It implements `launch`,
which receives the plan and private copies of the checked files whose bytes were verified
against the report's sha256, and returns a `Job`. A trainer never re-reads the user's files.
Its `timeouts` (set before the launch from `--connect-timeout`, `--read-timeout`, `--retries`
or the configuration) bound every request it makes to the provider.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ftqa.errors import FtqaError, PluginError
from ftqa.registry import group_points

if TYPE_CHECKING:
    from ftqa.train.plan import Plan

GROUP = "ftqa.trainers"
# The pip extra of each built-in provider, for the message when its dependencies are missing.
BUILTIN_EXTRAS = {"openai": "openai", "together": "together", "hf": "hf-train"}


class ProviderUnavailable(FtqaError):
    """The provider's optional dependencies are not installed (the message says what to
    install)."""


class LaunchError(FtqaError):
    """The provider refused the files or the request, or could not be reached."""


class ConfirmationRequired(FtqaError):
    """A paid launch without `--yes` (or `yes=True`) and no terminal to ask on."""


@dataclass(frozen=True)
class ProviderTimeouts:
    """Bounds on every request to a provider: seconds to connect, seconds to wait for data
    (also for each write of an upload), and how many times a failed request is retried."""

    connect: float = 10.0
    read: float = 120.0
    retries: int = 2

    def describe(self) -> str:
        retries = f"{self.retries} retr{'y' if self.retries == 1 else 'ies'}"
        return f"connect {self.connect:g} s, read {self.read:g} s, {retries}"


@dataclass(frozen=True)
class StagedFile:
    """A private copy of a checked file; its bytes hash to the sha256 in the report."""

    original: str
    path: Path
    sha256: str
    bytes: int
    format: str | None
    rows: int


@dataclass(frozen=True)
class Poll:
    """A job as the provider reports it now: its status, whether it ended (`done`), the
    provider's error when it failed, and, once it ended, its metrics file (`metrics` bytes,
    saved next to the manifest as `metrics_name`) when the provider keeps one."""

    status: str
    done: bool
    error: str | None = None
    metrics: bytes | None = None
    metrics_name: str | None = None


@dataclass
class Job:
    """What a launch started: the provider's job id, its status, how to follow it, and the
    provider-specific details recorded in the run manifest (file ids, request, metrics)."""

    id: str
    status: str
    follow: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


class Trainer:
    """Base class of providers (see the module docstring)."""

    name: ClassVar[str]
    extra: ClassVar[str] = ""
    requires: ClassVar[tuple[str, ...]] = ()
    paid: ClassVar[bool] = True
    formats: ClassVar[frozenset[str]] = frozenset({"chat"})
    # Accepted file name endings; None: any file ftqa reads (the trainer reads it with ftqa).
    suffixes: ClassVar[tuple[str, ...] | None] = (".jsonl",)
    hyperparameters: ClassVar[frozenset[str]] = frozenset()
    options: ClassVar[Mapping[str, str]] = {}  # option name -> one-line help
    timeouts: ProviderTimeouts = ProviderTimeouts()

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        given = {key: value for key, value in (options or {}).items() if value is not None}
        unknown = sorted(set(given) - set(self.options))
        if unknown:
            known = ", ".join(sorted(self.options)) or "none"
            raise FtqaError(
                f"provider `{self.name}` has no option {', '.join(unknown)} (its options: {known})"
            )
        self.settings: dict[str, Any] = given

    @classmethod
    def check_model(cls, model: str) -> None:
        """Refuse, before anything else runs, a base model this provider cannot have."""

    def problems(self, plan: Plan) -> list[str]:
        """Why this plan cannot be launched on this provider (empty when it can)."""
        found = []
        for label, info in (("training", plan.train), ("validation", plan.validation)):
            if info is None:
                continue
            if self.suffixes is not None and not info.path.endswith(self.suffixes):
                found.append(
                    f"{self.name} takes {' or '.join(self.suffixes)} files; the {label} file "
                    f"{info.path} is not one (uploads are the checked bytes, so ftqa does not "
                    "convert them: write the file in that form and check it again)"
                )
            if info.format is not None and info.format not in self.formats:
                found.append(
                    f"{self.name} fine-tunes on {' or '.join(sorted(self.formats))} data; the "
                    f"{label} file {info.path} is {info.format}"
                )
        return found

    def launch(self, plan: Plan, train: StagedFile, validation: StagedFile | None) -> Job:
        raise NotImplementedError

    def poll(self, job_id: str, details: Mapping[str, Any]) -> Poll:
        """The job's state now (`details`: the manifest's `job` section). Providers that
        cannot be followed keep this default."""
        raise LaunchError(f"provider `{self.name}` cannot be watched: follow the job yourself")


def installed() -> dict[str, EntryPoint]:
    """Installed providers by name."""
    return {point.name: point for point in group_points(GROUP)}


def load_trainer(name: str) -> type[Trainer]:
    """The trainer class registered as `name`, with its dependencies importable."""
    points = installed()
    point = points.get(name)
    if point is None:
        known = ", ".join(sorted(points)) or "none"
        raise FtqaError(f"unknown provider `{name}` (installed providers: {known})")
    try:
        cls = point.load()
    except ModuleNotFoundError as error:
        raise ProviderUnavailable(_missing(name, error.name or "?", None)) from error
    except Exception as error:
        raise PluginError(
            f"provider {name!r} ({point.value}) failed to load: {type(error).__name__}: {error}"
        ) from error
    if not (isinstance(cls, type) and callable(getattr(cls, "launch", None))):
        raise PluginError(f"provider {name!r} ({point.value}) is not a trainer class")
    for module in getattr(cls, "requires", ()):
        if importlib.util.find_spec(module) is None:
            raise ProviderUnavailable(_missing(name, module, getattr(cls, "extra", None)))
    return cls


def _missing(name: str, module: str, extra: str | None) -> str:
    extra = extra or BUILTIN_EXTRAS.get(name)
    how = (
        f"pip install 'ftqa[{extra}]'"
        if extra
        else "install the package that provides this provider"
    )
    if module.split(".")[0] == "torch":
        how = f"pip install torch (the build for your hardware), then {how}"
    return f"provider `{name}` needs the `{module}` package, which is not installed: {how}"
