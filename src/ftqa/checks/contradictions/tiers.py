"""Answer conflicts, found in tiers: identical prompts, near-identical prompts (MinHash), and
paraphrased prompts (embeddings)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from ftqa.checks.contradictions.edges import Edge, latin_script
from ftqa.checks.contradictions.options import (
    EXPAND_ANSWERS,
    IDENTICAL,
    LSH_SLACK,
    NEAR,
    NUM_PERM,
    OPEN_ENDED,
    PAIRWISE_GROUP,
    RELATED_WORDS,
    SEMANTIC,
    SEMANTIC_MIN_WORDS,
    VERIFY_SLACK,
)
from ftqa.dedup import (
    clusters,
)
from ftqa.dedup.minhash import candidate_pairs, lsh_shape, similarity
from ftqa.semantic import INSTALL_COMMAND, Semantic, SemanticUnavailable
from ftqa.semantic.answers import Conflict, compare
from ftqa.semantic.questions import jaccard, veto


def expand_groups(
    pairs: np.ndarray,
    sims: np.ndarray,
    labels: np.ndarray,
    valid: np.ndarray,
    responses: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of prompt-group representatives become pairs of the groups' rows with different
    answers: up to EXPAND_ANSWERS distinct answers per group (the first ones, in file order),
    so each related pair of groups costs at most EXPAND_ANSWERS squared comparisons."""
    if len(pairs) == 0:
        return pairs, sims
    wanted = set(pairs.ravel().tolist())
    variants: dict[int, list[int]] = {}
    seen: dict[int, set[bytes]] = {}
    for row in np.flatnonzero(valid & np.isin(labels, list(wanted))).tolist():
        group = int(labels[row])
        answers = seen.setdefault(group, set())
        key = responses[row].tobytes()
        if key in answers or len(answers) >= EXPAND_ANSWERS:
            continue
        answers.add(key)
        variants.setdefault(group, []).append(row)
    out: list[tuple[int, int]] = []
    scores: list[float] = []
    for (a, b), score in zip(pairs.tolist(), sims.tolist(), strict=True):
        for x in variants.get(a, [a]):
            for y in variants.get(b, [b]):
                out.append((min(x, y), max(x, y)))
                scores.append(score)
    return np.array(out, dtype=np.int64).reshape(-1, 2), np.array(scores, dtype=sims.dtype)


