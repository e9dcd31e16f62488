"""Separator and stop-sequence rules of prompt/completion data: detected or configured, missing,
mixed, inside the text, too long or absent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ftqa.checks.leakage.endings import (
    Detection,
    SideFeatures,
    _Endings,
    detect,
    ending_marker,
    full_value,
    side_features,
)
from ftqa.checks.leakage.options import (
    CLASSIFICATION_LIMIT,
    CLASSIFICATION_RATIO,
    SEPARATOR_CANDIDATES,
    STOP_CANDIDATES,
)
from ftqa.checks.leakage.textual import _context, occurrences, quoted, share, show
from ftqa.finding import Finding
from ftqa.providers.leakage import stable_hash
from ftqa.records import Record

# Candidate separators and stop sequences, in a fixed order: a row's features say which occur
# in it as a bit mask.
PROBES = tuple(dict.fromkeys(SEPARATOR_CANDIDATES + STOP_CANDIDATES))
# (prompt side, completion side, hash of a completion of at most 64 characters, probe bits)
CompletionFeatures = tuple[SideFeatures | None, SideFeatures | None, int | None, int]


class SeparatorRules:
    """Separator rules of `LeakageChecker` (a mixin: the checker holds the state)."""

    def _completion_row(self, record: Record) -> tuple[list[Finding], CompletionFeatures]:
        """A prompt/completion row's findings and the features of its two sides."""
        raw = record.raw
        prompt: str = raw["prompt"]
        completion: str = raw["completion"]
        skip_code = self.options.allow_in_code_blocks
        marker = ending_marker(prompt) if prompt else ""
        prompt_side = side_features(
            prompt,
            marker,
            occurrences(prompt, marker, len(prompt) - len(marker), skip_code),
            occurrences(completion, marker, len(completion), skip_code) if marker else 0,
        )
        stop = ending_marker(completion) if completion else ""
        completion_side = side_features(
            completion, stop, occurrences(completion, stop, len(completion) - len(stop), skip_code)
        )
        short = None if len(completion) > 64 else stable_hash(completion)
        probes = sum(1 << i for i, c in enumerate(PROBES) if c in prompt or c in completion)
        findings = list(self._configured(record, prompt, completion))
        if self.expects_space and completion and not completion[0].isspace():
            findings.append(
                self.finding(
                    "completion-without-leading-space",
                    "the completion does not start with a space; the target tokenizer "
                    "encodes most words with their leading space",
                    record,
                    field="completion",
                    evidence=completion[:40],
                    fix="prepend a space to the completion",
                )
            )
        return findings, (prompt_side, completion_side, short, probes)

    def _remember_completion(self, row_index: int, features: CompletionFeatures) -> None:
        prompt_side, completion_side, short, probes = features
        self._probes.difference_update(c for i, c in enumerate(PROBES) if probes >> i & 1)
        self._prompts.add(row_index, prompt_side)
        self._completions.add(row_index, completion_side)
        if short is None:
            self._long_completions += 1
        elif len(self._completion_hashes) <= CLASSIFICATION_LIMIT:
            self._completion_hashes.add(short)

    def _configured(self, record: Record, prompt: str, completion: str) -> Iterator[Finding]:
        separator, stop = self.options.separator, self.options.stop_sequence
        if separator is not None and prompt:
            if not prompt.endswith(separator):
                yield self._missing(record, "prompt", separator, "the configured separator")
            for side, text in (("prompt", prompt), ("completion", completion)):
                yield from self._inside(record, side, text, separator, "separator-in-text")
        if stop is not None and completion:
            if not completion.endswith(stop):
                yield self._missing(record, "completion", stop, "the configured stop sequence")
            yield from self._inside(
                record, "completion", completion, stop, "stop-sequence-in-completion"
            )

    def _missing(self, record: Record, side: str, value: str, what: str) -> Finding:
        slug = "missing-separator" if side == "prompt" else "missing-stop-sequence"
        text = record.raw[side]
        return self.finding(
            slug,
            f"the {side} does not end with {what} {show(value)}",
            record,
            field=side,
            evidence=text[-40:],
            fix=f"append {quoted(value)} to the {side}",
            fix_values=[value],
        )

    def _inside(
        self, record: Record, side: str, text: str, value: str, slug: str
    ) -> Iterator[Finding]:
        own_end = text.endswith(value) and (side == "prompt") == (slug == "separator-in-text")
        stop = len(text) - len(value) if own_end else len(text)
        count = occurrences(text, value, stop, self.options.allow_in_code_blocks)
        if count:
            yield self._inside_finding(record, side, text, value, slug, count)

    def _inside_finding(
        self, record: Record | None, side: str, text: str | None, value: str, slug: str, count: int
    ) -> Finding:
        what = "separator" if slug == "separator-in-text" else "stop sequence"
        if slug != "separator-in-text":
            consequence = "generation would stop there"
        elif side == "prompt":
            consequence = "the model cannot tell where the prompt ends"
        else:
            consequence = "the model learns to write the separator itself"
        times = "once" if count == 1 else f"{count} times"
        evidence = None
        if text is not None:
            position = text.find(value)
            evidence = _context(text, position, position + len(value))
        return self.finding(
            slug,
            f"the {what} {show(value)} occurs {times} inside the {side}; {consequence}",
            record,
            field=side,
            evidence=evidence,
            fix=None,
        )

    def _checks_side(self, endings: _Endings, configured: str | None) -> bool:
        if configured is not None:
            return endings.n > 0
        return endings.n >= self.options.separator_min_rows

    def _classification(self) -> bool:
        """Few distinct short completions: labels, which need no stop sequence (OpenAI)."""
        distinct = len(self._completion_hashes) + self._long_completions
        rows = self._completions.n
        return distinct <= CLASSIFICATION_LIMIT and distinct * CLASSIFICATION_RATIO < rows

    def _detection(self, side: str) -> Detection:
        endings = self._prompts if side == "prompt" else self._completions
        configured = self.options.separator if side == "prompt" else self.options.stop_sequence
        if configured is not None:
            return Detection([(configured, endings.n)], "configured", endings.n)
        options = self.options
        return detect(
            endings,
            options.separator_min_share,
            options.separator_variant_min_share,
            options.whitespace_separator_min_share,
        )

    def _finish_side(self, endings: _Endings, side: str) -> Iterator[Finding]:
        detection = self._detection(side)
        if not detection.values:
            yield self._none_found(side)
            return
        full = full_value(detection, endings)
        # A template token (`<|endoftext|>`) is one token for the tokenizers that know it.
        known_token = self.vocabulary.tokens.get(full)
        if len(full) > self.options.max_separator_chars and known_token is None:
            yield self._long(side, full)
        if detection.source == "configured":
            return
        yield from self._classify_rows(endings, side, detection, full)

    def _classify_rows(
        self, endings: _Endings, side: str, detection: Detection, full: str
    ) -> Iterator[Finding]:
        values = [value for value, _ in detection.values]
        owner = [
            next((i for i, value in enumerate(values) if text.endswith(value)), -1)
            for text in endings.texts
        ]
        total, primary_rows = detection.rows, detection.values[0][1]
        exact = full == values[0]  # inner counts are of the row's own ending, not of `full`
        for position, row_index in enumerate(endings.rows):
            marker = endings.marker[position]
            if marker == -1:
                continue
            which = owner[marker] if marker >= 0 else -3
            if which == -1 and detection.source != "common-suffix":
                yield self._detected_missing(
                    side, row_index, full, primary_rows, total, endings.texts[marker]
                )
            elif which > 0:
                yield self._variant(side, row_index, values[which], full, primary_rows, total)
            if which >= 0 and (exact or which > 0) and endings.texts[marker] == values[which]:
                yield from self._detected_inside(endings, side, position, row_index, values[which])

    def _detected_missing(
        self, side: str, row_index: int, value: str, rows: int, total: int, ending: str
    ) -> Finding:
        what = "separator" if side == "prompt" else "stop sequence"
        slug = "missing-separator" if side == "prompt" else "missing-stop-sequence"
        return self.finding(
            slug,
            f"the {side} does not end with the {what} {show(value)} that "
            f"{share(rows, total)} {side}s end with",
            field=side,
            evidence=ending or None,
            fix=f"append {quoted(value)} to the {side}",
            fix_values=[value],
            **self._locate(row_index),
        )

    def _variant(
        self, side: str, row_index: int, value: str, primary: str, rows: int, total: int
    ) -> Finding:
        slug = "multiple-separators" if side == "prompt" else "multiple-stop-sequences"
        return self.finding(
            slug,
            f"the {side} ends with {show(value)}, while {share(rows, total)} {side}s end with "
            f"{show(primary)}",
            field=side,
            evidence=value,
            fix=f"replace the ending {quoted(value)} with {quoted(primary)}",
            fix_values=[value, primary],
            **self._locate(row_index),
        )

    def _detected_inside(
        self, endings: _Endings, side: str, position: int, row_index: int, value: str
    ) -> Iterator[Finding]:
        slug = "separator-in-text" if side == "prompt" else "stop-sequence-in-completion"
        if side == "prompt" and not value.strip():
            return  # a newline "separator" inside a multi-line prompt is just a line break
        checks = [(side, endings.inner[position])]
        if side == "prompt":
            checks.append(("completion", endings.other[position]))
        for where, count in checks:
            if count:
                finding = self._inside_finding(None, where, None, value, slug, count)
                yield finding.model_copy(update=self._locate(row_index))

    def _long(self, side: str, value: str) -> Finding:
        what = "separator" if side == "prompt" else "stop sequence"
        return self.finding(
            "long-separator",
            f"the {what} {show(value)} is {len(value)} characters long; a short one "
            f"(at most {self.options.max_separator_chars}) marks the boundary as well and costs "
            "fewer tokens in every example",
            file=self._file_names[0] if self._file_names else None,
            field=side,
            evidence=value,
        )

    def _suggestion(self, side: str) -> str | None:
        candidates = SEPARATOR_CANDIDATES if side == "prompt" else STOP_CANDIDATES
        for candidate in candidates:
            if candidate == " ->" and self._prompts.newline:
                continue  # OpenAI's rule: not after prompts that contain newlines
            if candidate in self._probes:
                return candidate
        return None

    def _none_found(self, side: str) -> Finding:
        suggestion = self._suggestion(side)
        what, rule = (
            ("separator", "missing-shared-separator")
            if side == "prompt"
            else ("stop sequence", "missing-shared-stop-sequence")
        )
        reason = (
            "nothing marks where a prompt ends"
            if side == "prompt"
            else "nothing teaches the model where to stop"
        )
        fix = (
            f"end every {side} with {quoted(suggestion)}, which occurs in no prompt or completion"
            if suggestion is not None
            else f"choose a {what} that occurs in no prompt or completion"
        )
        return self.finding(
            rule,
            f"the {side}s share no {what}: {reason} (fine when your trainer applies a chat "
            "template or adds the EOS token)",
            file=self._file_names[0] if self._file_names else None,
            fix=fix,
        )

    def _side_stats(self, endings: _Endings, side: str) -> dict[str, Any]:
        if side == "completion" and self._classification():
            return {
                "checked": False,
                "reason": "classification-like completions",
                "rows": endings.n,
            }
        detection = self._detection(side)
        full = full_value(detection, endings) if detection.values else None
        distribution = {text: n for text, n in endings.distribution().items() if text}
        top = sorted(distribution.items(), key=lambda item: (-item[1], item[0]))[:10]
        return {
            "value": full,
            "source": detection.source,
            "rows": detection.rows,
            "rows_with": detection.covered or (detection.rows if detection.values else 0),
            "in_use": dict(detection.values),
            "common_suffix": endings.common or "",
            "endings": dict(top),
            "suggested": self._suggestion(side),
        }
