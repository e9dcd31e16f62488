"""A fix is data: `Fix(action, field, value, safety)`, computed with the finding it repairs (in
the same map or reduce step, never by a second pass over the data) and applied by the one
row-conserving writer (`ftqa fix`).

- `drop`: move the row, untouched, to the quarantine file (`value` is the reason).
- `set`: put `value` at `field`, a path into the row as written (`()` is the whole row), if the
  value there is still `expected`. Fixes of one row apply together when their paths are apart;
  one whose path another fix already changed waits for the next round of `ftqa fix`, which
  checks the row again.

A fix's value holds dataset text, so it never reaches a report: findings carry their fixes
outside every serialised field. The change-log excerpts pass the outbound layer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from ftqa.outbound import change_text, outbound

Path = tuple[str | int, ...]
Safety = Literal["safe", "unsafe"]
MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class Fix:
    action: Literal["set", "drop"]
    field: Path | None
    value: Any = field(repr=False)
    safety: Safety
    expected: Any = field(default=MISSING, repr=False, compare=False)
    row: int | None = None  # the row it applies to, for a finding about several rows
    before: str | None = None
    after: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "before", change_text(self.before))
        object.__setattr__(self, "after", change_text(self.after))
        if self.action == "drop":
            object.__setattr__(self, "value", outbound(str(self.value)))


def edits(
    before: Any, after: Any, safety: Safety, excerpts: tuple[str | None, str | None]
) -> list[Fix]:
    """`set` fixes that turn `before` into `after`, one per smallest changed place. A mapping
    whose keys changed is set whole; a row whose value is unchanged is set whole too (it is
    written again, e.g. to drop the earlier value of a repeated key)."""
    found = list(_differences(before, after, ()))
    if not found:
        found = [((), before, after)]
    return [Fix("set", path, new, safety, old, None, *excerpts) for path, old, new in found]


def _differences(old: Any, new: Any, path: Path) -> Iterator[tuple[Path, Any, Any]]:
    if type(old) is not type(new):
        yield path, old, new
    elif isinstance(old, dict):
        if list(old) != list(new):
            yield path, old, new
            return
        for key in old:
            yield from _differences(old[key], new[key], (*path, key))
    elif isinstance(old, list):
        if len(old) != len(new):
            yield path, old, new
            return
        for index, (one, other) in enumerate(zip(old, new, strict=True)):
            yield from _differences(one, other, (*path, index))
    elif not (old == new or (old != old and new != new)):
        yield path, old, new


def overlaps(one: Path, other: Path) -> bool:
    """One path is the other or lies inside it."""
    shorter = min(len(one), len(other))
    return one[:shorter] == other[:shorter]


def get_at(value: Any, path: Path) -> Any:
    for step in path:
        try:
            value = value[step]
        except (KeyError, IndexError, TypeError):
            return MISSING
    return value


def set_at(value: Any, path: Path, new: Any) -> Any:
    """`value` with `new` at `path`, copying only the containers on the way (`value` is kept)."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[head] = set_at(value[head], rest, new)  # type: ignore[index]
    return copy
