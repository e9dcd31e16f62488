"""What a configuration changes relative to ftqa's defaults, in words a report can show.

Each change says whether it *relaxes* the checks: whether it can hide findings or lower their
severity (a disabled checker, an ignored rule, a narrower `select`, a lowered severity, a
changed checker option or extra accepted keys and roles). `ftqa train` refuses to launch when
a configuration it discovered on its own relaxes the checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ftqa.finding import Severity
from ftqa.registry import load_checker, resolve
from ftqa.text import excerpt

if TYPE_CHECKING:
    from ftqa.config import Settings

# Command-line flags (and the same-named `ftqa.check` arguments) that override file settings.
FLAGS = {
    "select": "--select",
    "ignore": "--ignore",
    "fail_on": "--fail-on",
    "input_format": "--input-format",
    "max_findings_per_rule": "max_findings_per_rule",
}


ENGINE_KEYS = (
    "executor",
    "jobs",
    "scheduler",
    "cache",
    "cache_dir",
    "cache_max_mb",
    "embedding_cache_max_mb",
)


@dataclass(frozen=True)
class Change:
    kind: str  # disable, ignore, select, lower, raise, fail-on, option, input, listing, time
    subject: str  # what it applies to: a check, a rule, a key
    text: str
    relaxes: bool
    source: str  # the configuration file, or the flag that set it

    def describe(self, files: int) -> str:
        """The text, naming its source when that is a flag or one of several files."""
        if self.source in FLAGS.values() or files > 1:
            return f"{self.text} ({self.source})"
        return self.text


def describe_changes(settings: Settings) -> list[Change]:
    """Every way `settings` differ from the defaults, in a stable order."""
    defaults = type(settings.globals)()
    glob = settings.globals

    def source(key: str) -> str:
        return FLAGS[key] if key in settings.overridden else settings.origin

    changes: list[Change] = []
    for check_id, table in sorted(settings.tables.items()):
        if not table.enabled:
            changes.append(
                Change("disable", check_id, f"disables {check_id}", True, settings.origin)
            )
    if glob.select is not None:
        names = ", ".join(glob.select) or "nothing"
        changes.append(Change("select", names, f"selects only {names}", True, source("select")))
    for selector in glob.ignore:
        changes.append(Change("ignore", selector, f"ignores {selector}", True, source("ignore")))
    changes.extend(_severity_changes(settings))
    if glob.fail_on is not defaults.fail_on:
        text = f"fails on {glob.fail_on.value} (default {defaults.fail_on.value})"
        changes.append(Change("fail-on", "fail-on", text, False, source("fail_on")))
    if glob.input_format != defaults.input_format:
        text = f"forces input format {glob.input_format}"
        changes.append(Change("input", "input-format", text, False, source("input_format")))
    changes.extend(_reading_changes(settings, defaults))
    if glob.max_findings_per_rule != defaults.max_findings_per_rule:
        text = (
            f"lists at most {glob.max_findings_per_rule} findings per rule "
            f"(default {defaults.max_findings_per_rule}; counts stay exact)"
        )
        changes.append(
            Change("listing", "max-findings-per-rule", text, False, source("max_findings_per_rule"))
        )
    changes.extend(_other_global_changes(settings, defaults))
    changes.extend(_option_changes(settings))
    return changes


def _severity_changes(settings: Settings) -> list[Change]:
    """Each (check, rule) whose severity the configuration sets to something else than the
    rule's default, once, with the level the run really uses."""
    pairs: dict[tuple[str, str], None] = {}
    for selector in settings.globals.severity:
        pairs.update(dict.fromkeys(resolve(selector) or ()))
    for check_id, table in settings.tables.items():
        pairs.update(dict.fromkeys((check_id, rule) for rule in table.severity))
    changes = []
    for check_id, rule in sorted(pairs):
        default = load_checker(check_id).rule(rule).severity
        level = settings.severity(check_id, rule, default)
        if level is default:
            continue
        lowered = level.rank < default.rank
        kind = "lower" if lowered else "raise"
        text = f"{kind}s {check_id}/{rule} from {default.value} to {level.value}"
        changes.append(Change(kind, f"{check_id}/{rule}", text, lowered, settings.origin))
    return changes


