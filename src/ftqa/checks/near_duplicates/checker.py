"""The `near_duplicates` checker class: per-row features (`map`, `map_many`), their fold (`reduce`)
and the clusters (`finish`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from pydantic import Field

from ftqa.checker import Checker, Drop, Edit, Options, Rule
from ftqa.checks.near_duplicates.rows import (
    EXACT_NORMALIZATION,
    TEXT_NORMALIZATION,
    PreparedRow,
    plain_text_sides,
    shingles,
)
from ftqa.dedup import (
    ENGINE,
    KeyIndex,
    MinHashParams,
    RowLog,
    Scope,
    SignatureIndex,
    clusters,
)
from ftqa.dedup.findings import by_file, group_location, listing, place
from ftqa.dedup.minhash import row_signatures
from ftqa.dedup.representatives import representative_clusters
from ftqa.dedup.scope import shown_part
from ftqa.dedup.sides import SideIndex, Sides, side_features
from ftqa.finding import Finding, Severity
from ftqa.outbound import outbound, prefix_excerpt
from ftqa.providers import Provided
from ftqa.providers.dedup import NORMALIZED_TEXT, SCOPE_KEY, SCOPE_PARTS, SCOPE_TEXT
from ftqa.providers.excerpt import EXCERPT
from ftqa.records import Record
from ftqa.rowresult import RowKey, RowResult

GRAM_NAMES = {1: "word", 2: "word-bigram", 3: "word-trigram"}
# Each side is compared only to tell a reworded side from a different one: a shorter signature
# (estimate within about ±0.06) is enough and halves the extra cost.
SIDE_PERMUTATIONS = 64
SEMANTIC_CHARS = 2000  # of each row's text, embedded for `semantic-duplicate`


class NearDuplicatesOptions(Options):
    threshold: float = Field(
        0.55,
        gt=0.0,
        lt=1.0,
        description="Minimum estimated Jaccard similarity of the word n-gram sets.",
    )
    ngram: int = Field(2, ge=1, le=16, description="Words per shingle.")
    num_perm: int = Field(128, ge=16, le=1024, description="MinHash permutations per row.")
    scope: Scope = Field(
        "example",
        description="What is compared: the whole `example`, its `prompt` side or its "
        "`response` side.",
    )
    include_system: bool = Field(
        False,
        description="Compare system and developer messages too; off because one long system "
        "prompt shared by many rows would make unrelated short conversations look alike.",
    )
    seed: int = Field(1, ge=0, lt=2**32, description="Seed of the MinHash permutations.")
    semantic: bool = Field(
        False,
        description="Also report paraphrases MinHash cannot see (`semantic-duplicate`), from "
        "sentence embeddings; needs the `semantic` extra. Off by default: template siblings "
        "score high even after the guards.",
    )
    semantic_threshold: float = Field(
        0.95, gt=0.0, lt=1.0, description="Minimum cosine similarity for a semantic duplicate."
    )

    def params(self) -> MinHashParams:
        return MinHashParams(self.threshold, self.ngram, self.num_perm, self.seed)


class NearDuplicatesChecker(Checker):
    id = "near_duplicates"
    summary = "Clusters of rows that are almost the same example (MinHash LSH)."
    version = "3"
    needs = (EXCERPT, SCOPE_PARTS, SCOPE_TEXT, SCOPE_KEY, NORMALIZED_TEXT)
    pure_map = True
    rules = (
        Rule(
            "near-duplicate",
            Severity.WARNING,
            "Rows that are almost the same example (a near-duplicate cluster).",
            "unsafe",
        ),
        Rule(
            "semantic-duplicate",
            Severity.INFO,
            "Two rows that say the same thing in other words (embeddings; opt-in).",
        ),
    )
    Options = NearDuplicatesOptions
    options: NearDuplicatesOptions

    def __init__(self, options: NearDuplicatesOptions, context: Any) -> None:
        super().__init__(options, context)
        self._log = RowLog()
        self._index = SignatureIndex(options.params())
        self._exact = KeyIndex()
        side_params = self._side_params = MinHashParams(
            options.threshold, options.ngram, SIDE_PERMUTATIONS, options.seed
        )
        self._answer_side = SideIndex(side_params)
        self._prompt_side = SideIndex(side_params)
        self._summary: dict[str, Any] = {}
        self._texts: Any = None
        if options.semantic:
            from ftqa.semantic import TextStore

            self._texts = TextStore(max_chars=2000)

    def map(self, record: Record, provided: Provided) -> RowResult | None:
        """Features: the row's excerpt, its MinHash signature (bytes), its exact example key,
        its prompt and answer sides (`SideFeature`), and its text for embeddings when
        `semantic` is on (masked like any text that leaves the row)."""
        return self.map_many([record], [provided])[0]

    def map_many(
        self, records: Sequence[Record], provided: Sequence[Provided]
    ) -> list[RowResult | None]:
        """`map` of a batch: the rows' texts are shingled and signed in one call each, which
        for short rows is most of the cost."""
        options = self.options
        out: list[RowResult | None] = [None] * len(records)
        rows: list[tuple[int, PreparedRow]] = []
        texts: list[str] = []
        for position, (record, row) in enumerate(zip(records, provided, strict=True)):
            if record.split not in ("train", "validation"):
                continue
            prepared = self._row(record, row)
            rows.append((position, prepared))
            texts += (prepared.text, prepared.prompt[1], prepared.answer[1])
        if not rows:
            return out
        grams = shingles(texts, options.ngram)
        signatures = row_signatures(grams[0::3], options.num_perm, options.seed)
        sides = side_features(
            [
                side
                for number, (_, prepared) in enumerate(rows)
                for side in (
                    (*prepared.prompt, grams[3 * number + 1]),
                    (*prepared.answer, grams[3 * number + 2]),
                )
            ],
            self._side_params,
        )
        for number, (position, prepared) in enumerate(rows):
            features = (
                prepared.excerpt,
                signatures[number],
                prepared.example_key,
                sides[2 * number],
                sides[2 * number + 1],
                prepared.semantic,
            )
            out[position] = RowResult(features=features)
        return out

    def _row(self, record: Record, provided: Provided) -> PreparedRow:
        options = self.options
        system = options.include_system
        text = provided(SCOPE_TEXT, options.scope, TEXT_NORMALIZATION, system)
        parts = provided(SCOPE_PARTS, options.scope, system)
        sides = plain_text_sides(record, provided) or (
            (
                provided(SCOPE_KEY, "prompt", EXACT_NORMALIZATION, system),
                provided(SCOPE_TEXT, "prompt", TEXT_NORMALIZATION, system),
            ),
            (
                provided(SCOPE_KEY, "response", EXACT_NORMALIZATION, True),
                provided(SCOPE_TEXT, "response", TEXT_NORMALIZATION, True),
            ),
        )
        semantic = None
        if options.semantic:
            written = "\n".join(part for _, part in parts)
            cut = written[:SEMANTIC_CHARS]
            semantic = prefix_excerpt(cut) if len(cut) < len(written) else outbound(cut)
        return PreparedRow(
            text,
            sides[0],
            sides[1],
            provided(EXCERPT, shown_part(parts)),
            provided(SCOPE_KEY, "example", EXACT_NORMALIZATION, True),
            semantic,
        )

    def reduce(self, key: RowKey, features: Any) -> None:
        self.reduce_many([key], [features])

    def reduce_many(self, keys: Sequence[RowKey], features: Sequence[Any]) -> None:
        self.reduce_combined(keys, self.combine(features))

    def combine(self, features: Sequence[Any]) -> list[Any]:
        excerpts, signatures, exact, prompt_sides, answer_sides, semantic = zip(
            *features, strict=True
        )
        return [
            self._log.pack_texts(excerpts, cut=False),
            self._index.pack(signatures),
            KeyIndex.pack(exact),
            self._prompt_side.pack(prompt_sides),
            self._answer_side.pack(answer_sides),
            self._texts.pack([text or "" for text in semantic])
            if self._texts is not None
            else None,
        ]

    def reduce_combined(self, keys: Sequence[RowKey], combined: Any) -> None:
        excerpts, signatures, exact, prompt_sides, answer_sides, semantic = combined
        self._log.add_packed(keys, excerpts)
        self._index.add_packed(signatures)
        self._exact.add_packed(exact)
        self._prompt_side.add_packed(prompt_sides)
        self._answer_side.add_packed(answer_sides)
        if self._texts is not None:
            self._texts.add_packed(semantic)

    def finish(self) -> Iterator[Finding]:
        _, splits = self._log.arrays()
        sides = self._sides()
        result = representative_clusters(
            self._index.signatures(),
            self._index.has_signature(),
            sides,
            self.options.params(),
            partition=splits,
        )
        keys = self._exact.keys()
        valid = self._exact.valid()
        reported = 0
        for members in clusters(result.labels):
            block = np.ascontiguousarray(keys[members]).view(np.dtype((np.void, 16)))
            if len(np.unique(block)) == 1 and valid[members].all():
                continue  # all exact copies: the duplicates checker reports them
            reported += 1
            yield from self._cluster(members, result.similarity)
        self._summarize(result.labels, splits, reported, result.pairs, result.candidates)
        self._summary["similar_rows_with_other_answers"] = result.different_answers
        if self._texts is not None:
            yield from self._semantic(splits, result.labels)

    def _sides(self) -> Sides:
        """What must agree besides the example: its prompt and its answer. Comparing one side
        only (scope prompt or response), nothing else is asked."""
        both = self.options.scope == "example"
        threshold = self.options.threshold
        return Sides(
            prompt=self._prompt_side.side(threshold, compare_text=both),
            answer=self._answer_side.side(threshold, compare_text=both),
        )

    def _semantic(self, splits: np.ndarray, labels: np.ndarray) -> Iterator[Finding]:
        from ftqa.semantic import SemanticSettings, find_semantic_duplicates

        try:
            found = find_semantic_duplicates(
                self._texts,
                threshold=self.options.semantic_threshold,
                partition=splits,
                same_cluster=labels,
                settings=SemanticSettings(cache_max_mb=self.context.embedding_cache_max_mb),
            )
        finally:
            self._texts.close()
        if found.skipped:
            self._summary["semantic"] = {"status": "skipped", "reason": found.skipped}
            return
        self._summary["semantic"] = found.stats
        log = self._log
        for (first, second), cosine in zip(
            found.pairs.tolist(), found.similarity.tolist(), strict=True
        ):
            yield self.finding(
                "semantic-duplicate",
                f"{log.where(second)} says the same as {log.where(first)} in other words "
                f"(cosine {cosine:.2f} >= {self.options.semantic_threshold:g}); "
                f"{log.where(first)} is kept",
                file=log.files[log.file[first]],
                line=log.line_of(first),
                row=log.row[first],
                rows=[log.row[first], log.row[second]],
                lines=[log.line_of(first) or -1, log.line_of(second) or -1],
                evidence=log.excerpt(second) or None,
            )

    def _cluster(self, members: np.ndarray, similarity: np.ndarray) -> Iterator[Finding]:
        log = self._log
        kept = int(members[0])
        gram = GRAM_NAMES.get(self.options.ngram, f"{self.options.ngram}-word-shingle")
        head = (
            f"{len(members)} near-duplicate rows (estimated {gram} Jaccard similarity "
            f">= {self.options.threshold:g})"
        )
        groups = by_file(log, members)
        for group in groups:
            indices = group.members.tolist()
            if group.first:
                message = f"{head}: {place(log, kept)} is kept"
                if len(indices) > 1:
                    message += f"; {listing(log, indices[1:], similarity)}"
                elsewhere = [
                    f"{log.where(i)} ({float(similarity[i]):.2f})"
                    for g in groups[1:]
                    for i in g.members.tolist()
                ]
                if elsewhere:
                    message += f"; also {', '.join(elsewhere[:5])}"
                    if len(elsewhere) > 5:
                        message += f" and {len(elsewhere) - 5} more"
            else:
                message = (
                    f"{head}: {listing(log, indices, similarity)} are near duplicates of "
                    f"{log.where(kept)} (kept there)"
                )
            yield self.finding("near-duplicate", message, **group_location(log, group, kept))

    def _summarize(
        self, labels: np.ndarray, splits: np.ndarray, reported: int, pairs: int, candidates: int
    ) -> None:
        options = self.options
        bands, rows = options.params().shape
        has = self._index.has_signature()
        summary: dict[str, Any] = {
            "engine": ENGINE,
            "scope": options.scope,
            "include_system": options.include_system,
            "ngram": options.ngram,
            "threshold": options.threshold,
            "num_perm": options.num_perm,
            "bands": bands,
            "rows_per_band": rows,
            "candidate_pairs": candidates,
            "verified_pairs": pairs,
            "clusters_reported": reported,
        }
        for name, code in (("train", 0), ("validation", 1)):
            mask = splits == code
            if not mask.any():
                continue
            part = labels[mask]
            values, counts = np.unique(part, return_counts=True)
            split_summary = {
                "rows": int(mask.sum()),
                "rows_compared": int(has[mask].sum()),
                "effective_size": len(values),
                "multi_row_clusters": int((counts > 1).sum()),
                "rows_in_clusters": int(counts[counts > 1].sum()),
                "largest_cluster": int(counts.max()),
            }
            if name == "train":
                summary.update(split_summary)
            else:
                summary["validation"] = split_summary
        self._summary = summary

    def stats(self) -> dict[str, Any]:
        return self._summary

    def fix(self, raw: Any, finding: Finding, row: int) -> Edit | Drop | None:
        rows = finding.rows or []
        if finding.rule != "near-duplicate" or row not in rows[1:]:
            return None
        if self.options.scope != "example":
            return None  # rows alike on one side only may still differ: never removed
        kept = finding.lines[0] if finding.lines else None
        where = f"line {kept}" if kept is not None else f"row {rows[0]}"
        return Drop(f"near duplicate of {where}")
