"""Discover checkers through the `ftqa.checkers` entry-point group (built-ins register there
too).

Entry points are listed without importing anything; a checker's module is imported the first
time that checker is needed. `ftqa check --select format` therefore imports the format checker
only, not the embedding or secret-scanning stacks of checkers that will not run.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib.metadata import EntryPoint, EntryPoints, entry_points

from ftqa.checker import Checker
from ftqa.errors import PluginError

GROUP = "ftqa.checkers"


@cache
def _installed() -> EntryPoints:
    """Every installed entry point, read once per process: each reading opens the metadata of
    every installed distribution (checkers and training providers share it)."""
    return entry_points()


def group_points(group: str) -> EntryPoints:
    """The installed entry points of `group`."""
    return _installed().select(group=group)


@cache
def _points() -> dict[str, EntryPoint]:
    """Entry points by checker id, built-ins first, then plugins in name order."""
    found: dict[str, EntryPoint] = {}
    for point in sorted(group_points(GROUP), key=_order):
        known = found.get(point.name)
        if known is None:
            found[point.name] = point
        elif known.value != point.value:
            raise PluginError(
                f"two checkers claim the id {point.name!r}: {_distribution(known)} "
                f"({known.value}) and {_distribution(point)} ({point.value})"
            )
    return found


def checker_ids() -> list[str]:
    """Every installed checker's id, without importing any checker."""
    return list(_points())


def is_checker(check_id: str) -> bool:
    return check_id in _points()


@cache
def load_checker(check_id: str) -> type[Checker]:
    """The checker class registered as `check_id` (KeyError when there is none)."""
    point = _points()[check_id]
    cls = _load(point)
    if cls.id != point.name:
        raise PluginError(
            f"checker plugin {point.value!r} registers as {point.name!r} but its id is "
            f"{cls.id!r}; the entry-point name must equal the checker id"
        )
    return cls


def checkers() -> dict[str, type[Checker]]:
    """Every installed checker by id, built-ins first, then plugins in name order."""
    return {check_id: load_checker(check_id) for check_id in _points()}


def _order(point: EntryPoint) -> tuple[int, str]:
    builtin = point.value.startswith("ftqa.")
    return (0 if builtin else 1, point.name)


def _distribution(point: EntryPoint) -> str:
    dist = getattr(point, "dist", None)
    return f"{dist.name} {dist.version}" if dist is not None else point.value


def _load(point: EntryPoint) -> type[Checker]:
    try:
        loaded = point.load()
    except Exception as error:
        raise PluginError(
            f"checker plugin {point.name!r} ({point.value}) failed to load: "
            f"{type(error).__name__}: {error}"
        ) from error
    if not (isinstance(loaded, type) and issubclass(loaded, Checker)):
        raise PluginError(
            f"checker plugin {point.name!r} ({point.value}) is not a subclass of ftqa.Checker"
        )
    return loaded


def resolve(selector: str) -> list[tuple[str, str]] | None:
    """The (check, rule) pairs a selector (`check`, `check/rule` or a bare `rule`, current slug
    or a former one) names, or None when it names nothing. Only a bare rule name needs every
    checker imported."""
    check_id, slash, slug = selector.partition("/")
    if is_checker(check_id):
        cls = load_checker(check_id)
        if not slash:
            return [(check_id, rule.slug) for rule in cls.rules]
        rule = cls._rules_by_slug.get(slug) or cls._rules_by_alias.get(slug)
        return [(check_id, rule.slug)] if rule is not None else None
    if slash:
        return None
    return rule_index().get(selector)


def canonical(selector: str) -> str:
    """`selector` with a former rule slug replaced by the rule's current one."""
    pairs = resolve(selector)
    check_id, slash, _ = selector.partition("/")
    if not pairs or len(pairs) != 1 or (not slash and is_checker(check_id)):
        return selector
    check, rule = pairs[0]
    return f"{check}/{rule}" if slash else rule


@cache
def rule_index() -> dict[str, list[tuple[str, str]]]:
    """Selectors (`check`, `check/rule`, bare `rule`) mapped to the (check, rule) pairs."""
    index: dict[str, list[tuple[str, str]]] = {}
    for check_id, cls in checkers().items():
        pairs = [(check_id, rule.slug) for rule in cls.rules]
        index[check_id] = pairs
        for pair in pairs:
            index[f"{check_id}/{pair[1]}"] = [pair]
            index.setdefault(pair[1], []).append(pair)
        for alias, rule in cls._rules_by_alias.items():
            pair = (check_id, rule.slug)
            index[f"{check_id}/{alias}"] = [pair]
            index.setdefault(alias, []).append(pair)
    return index


def rule_summaries(check_ids: Iterable[str]) -> dict[str, str]:
    """`check/rule` -> one-line summary for the given checkers (unknown ids are skipped)."""
    summaries: dict[str, str] = {}
    for check_id in dict.fromkeys(check_ids):
        if not is_checker(check_id):
            continue
        for rule in load_checker(check_id).rules:
            summaries[f"{check_id}/{rule.slug}"] = rule.summary
    return summaries
