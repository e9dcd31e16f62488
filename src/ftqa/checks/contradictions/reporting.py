"""Answer conflicts become findings: pairs joined into groups, one finding per group and file."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ftqa.checks.contradictions.edges import Edge, _quote, _where
from ftqa.dedup import (
    clusters,
    components,
)
from ftqa.dedup.findings import by_file, listing, place
from ftqa.finding import Finding
from ftqa.text import excerpt


class AnswerReports:
    """Findings of answer conflicts (a mixin of the checker)."""

    def _report(self, edges: list[Edge]) -> Iterator[Finding]:
        count = len(self._log)
        minimum = self.options.min_score
        for rule in ("conflicting-answers", "inconsistent-refusal", "divergent-answers"):
            chosen = [e for e in edges if e.rule == rule and e.score >= minimum]
            if not chosen:
                continue
            pairs = np.array([(e.a, e.b) for e in chosen], dtype=np.int64)
            labels = components(count, pairs)
            by_root: dict[int, list[Edge]] = {}
            for edge in chosen:
                if not edge.link:
                    by_root.setdefault(int(labels[edge.a]), []).append(edge)
            for members in clusters(labels):
                group_edges = by_root.get(int(labels[members[0]]), [])
                if not group_edges:
                    continue
                best = max(group_edges, key=lambda e: (e.score, -e.a, -e.b))
                yield from self._answer_finding(rule, sorted(members.tolist()), best)

    def _answer_finding(self, rule: str, members: list[int], best: Edge) -> Iterator[Finding]:
        log = self._log
        a, b = best.a, best.b
        pair = (
            f"{_quote(self._answer(a).head or log.excerpt(a))} vs "
            f"{_quote(self._answer(b).head or log.excerpt(b))}"
        )
        verb = {
            "conflicting-answers": "answer the same question differently",
            "inconsistent-refusal": "get different treatment for the same question",
            "divergent-answers": "give unrelated answers to the same prompt",
        }[rule]
        if len(members) == 2:
            head = f"{place(log, a)} and {_where(log, b, a)} {verb}"
        else:
            head = f"{len(members)} rows {verb} ({listing(log, members)}); strongest pair"
            head += f" {place(log, a)} / {_where(log, b, a)}"
        message = f"{head}: {best.reason}: {pair} ({best.relation}; score {best.score:.2f})"
        yield from self._emit(rule, message, members, a, evidence=self._prompts.get(a))

    def _emit(
        self,
        rule: str,
        message: str,
        members: list[int],
        representative: int,
        evidence: str | None = None,
    ) -> Iterator[Finding]:
        log = self._log
        self._counts[rule] = self._counts.get(rule, 0) + 1
        groups = by_file(log, np.array(members, dtype=np.int64))
        for group in groups:
            indices = group.members.tolist()
            first = representative if representative in indices else indices[0]
            text = message
            if not group.first:
                text = f"{message} (reported first at {log.where(representative)})"
            yield self.finding(
                rule,
                text,
                file=group.file,
                line=log.line_of(first),
                row=log.row[first],
                rows=group.rows(log),
                lines=group.lines(log),
                evidence=excerpt(" ".join(evidence.split())) if evidence else None,
            )
