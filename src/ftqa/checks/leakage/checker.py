"""The `leakage` checker class: per-row scanning and the dataset-wide pass, built from the rule
families in `rows`, `separators` and `consistency`."""

from __future__ import annotations

import copy
from array import array
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

from ftqa.checker import CheckContext, Checker, Drop, Edit
from ftqa.checks.leakage.consistency import ConsistencyRules, template_features
from ftqa.checks.leakage.endings import _Endings, _RowState, _Samples
from ftqa.checks.leakage.fixes import _FIXES, _all_slots, _change, _joined, _slots
from ftqa.checks.leakage.options import (
    PREFIX_LENGTHS,
    RULES,
    SEPARATOR_CANDIDATES,
    STOP_CANDIDATES,
    TIKTOKEN_ENCODINGS,
    LeakageOptions,
)
from ftqa.checks.leakage.rows import RowRules
from ftqa.checks.leakage.separators import SeparatorRules
from ftqa.checks.leakage.stop_tokens import StopTokenRules, StopTokenState
from ftqa.checks.leakage.textual import _plain_completion
from ftqa.finding import Finding
from ftqa.providers import Provided
from ftqa.providers.leakage import SYSTEM_PROMPT, SYSTEM_PROMPT_ID
from ftqa.records import Message, Record
from ftqa.rowresult import RowKey, RowResult
from ftqa.template_tokens.vocabulary import Vocabulary

LABEL_RULES = frozenset({"next-turn-in-response", "role-label-in-content"})


