"""Preference cycles and conflicting labels: the same prompt ranked or labelled two ways."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ftqa.checks.contradictions.edges import _quote, _where
from ftqa.dedup import (
    clusters,
)
from ftqa.dedup.findings import listing, place
from ftqa.finding import Finding


class LabelRules:
    """`conflicting-preferences` and `conflicting-labels` (a mixin of the checker)."""

    def _preferences(self, labels: np.ndarray, kinds: np.ndarray) -> Iterator[Finding]:
        rows = np.flatnonzero(kinds == 2)
        if len(rows) < 2:
            return
        chosen = self._response_keys.keys()
        rejected = self._rejected_keys.keys()
        groups: dict[int, list[int]] = {}
        for row in rows.tolist():
            groups.setdefault(int(labels[row]), []).append(row)
        for members in groups.values():
            if len(members) < 2:
                continue
            for cycle in _cycles(members, chosen, rejected):
                yield from self._preference_finding(cycle)

    def _preference_finding(self, cycle: list[int]) -> Iterator[Finding]:
        log = self._log
        a, b = cycle[0], cycle[1]
        if len(cycle) == 2:
            message = (
                f"{place(log, a)} prefers {_quote(log.excerpt(a))} over "
                f"{_quote(self._rejected.get(a))}, but {_where(log, b, a)} prefers the "
                "opposite for the same prompt"
            )
        else:
            message = (
                f"{len(cycle)} rows with the same prompt rank their answers in a circle "
                f"({listing(log, cycle)}): each answer is preferred over the next and the last "
                "over the first"
            )
        yield from self._emit(
            "conflicting-preferences", message, sorted(cycle), a, evidence=self._prompts.get(a)
        )

    # labels

    def _labels(self, labels: np.ndarray, label_rows: np.ndarray) -> Iterator[Finding]:
        rows = np.flatnonzero(label_rows)
        if len(rows) < 2:
            return
        responses = self._response_keys.keys()
        sub = labels[rows]
        for members in clusters(sub):
            group = rows[members]
            keys = np.ascontiguousarray(responses[group]).view(np.dtype((np.void, 16))).ravel()
            values, inverse = np.unique(keys, return_inverse=True)
            if len(values) < 2:
                continue
            by_label: dict[int, list[int]] = {}
            for row, which in zip(group.tolist(), inverse.ravel().tolist(), strict=True):
                by_label.setdefault(which, []).append(row)
            order = sorted(by_label.values(), key=lambda rs: (-len(rs), rs[0]))
            log = self._log
            described = "; ".join(
                f"{_quote(log.excerpt(rs[0]), 40)} ×{len(rs)} ({listing(log, rs, limit=3)})"
                for rs in order[:4]
            )
            more = f"; and {len(order) - 4} more labels" if len(order) > 4 else ""
            message = f"the same input has {len(values)} different labels: {described}{more}"
            first = int(group[0])
            yield from self._emit(
                "conflicting-labels",
                message,
                sorted(group.tolist()),
                first,
                evidence=self._prompts.get(first),
            )


def _cycles(members: list[int], chosen: np.ndarray, rejected: np.ndarray) -> Iterator[list[int]]:
    """Rows (one per edge) forming preference cycles among rows sharing one prompt: an edge
    goes from a row's chosen answer to its rejected answer. Each cycle is reported once."""
    edges: dict[bytes, list[tuple[bytes, int]]] = {}
    for row in members:
        c, r = chosen[row].tobytes(), rejected[row].tobytes()
        if c != r:
            edges.setdefault(c, []).append((r, row))
    seen_rows: set[int] = set()
    for row in members:
        if row in seen_rows:
            continue
        start, target = chosen[row].tobytes(), rejected[row].tobytes()
        path = _path(edges, target, start, limit=8)
        if path is None:
            continue
        cycle = [row, *path]
        if seen_rows.intersection(cycle):
            continue
        seen_rows.update(cycle)
        yield cycle


def _path(
    edges: dict[bytes, list[tuple[bytes, int]]], source: bytes, goal: bytes, limit: int
) -> list[int] | None:
    """Rows along a shortest path of preference edges from `source` to `goal`."""
    frontier: list[tuple[bytes, list[int]]] = [(source, [])]
    visited = {source}
    for _ in range(limit):
        following: list[tuple[bytes, list[int]]] = []
        for node, rows in frontier:
            for nxt, row in edges.get(node, ()):
                if nxt == goal:
                    return [*rows, row]
                if nxt not in visited:
                    visited.add(nxt)
                    following.append((nxt, [*rows, row]))
        frontier = following
        if not frontier:
            break
    return None