class AnswerTiers:
    """Candidate pairs of answers and their conflicts (a mixin of the checker)."""

    _open_ended_groups = 0

    def _answer_edges(self, labels: np.ndarray, answer_rows: np.ndarray) -> Iterator[Edge]:
        responses = self._response_keys.keys()
        has_prompt = np.frombuffer(bytes(self._has_prompt), dtype=bool)
        # Rows whose prompt is only a system prompt (an empty user turn) ask no question.
        valid = self._response_keys.valid() & answer_rows & has_prompt
        if valid.sum() < 2:
            return
        tiers: dict[str, Any] = {}
        self._stats["tiers"] = tiers
        started = time.perf_counter()
        identical, quiet = self._identical_edges(labels, valid, responses, tiers)
        yield from identical
        tiers[IDENTICAL]["seconds"] = round(time.perf_counter() - started, 2)

        started = time.perf_counter()
        system = np.asarray(self._system_ids, dtype=np.int64)
        members = np.flatnonzero(self._signatures.has_signature() & valid)
        pairs, candidates = self._near_pairs(members, system)
        pairs = pairs[self._new(pairs, labels, responses)]
        lexical, pending, vetoes = self._split(pairs)
        near_edges, _ = self._pair_edges(pairs[lexical], None)
        tiers[NEAR] = {
            "candidates": int(candidates),
            "pairs": len(pairs),
            "conflicts": len(near_edges),
            "vetoed": vetoes,
            "seconds": round(time.perf_counter() - started, 2),
        }
        if len(pending):
            tiers[NEAR]["to_rescore"] = len(pending)
        yield from near_edges

        semantic, edges = self._semantic_edges(
            labels, valid, responses, system, pairs, pairs[pending]
        )
        tiers[SEMANTIC] = semantic
        yield from edges
        if quiet and semantic.get("status") == "ran":
            yield from self._divergent(quiet, semantic)
        elif quiet:
            tiers[IDENTICAL]["divergence"] = "not checked (needs the semantic tier)"

    def _near_pairs(self, members: np.ndarray, system: np.ndarray) -> tuple[np.ndarray, int]:
        """MinHash LSH candidates among `members` (same system prompt only) whose estimated
        word Jaccard is within `VERIFY_SLACK` of `lexical_threshold`; the exact check follows.
        The band shape is derived for `lexical_threshold - LSH_SLACK`, not lower: unrelated
        prompts share common words (word Jaccard 0.1-0.2), and a looser shape makes millions of
        candidates at 100k rows."""
        sigs = self._signatures.signatures()
        target = max(self.options.lexical_threshold - LSH_SLACK, 0.05)
        bands, rows = lsh_shape(target, NUM_PERM)
        pairs = candidate_pairs(sigs, bands, rows, members, system)
        estimate = similarity(sigs, pairs)
        keep = estimate >= np.float32(self.options.lexical_threshold - VERIFY_SLACK)
        return pairs[keep], len(pairs)

    def _identical_edges(
        self,
        labels: np.ndarray,
        valid: np.ndarray,
        responses: np.ndarray,
        tiers: dict[str, Any],
    ) -> tuple[list[Edge], list[tuple[int, int]]]:
        """Conflicts among rows with identical prompts, and the pairs with different answers
        but no explicit conflict (for the divergence check)."""
        edges: list[Edge] = []
        quiet: list[tuple[int, int]] = []
        rows = np.flatnonzero(valid)
        groups = compared = 0
        self._open_ended_groups = 0
        for members in clusters(labels[rows]):
            group = rows[members].tolist()
            keys = [responses[i].tobytes() for i in group]
            if len(set(keys)) < 2:
                continue
            groups += 1
            links: dict[int, list[int]] = {}
            if len(group) <= PAIRWISE_GROUP:
                pairs = [
                    (a, b)
                    for x, a in enumerate(group)
                    for y, b in enumerate(group[x + 1 :], x + 1)
                    if keys[x] != keys[y]
                ]
            else:
                pairs, links = self._representative_pairs(group)
            for a, b in pairs:
                compared += 1
                conflict = compare(self._answer(a), self._answer(b))
                if conflict is None:
                    if len(group) <= PAIRWISE_GROUP:
                        quiet.append((a, b))
                    continue
                edge = self._edge(a, b, conflict, 1.0, "identical prompts")
                edges.append(edge)
                for end in (a, b):
                    edges.extend(
                        Edge(end, other, edge.rule, edge.score, "", "", link=True)
                        for other in links.get(end, ())
                    )
        tiers[IDENTICAL] = {
            "groups": groups,
            "pairs_compared": compared,
            "conflicts": sum(1 for e in edges if not e.link),
            "open_ended_groups": self._open_ended_groups,
        }
        return edges, quiet

    def _representative_pairs(
        self, group: list[int]
    ) -> tuple[list[tuple[int, int]], dict[int, list[int]]]:
        """For a large group of rows with one prompt: one row per distinct answer signature,
        compared pairwise; and the other rows of each signature, to join them to its group."""
        signatures: dict[tuple[object, ...], int] = {}
        links: dict[int, list[int]] = {}
        for row in group:
            facts = self._answer(row)
            signature = (facts.refusal, facts.polarity, facts.final, facts.numbers, facts.negated)
            representative = signatures.setdefault(signature, row)
            if representative != row:
                links.setdefault(representative, []).append(row)
        if len(signatures) > OPEN_ENDED:
            signatures, links = self._coarse_representatives(group)
        reps = list(signatures.values())
        pairs = [(a, b) for x, a in enumerate(reps) for b in reps[x + 1 :]]
        return pairs, links

    def _coarse_representatives(
        self, group: list[int]
    ) -> tuple[dict[tuple[object, ...], int], dict[int, list[int]]]:
        """One prompt with more than OPEN_ENDED different answers is open-ended ("tell me a fun
        fact", "write a poem"): different facts and numbers across its answers are its nature,
        not a contradiction, and comparing every pair would grow with the square of the group.
        Only a refusal against a compliance, or yes against no, still conflicts: one row per
        (refusal, yes/no) class is compared, and the others join their class's row."""
        self._open_ended_groups += 1
        classes: dict[tuple[object, ...], int] = {}
        links: dict[int, list[int]] = {}
        for row in group:
            facts = self._answer(row)
            representative = classes.setdefault((facts.refusal, facts.polarity), row)
            if representative != row:
                links.setdefault(representative, []).append(row)
        return classes, links

    def _new(self, pairs: np.ndarray, labels: np.ndarray, responses: np.ndarray) -> np.ndarray:
        """Mask of pairs that are not identical-prompt pairs (the first tier's) and whose
        responses differ."""
        if len(pairs) == 0:
            return np.zeros(0, dtype=bool)
        same_prompt = labels[pairs[:, 0]] == labels[pairs[:, 1]]
        same_response = (responses[pairs[:, 0]] == responses[pairs[:, 1]]).all(axis=1)
        return ~same_prompt & ~same_response

    def _pair_edges(
        self, pairs: np.ndarray, similarity: np.ndarray | None
    ) -> tuple[list[Edge], int]:
        """Edges of candidate pairs whose answers conflict and whose prompts are the same
        question: no veto, and enough shared words, or (`similarity`, the precise cosine, when
        given) a paraphrase."""
        edges: list[Edge] = []
        vetoes = 0
        options = self.options
        for index, (a, b) in enumerate(pairs.tolist()):
            conflict = compare(self._answer(a), self._answer(b))
            if conflict is None:
                continue
            qa, qb = self._question(a), self._question(b)
            if veto(qa, qb) is not None:
                vetoes += 1
                continue
            overlap = jaccard(qa.words, qb.words)
            cosine = None if similarity is None else float(similarity[index])
            if (
                cosine is not None
                and cosine >= options.paraphrase_threshold
                and self._embeddable(a, b)
            ):
                relation = f"paraphrased prompts, similarity {cosine:.2f}"
                edges.append(self._edge(a, b, conflict, cosine, relation))
            elif (
                overlap >= options.lexical_threshold and min(qa.size, qb.size) >= options.min_words
            ):
                relation = f"near-identical prompts, word overlap {overlap:.2f}"
                edges.append(self._edge(a, b, conflict, overlap, relation))
        return edges, vetoes

    def _embeddable(self, a: int, b: int) -> bool:
        """Whether the precise model can judge these prompts: the default model (all-MiniLM-L6-v2)
        knows English; for prompts in another script its cosines are noise (two unrelated
        Chinese prompts score 0.85), so they need a model of the user's choosing."""
        if self.options.model is not None:
            return True
        return latin_script(self._prompts.get(a)) and latin_script(self._prompts.get(b))

    def _lexically_same(self, a: int, b: int) -> bool:
        qa, qb = self._question(a), self._question(b)
        return (
            jaccard(qa.words, qb.words) >= self.options.lexical_threshold
            and min(qa.size, qb.size) >= self.options.min_words
        )

    def _split(self, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        """Indices of the pairs whose answers conflict, no veto stops, and that are the same
        question by words alone (`lexical`) or need the precise model to tell (`pending`)."""
        lexical: list[int] = []
        pending: list[int] = []
        vetoes = 0
        for index, (a, b) in enumerate(pairs.tolist()):
            if compare(self._answer(a), self._answer(b)) is None:
                continue
            if veto(self._question(a), self._question(b)) is not None:
                vetoes += 1
            elif self._lexically_same(a, b):
                lexical.append(index)
            else:
                pending.append(index)
        return np.array(lexical, dtype=np.int64), np.array(pending, dtype=np.int64), vetoes

    def _semantic_edges(
        self,
        labels: np.ndarray,
        valid: np.ndarray,
        responses: np.ndarray,
        system: np.ndarray,
        near_pairs: np.ndarray,
        near_pending: np.ndarray,
    ) -> tuple[dict[str, Any], list[Edge]]:
        options = self.options
        if not options.semantic:
            return {"status": "disabled", "note": "semantic = false in the configuration"}, []
        engine = Semantic(options.semantic_settings(self.context.embedding_cache_max_mb))
        reason = engine.unavailable
        if reason:
            return {"status": "skipped", "reason": reason, "install": INSTALL_COMMAND}, []
        self._engine = engine
        started = time.perf_counter()
        rows = np.flatnonzero(valid)
        # One row per identical prompt is searched: thousands of copies of one prompt would
        # make the search quadratic, and pairs inside a copy group are the first tier's.
        # Prompts of one or two words are left out: a sentence embedding of a word or two says
        # which words they are, not what is asked (the identical and near tiers still see them),
        # and at millions of rows of such prompts the search alone would take hours.
        words = np.frombuffer(bytes(self._prompt_words), dtype=np.uint8)
        first = rows[labels[rows] == rows]
        searched = first[words[first] >= SEMANTIC_MIN_WORDS]
        try:
            pairs, sims, precise = engine.candidates(
                self._prompts, searched, options.paraphrase_threshold, system
            )
            pairs, sims = expand_groups(pairs, sims, labels, valid, responses)
            keep = self._new(pairs, labels, responses)
            if len(pairs) and len(near_pairs):
                count = np.int64(len(labels))
                seen = near_pairs[:, 0] * count + near_pairs[:, 1]
                keep &= ~np.isin(pairs[:, 0] * count + pairs[:, 1], seen)
            pairs, sims = pairs[keep], sims[keep]
            if precise:
                edges, vetoes = self._pair_edges(pairs, sims)
            else:
                edges, vetoes = self._confirm(engine, pairs)
            if len(near_pending):
                cosine = engine.precise_similarity(self._prompts, near_pending)
                scored = ~np.isnan(cosine)
                more, _ = self._pair_edges(near_pending[scored], cosine[scored])
                edges += more
        except SemanticUnavailable as exc:
            return {"status": "skipped", "reason": str(exc)}, []
        summary: dict[str, Any] = {
            "status": "ran",
            "searched_prompts": len(searched),
            "short_prompts_left_out": len(first) - len(searched),
            "candidates": len(pairs),
            "conflicts": len(edges),
            "vetoed": vetoes,
        }
        summary.update(engine.stats())
        summary["seconds"] = round(time.perf_counter() - started, 2)
        return summary, edges

    def _confirm(self, engine: Semantic, pairs: np.ndarray) -> tuple[list[Edge], int]:
        """Large path: of the candidates whose answers conflict and that no veto stops, those
        that are not the same question by words alone are re-scored with the precise model
        (within the run's budget)."""
        lexical, pending, vetoes = self._split(pairs)
        edges, _ = self._pair_edges(pairs[lexical], None)
        if len(pending):
            chosen = pairs[pending]
            cosine = engine.precise_similarity(self._prompts, chosen)
            scored = ~np.isnan(cosine)
            more, _ = self._pair_edges(chosen[scored], cosine[scored])
            edges += more
        return edges, vetoes

    def _divergent(self, pairs: list[tuple[int, int]], semantic: dict[str, Any]) -> Iterator[Edge]:
        engine = self._engine
        assert engine is not None
        # Answers that share many words are related (copies that differ in case, spacing or a
        # few words): no need to embed them.
        unrelated = [
            (a, b)
            for a, b in pairs
            if jaccard(self._answer_words(a), self._answer_words(b)) < RELATED_WORDS
        ]
        cosine = engine.precise_similarity(self._responses, np.array(unrelated, dtype=np.int64))
        threshold = self.options.divergence_threshold
        found = 0
        for (a, b), value in zip(unrelated, cosine.tolist(), strict=True):
            if np.isnan(value) or value >= threshold:
                continue
            found += 1
            reason = f"unrelated answers (similarity {value:.2f})"
            conflict = Conflict("divergent", round(1.0 - max(value, 0.0), 2), reason)
            yield self._edge(a, b, conflict, 1.0, "identical prompts")
        semantic["divergence_pairs_checked"] = len(pairs)
        semantic["divergence_pairs_embedded"] = len(unrelated)
        semantic["divergent_pairs"] = found
        semantic.update(engine.stats())
