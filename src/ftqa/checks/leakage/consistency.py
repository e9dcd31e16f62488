"""Template consistency: rows whose system prompt or prompt scaffold deviates from the one most
rows use, and rows whose line endings differ from the rest."""

from __future__ import annotations

import zlib
from array import array
from collections.abc import Iterator
from typing import Any

from ftqa.checks.leakage.options import NO_TEXT, NOT_CHAT, PREFIX_LENGTHS, SCAFFOLD_CHARS
from ftqa.checks.leakage.textual import masked, share, show
from ftqa.finding import Finding
from ftqa.outbound import prefix_excerpt
from ftqa.providers.leakage import stable_hash
from ftqa.records import Record
from ftqa.text import excerpt

# (system-prompt key, its text, prompt-prefix hashes for PREFIX_LENGTHS, the prompt's head)
TemplateFeatures = tuple[int, str | None, tuple[int, int, int], str | None]


def template_features(record: Record, system: str | None) -> TemplateFeatures:
    """A row's template features; `system` is its SYSTEM_PROMPT (`ftqa.providers.leakage`).
    Texts are kept to SCAFFOLD_CHARS and masked (they may become evidence)."""
    if system is None:
        return NOT_CHAT, None, (NOT_CHAT, NOT_CHAT, NOT_CHAT), None
    user = next((m.content for m in record.messages if m.role == "user"), None)
    key, text = (
        (stable_hash(system), masked(system[:SCAFFOLD_CHARS])) if system else (NO_TEXT, None)
    )
    if not user:
        return key, text, (NO_TEXT, NO_TEXT, NO_TEXT), None
    head = user[:64].encode("utf-8", "surrogatepass")
    h16 = zlib.crc32(head[:16])
    h32 = zlib.crc32(head[16:32], h16)
    h64 = zlib.crc32(head[32:64], h32)
    return key, text, (h64, h32, h16), masked(user[:SCAFFOLD_CHARS])


class ConsistencyRules:
    """Consistency rules of `LeakageChecker` (a mixin: the checker holds the state)."""

    def _remember_template(self, template: TemplateFeatures) -> None:
        """Append one row's system-prompt key and prompt-prefix hashes to the row arrays."""
        system, system_text, prefixes, user = template
        self._system.append(system)
        if system_text is not None:
            self._system_samples.add(system, system_text)
        for length, value in zip(PREFIX_LENGTHS, prefixes, strict=True):
            self._prefix[length].append(value)
        if user is not None:
            self._scaffold_samples.add(prefixes[-1], user)

    def _dominant(self, values: array[int], deviants: bool = True) -> tuple[int, int, int] | None:
        """The most common value among rows with a conversation: (value, count, rows), when it
        holds `template_min_share` of at least `template_min_rows` rows (and, with `deviants`,
        not all of them)."""
        found = _top(values)
        if found is None:
            return None
        value, count, rows, variants = found
        if rows < self.options.template_min_rows or (deviants and variants < 2):
            return None
        if count < self.options.template_min_share * rows:
            return None
        return value, count, rows

    def _finish_system(self) -> Iterator[Finding]:
        dominant = self._dominant(self._system)
        if dominant is None:
            return
        value, count, rows = dominant
        text = self._system_samples.text(value) if value != NO_TEXT else None
        for row_index in _deviants(self._system, value):
            own = self._system[row_index]
            if value == NO_TEXT:
                message = f"the row has a system prompt, while {share(count, rows)} rows have none"
            elif own == NO_TEXT:
                message = f"the row has no system prompt, while {share(count, rows)} rows use one"
            else:
                message = f"the system prompt differs from the one {share(count, rows)} rows use"
            yield self.finding(
                "inconsistent-system-prompt",
                message,
                evidence=text,
                fix="use the same system prompt in every example (and at inference)",
                **self._locate(row_index),
            )

    def _scaffold(self, deviants: bool = True) -> tuple[int, int, int, int, str | None] | None:
        """The dominant prompt scaffold: (prefix length, hash, count, rows, text)."""
        for length in PREFIX_LENGTHS:
            dominant = self._dominant(self._prefix[length], deviants)
            if dominant is not None and dominant[0] != NO_TEXT:
                value, count, rows = dominant
                first = _first(self._prefix[length], value)
                short = self._prefix[PREFIX_LENGTHS[-1]][first]
                return length, value, count, rows, self._scaffold_samples.text(short)
        return None

    def _finish_scaffold(self) -> Iterator[Finding]:
        scaffold = self._scaffold()
        if scaffold is None:
            return
        length, value, count, rows, text = scaffold
        values = self._prefix[length]
        shown = f" ({show(excerpt(text, 60))})" if text else ""
        for row_index in _deviants(values, value):
            if values[row_index] == NO_TEXT:
                continue
            yield self.finding(
                "inconsistent-prompt-template",
                f"the prompt does not start like {share(count, rows)} prompts do{shown}",
                evidence=text,
                fix="use the same prompt template in every example (and at inference)",
                **self._locate(row_index),
            )

    def _finish_crlf(self) -> Iterator[Finding]:
        crlf = len(self._crlf_rows)
        if not crlf or crlf >= self._lf_rows:
            return
        total = crlf + self._lf_rows
        for row_index in self._crlf_rows:
            yield self.finding(
                "mixed-line-endings",
                f"the row uses `\\r\\n` line endings, while {share(self._lf_rows, total)} rows "
                "with line breaks use `\\n`",
                fix="convert every line ending to `\\n`",
                **self._locate(row_index),
            )

    def _template_stats(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        found = _top(self._system)
        if found is not None:
            value, count, rows, _ = found
            variants, without = _variants(self._system)
            out["system_prompt"] = {
                "dominant": self._system_samples.text(value) if value != NO_TEXT else None,
                "share": round(count / rows, 4),
                "variants": variants,
                "rows_without": without,
            }
        scaffold = self._scaffold(deviants=False)
        if scaffold is not None:
            length, _, count, rows, text = scaffold
            out["prompt_scaffold"] = {
                "dominant": prefix_excerpt(text) if text else text,
                "prefix_bytes": length,
                "share": round(count / rows, 4),
            }
        return out


def _numbers(values: array[int]) -> Any:
    import numpy as np

    return np.frombuffer(values, dtype=np.int64) if len(values) else np.zeros(0, dtype=np.int64)


def _top(values: array[int]) -> tuple[int, int, int, int] | None:
    """(most common value, its count, rows, distinct values) among rows with a conversation;
    ties go to the smallest value, so the result does not depend on row order."""
    import numpy as np

    numbers = _numbers(values)
    numbers = numbers[numbers != NOT_CHAT]
    if not len(numbers):
        return None
    unique, counts = np.unique(numbers, return_counts=True)
    best = int(np.argmax(counts))  # first maximum = smallest value among the most common
    return int(unique[best]), int(counts[best]), len(numbers), len(unique)


def _variants(values: array[int]) -> tuple[int, int]:
    """(distinct non-empty values, rows with the empty value)."""
    import numpy as np

    numbers = _numbers(values)
    numbers = numbers[numbers != NOT_CHAT]
    present = numbers[numbers != NO_TEXT]
    return len(np.unique(present)), int(len(numbers) - len(present))


def _deviants(values: array[int], value: int) -> list[int]:
    import numpy as np

    numbers = _numbers(values)
    return [int(i) for i in np.nonzero((numbers != value) & (numbers != NOT_CHAT))[0]]


def _first(values: array[int], value: int) -> int:
    import numpy as np

    return int(np.argmax(_numbers(values) == value))