def _reading_changes(settings: Settings, defaults: Any) -> list[Change]:
    glob = settings.globals
    changes = []
    added = [key for key in glob.extra_keys if key not in defaults.extra_keys]
    if added:
        text = f"accepts extra top-level keys {', '.join(added)}"
        changes.append(Change("input", "extra-keys", text, True, settings.origin))
    dropped = [key for key in defaults.extra_keys if key not in glob.extra_keys]
    if dropped:
        text = f"no longer accepts the metadata keys {', '.join(dropped)}"
        changes.append(Change("input", "extra-keys", text, False, settings.origin))
    if glob.extra_roles:
        text = f"accepts extra roles {', '.join(glob.extra_roles)}"
        changes.append(Change("input", "extra-roles", text, True, settings.origin))
    if glob.sharegpt_roles:
        pairs = ", ".join(f"{tag}→{role}" for tag, role in sorted(glob.sharegpt_roles.items()))
        text = f"maps ShareGPT tags {pairs}"
        changes.append(Change("input", "sharegpt-roles", text, True, settings.origin))
    return changes


def _other_global_changes(settings: Settings, defaults: Any) -> list[Change]:
    """Settings that bound time rather than what is checked."""
    changes = []
    skip = {
        "select",
        "ignore",
        "fail_on",
        "input_format",
        "max_findings_per_rule",
        "extra_keys",
        "extra_roles",
        "sharegpt_roles",
        "severity",
        # Where and how rows are mapped: the report is the same whichever is set.
        *ENGINE_KEYS,
    }
    for name in type(settings.globals).model_fields:
        if name in skip:
            continue
        value, default = getattr(settings.globals, name), getattr(defaults, name)
        if value != default:
            key = name.replace("_", "-")
            text = f"{key} = {_show(value)} (default {_show(default)})"
            changes.append(Change("time", key, text, False, settings.origin))
    return changes


def _option_changes(settings: Settings) -> list[Change]:
    changes = []
    for check_id, options in sorted(settings.options.items()):
        defaults = type(options)()
        for name, field in type(options).model_fields.items():
            value, default = getattr(options, name), getattr(defaults, name)
            if value == default:
                continue
            key = f"{check_id}.{(field.alias or name).replace('_', '-')}"
            text = f"sets {key} = {_show(value)} (default {_show(default)})"
            changes.append(Change("option", key, text, True, settings.origin))
    return changes


def _show(value: Any) -> str:
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="json")
    if isinstance(value, Severity):
        value = value.value
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple, set, frozenset, Mapping)):
        return excerpt(repr(value), 60)
    return excerpt(str(value), 60)


def summary(changes: Iterable[Change]) -> str:
    """A short phrase for a one-line verdict: "ignores secrets; lowers 3 severities"."""
    by_kind: dict[str, list[Change]] = {}
    for change in changes:
        by_kind.setdefault(change.kind, []).append(change)
    phrases = []
    for kind, verb in (("disable", "disables"), ("ignore", "ignores"), ("select", "selects only")):
        names = [change.subject for change in by_kind.get(kind, [])]
        if names:
            shown = ", ".join(names) if len(names) <= 3 else f"{len(names)} checks or rules"
            phrases.append(f"{verb} {shown}")
    for kind, verb, one, many in (
        ("lower", "lowers", "severity", "severities"),
        ("raise", "raises", "severity", "severities"),
        ("option", "changes", "checker option", "checker options"),
        ("input", "changes", "input setting", "input settings"),
    ):
        count = len(by_kind.get(kind, []))
        if count:
            phrases.append(f"{verb} {count} {one if count == 1 else many}")
    for kind in ("fail-on", "listing", "time"):
        phrases.extend(change.text for change in by_kind.get(kind, []))
    return "; ".join(phrases)
