"""The `contradictions` checker class: per-row features, and the dataset-wide pass built from
the rule modules."""

from __future__ import annotations

import time
from array import array
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from ftqa.checker import Checker, Rule
from ftqa.checks.contradictions.edges import Edge
from ftqa.checks.contradictions.features import (
    ANSWER,
    NEEDS,
    SIGNATURE_SEED,
    RowFeatures,
    prompt_signatures,
    row_features,
)
from ftqa.checks.contradictions.options import (
    EXCERPT,
    NUM_PERM,
    PROMPT_CHARS,
    RESPONSE_CHARS,
    ContradictionsOptions,
)
from ftqa.checks.contradictions.preferences import LabelRules
from ftqa.checks.contradictions.reporting import AnswerReports
from ftqa.checks.contradictions.tiers import AnswerTiers
from ftqa.dedup import KeyIndex, MinHashParams, RowLog, SignatureIndex
from ftqa.finding import Finding, Severity
from ftqa.providers import Provided
from ftqa.records import Record
from ftqa.rowresult import RowKey, RowResult
from ftqa.semantic import Semantic
from ftqa.semantic.answers import Answer, Conflict, answer
from ftqa.semantic.questions import Question, question, words_of
from ftqa.spill import TextStore


class ContradictionsChecker(LabelRules, AnswerTiers, AnswerReports, Checker):
    id = "contradictions"
    summary = "The same or an equivalent prompt with conflicting answers, labels or preferences."
    version = "4"
    needs = NEEDS
    pure_map = True
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
            MinHashParams(
                threshold=options.lexical_threshold, ngram=1, num_perm=NUM_PERM, seed=SIGNATURE_SEED
            )
        )
        self._prompts = TextStore(PROMPT_CHARS * 4)  # masked texts may grow a little
        self._responses = TextStore(RESPONSE_CHARS * 4)
        self._rejected = TextStore(EXCERPT * 8)
        self._systems: dict[bytes, int] = {}
        self._system_ids = array("q")
        self._kind = bytearray()  # 0 answer, 1 classification, 2 preference
        self._has_prompt = bytearray()
        self._prompt_words = bytearray()
        self._files = array("i")
        self._label_keys: dict[int, set[bytes]] = {}  # per file: distinct short completions
        self._not_labels: set[int] = set()  # files whose completions are not a small label set
        self._answers: dict[int, Answer] = {}
        self._questions: dict[int, Question] = {}
        self._stats: dict[str, Any] = {}
        self._counts: dict[str, int] = {}
        self._engine: Semantic | None = None

    # -- per row -----------------------------------------------------------------------------

    def map(self, record: Record, provided: Provided) -> RowResult | None:
        return self.map_many([record], [provided])[0]

    def map_many(
        self, records: Sequence[Record], provided: Sequence[Provided]
    ) -> list[RowResult | None]:
        rows = [
            row_features(record, row, self.options)
            for record, row in zip(records, provided, strict=True)
        ]
        signed = iter(prompt_signatures([row for row in rows if row is not None]))
        return [None if row is None else RowResult(features=tuple(next(signed))) for row in rows]

    def reduce(self, key: RowKey, features: Any) -> None:
        self.reduce_many([key], [features])

    def reduce_many(self, keys: Sequence[RowKey], features: Sequence[Any]) -> None:
        self.reduce_combined(keys, self.combine(features))

    def combine(self, features: Sequence[Any]) -> list[Any]:
        rows = [RowFeatures(*row) for row in features]
        responses = [row.response for row in rows]
        return [
            self._log.pack_texts(responses),
            bytes([row.kind for row in rows]),
            KeyIndex.pack([row.prompt_key for row in rows]),
            KeyIndex.pack([row.response_key for row in rows]),
            KeyIndex.pack([row.rejected_key for row in rows]),
            self._signatures.pack([row.prompt_signature for row in rows]),
            self._prompts.pack([row.prompt for row in rows]),
            bytes([bool(row.has_prompt) for row in rows]),
            bytes([row.prompt_words for row in rows]),
            self._responses.pack(responses),
            self._rejected.pack([row.rejected for row in rows]),
            [row.system for row in rows],
            [row.label for row in rows],
        ]

    def reduce_combined(self, keys: Sequence[RowKey], combined: Any) -> None:
        excerpts, kinds, prompt_keys, response_keys, rejected_keys = combined[:5]
        signatures, prompts, has_prompt, prompt_words, responses, rejected = combined[5:11]
        systems, labels = combined[11:]
        if not len(kinds) == len(keys) == len(systems) == len(labels):
            raise ValueError("combined features of another number of rows")
        start = len(self._log)
        self._log.add_packed(keys, excerpts)
        self._kind += kinds
        self._prompt_keys.add_packed(prompt_keys)
        self._response_keys.add_packed(response_keys)
        self._rejected_keys.add_packed(rejected_keys)
        self._signatures.add_packed(signatures)
        self._prompts.add_packed(prompts)
        self._has_prompt += has_prompt
        self._prompt_words += prompt_words
        self._responses.add_packed(responses)
        self._rejected.add_packed(rejected)
        known = self._systems
        self._system_ids.extend(
            [0 if system is None else known.setdefault(system, len(known)) for system in systems]
        )
        file_ids = self._log.file[start:]
        self._files.extend(file_ids)
        not_labels = self._not_labels
        for kind, label, file_id in zip(kinds, labels, file_ids, strict=True):
            if kind == ANSWER and file_id not in not_labels:
                self._track_label(file_id, label)

    def _track_label(self, file_id: int, label: bytes | None) -> None:
        keys = self._label_keys.setdefault(file_id, set())
        if label is not None:
            keys.add(label)
        if label is None or len(keys) > self.options.label_set_size:
            self._not_labels.add(file_id)
            self._label_keys.pop(file_id, None)

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
    def stats(self) -> dict[str, Any]:
        return self._stats