class LeakageChecker(RowRules, StopTokenRules, SeparatorRules, ConsistencyRules, Checker):
    id = "leakage"
    summary = "Separators, stop sequences, template tokens and role labels leaking into text."
    rules = RULES
    Options = LeakageOptions
    version = "1"
    needs = (SYSTEM_PROMPT, SYSTEM_PROMPT_ID)
    pure_map = True
    options: LeakageOptions

    def __init__(self, options: LeakageOptions, context: CheckContext) -> None:
        super().__init__(options, context)
        self.model = context.model or options.model
        self.vocabulary = Vocabulary.build(options, self.model)
        target = self.vocabulary.target
        self.expects_space = (
            options.leading_space
            if options.leading_space is not None
            else target.encoding in TIKTOKEN_ENCODINGS
        )
        self._find = self.vocabulary.matcher.find
        start = self.vocabulary.start_label
        self._start = start.match if start is not None else None
        self._trim_roles = frozenset(options.trim_roles)
        self._files: dict[str, int] = {}
        self._file_names: list[str] = []
        self._file = array("i")
        self._row = array("q")
        self._line = array("q")
        self._system = array("q")
        self._prefix = {length: array("q") for length in PREFIX_LENGTHS}
        self._system_samples = _Samples()
        self._scaffold_samples = _Samples(prefix=True)
        self._prompts = _Endings()
        self._completions = _Endings()
        self._probes = set(SEPARATOR_CANDIDATES) | set(STOP_CANDIDATES)
        self._completion_hashes: set[int] = set()
        self._long_completions = 0
        self._crlf_rows = array("q")
        self._lf_rows = 0
        self._token_counts: Counter[str] = Counter()
        self._rows_with_tokens = 0
        self._label_rows = 0
        self._untrimmed = 0
        self._stop = StopTokenState()

    # -- per row ---------------------------------------------------------------------------

    def map(self, record: Record, provided: Provided) -> RowResult:
        plain = _plain_completion(record)
        state = _RowState()
        messages = self._messages(record)
        reply = any(m.role == "assistant" and m.content for m in messages)
        out: list[Finding] = []
        for message in messages:
            if message.content:
                self._scan(record, message, plain, state, out)
            for position, call in enumerate(message.tool_calls):
                if call.arguments:
                    path = f"{message.field}.tool_calls[{position}].function.arguments"
                    hits = self._find(call.arguments)
                    if hits:
                        place = "tool-call arguments"
                        self._tokens(record, call.arguments, hits, path, place, state, out)
        if record.text:
            self._scan_text(record, state, out)
        line_endings = self._line_endings(record, state, out)
        system = provided(SYSTEM_PROMPT)
        template = template_features(record, system)
        completion = None
        if plain:
            findings, completion = self._completion_row(record)
            out.extend(findings)
        labels = sum(finding.rule in LABEL_RULES for finding in out)
        untrimmed = sum(finding.rule == "untrimmed-content" for finding in out)
        features = (
            state.tokens,
            dict(state.token_counts),
            labels,
            untrimmed,
            line_endings,
            reply,
            state.endings,
            state.held,
            template,
            completion,
        )
        measures = {"template_tokens": state.tokens}
        if system:
            measures["system_prompt"] = provided(SYSTEM_PROMPT_ID)
        return RowResult(out, features, measures)

    def reduce(self, key: RowKey, features: tuple[Any, ...]) -> None:
        self.reduce_many([key], [features])

    def reduce_many(self, keys: Sequence[RowKey], features: Sequence[Any]) -> None:
        first = self._remember(keys)
        for index, row in enumerate(features, first):
            self._reduce_row(index, row)

    def _reduce_row(self, index: int, features: Sequence[Any]) -> None:
        tokens, token_counts, labels, untrimmed, line_endings, reply, endings, held = features[:8]
        template, completion = features[8:]
        self._rows_with_tokens += tokens > 0
        self._token_counts.update(token_counts)
        self._label_rows += labels
        self._untrimmed += untrimmed
        if line_endings == "crlf":
            self._crlf_rows.append(index)
        elif line_endings == "lf":
            self._lf_rows += 1
        self._remember_stop_tokens(index, reply, endings, held)
        self._remember_template(template)
        if completion is not None:
            self._remember_completion(index, completion)

    def _remember(self, keys: Sequence[RowKey]) -> int:
        """Log the rows' places; the index of the first."""
        first = len(self._row)
        files = self._files
        for key in keys:
            file_id = files.get(key.file)
            if file_id is None:
                file_id = files[key.file] = len(self._file_names)
                self._file_names.append(key.file)
            self._file.append(file_id)
        self._row.extend([key.row for key in keys])
        self._line.extend([-1 if key.line is None else key.line for key in keys])
        return first

    @staticmethod
    def _messages(record: Record) -> list[Message]:
        messages = record.messages
        if record.chosen or record.rejected:
            messages = messages + (record.chosen or []) + (record.rejected or [])
        return messages

    # -- dataset-wide ----------------------------------------------------------------------

    def finish(self) -> Iterator[Finding]:
        yield from self._finish_stop_tokens()
        if self._checks_side(self._prompts, self.options.separator):
            yield from self._finish_side(self._prompts, "prompt")
        completions = self._completions
        if (
            self._checks_side(completions, self.options.stop_sequence)
            and not self._classification()
        ):
            yield from self._finish_side(completions, "completion")
        yield from self._finish_system()
        yield from self._finish_scaffold()
        yield from self._finish_crlf()

    def _locate(self, row_index: int) -> dict[str, Any]:
        line = self._line[row_index]
        return {
            "file": self._file_names[self._file[row_index]],
            "row": self._row[row_index],
            "line": line if line >= 0 else None,
        }

    # -- report sections -------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        vocabulary = self.vocabulary
        target = vocabulary.target
        stats: dict[str, Any] = {
            "matcher": vocabulary.matcher.engine,
            "target": {
                "model": target.model,
                "families": list(target.families),
                "special_tokens": len(target.special),
                "note": target.note,
            },
            "rows_with_template_tokens": self._rows_with_tokens,
            "template_tokens": dict(self._token_counts.most_common(50)),
            "role_label_findings": self._label_rows,
            "untrimmed_contents": self._untrimmed,
            "crlf_rows": len(self._crlf_rows),
        }
        if self._prompts.n:
            stats["separator"] = self._side_stats(self._prompts, "prompt")
        if self._completions.n:
            stats["stop_sequence"] = self._side_stats(self._completions, "completion")
        template = self._template_stats()
        if template:
            stats["template"] = template
        return stats

    # -- fixes -----------------------------------------------------------------------------

    def fix(self, raw: Any, finding: Finding, row: int) -> Edit | Drop | None:
        handler = _FIXES.get(finding.rule)
        if handler is None:
            return None
        value = copy.deepcopy(raw)
        slots = _slots(value, finding.field) if finding.field else _all_slots(value)
        if not slots:
            return None
        before = _joined(slots)
        result = handler(slots, finding, value)
        if isinstance(result, Drop):
            return result
        after = _joined(slots)
        if after == before:
            return None
        return Edit(value, *_change(before, after))
