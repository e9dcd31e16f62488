"""Rules judged on one row: template tokens and role labels inside content, untrimmed content and
mixed line endings."""

from __future__ import annotations

from collections import Counter

from ftqa.checks.leakage.endings import _RowState
from ftqa.checks.leakage.textual import (
    _COLON,
    _context,
    content_field,
    in_code_block,
    quoted,
    show,
    where,
)
from ftqa.finding import Finding
from ftqa.records import Message, Record


class RowRules:
    """Per-row rules of `LeakageChecker` (a mixin: the checker holds the state)."""

    def _scan(
        self,
        record: Record,
        message: Message,
        plain: bool,
        state: _RowState,
        out: list[Finding],
    ) -> None:
        text = message.content
        role = message.role
        hits = self._find(text)
        if hits and role == "assistant":
            kept = self._hold_ending(record, message, text, hits, state)
            state.tokens += len(hits) - len(kept)
            hits = kept
        if hits:
            place = where(message)
            labels = self._tokens(record, text, hits, None, place, state, out, message, plain)
            if labels and role == "assistant":
                self._next_turn(record, message, text, labels, out)
        if self._start is not None and role != "tool" and not (plain and message.field == "prompt"):
            match = self._start(text)
            if match is not None:
                self._start_label(record, message, text, match.group().strip(), out)
        edges = text[0].isspace() or text[-1].isspace()
        if edges and role in self._trim_roles and not text.isspace():
            self._untrimmed_content(record, message, text, plain, out)
        if "\r" in text:
            self._carriage_returns(record, message, text, state, out)
        elif not state.lf and "\n" in text:
            state.lf = True

    def _tokens(
        self,
        record: Record,
        text: str,
        hits: list[tuple[int, int, str]],
        path: str | None,
        place: str,
        state: _RowState,
        out: list[Finding],
        message: Message | None = None,
        plain: bool = False,
    ) -> list[tuple[int, int, str]]:
        """Findings for the tokens among `hits`; returns the turn-label hits."""
        vocabulary = self.vocabulary
        special: list[tuple[int, int, str]] = []
        other: list[tuple[int, int, str]] = []
        labels: list[tuple[int, int, str]] = []
        for hit in hits:
            info = vocabulary.info(hit[2])
            if info.kind == "label":
                labels.append(hit)
            elif info.kind == "separator" and plain:
                continue
            elif vocabulary.is_special(hit[2], info):
                special.append(hit)
            else:
                other.append(hit)
        if special or other:
            state.tokens += len(special) + len(other)
            state.token_counts.update(hit[2] for hit in special + other)
            if message is not None:
                path = content_field(record.raw, message.field)
            for group, slug in (
                (special, "leaked-special-token"),
                (other, "leaked-template-token"),
            ):
                if group:
                    out.append(self._token_finding(record, text, path, place, group, slug))
        return labels

    def _token_finding(
        self,
        record: Record,
        text: str,
        path: str | None,
        place: str,
        hits: list[tuple[int, int, str]],
        slug: str,
    ) -> Finding:
        counts = Counter(hit[2] for hit in hits)
        shown = ", ".join(
            show(token) + (f" ×{count}" if count > 1 else "") for token, count in counts.items()
        )
        first = hits[0]
        if slug == "leaked-special-token":
            model = self.vocabulary.target.model or "the target model"
            message = (
                f"{shown} in {place} is a special token of {model}: its tokenizer reads it as a "
                "control token, and providers reject such files"
            )
        else:
            titles = self.vocabulary.titles(self.vocabulary.info(first[2]))
            hint = "" if self.vocabulary.target.model else "; pass --model to judge it exactly"
            message = f"{shown} ({titles}) in {place}{hint}"
        return self.finding(
            slug,
            message,
            record,
            field=path,
            evidence=_context(text, first[0], first[1]),
            fix="delete " + ", ".join(quoted(token) for token in counts) + " from the text",
            fix_values=list(counts),
        )

    def _next_turn(
        self,
        record: Record,
        message: Message,
        text: str,
        labels: list[tuple[int, int, str]],
        out: list[Finding],
    ) -> None:
        for start, end, _ in labels:
            if _COLON.match(text, end) is None or in_code_block(text, start):
                continue
            label = text[start + 1 : end]
            out.append(
                self.finding(
                    "next-turn-in-response",
                    f"the response goes on into another turn: a line starts with `{label}:`",
                    record,
                    field=content_field(record.raw, message.field),
                    evidence=text[start + 1 : start + 80],
                    fix="cut the response before the next turn, or split the conversation",
                )
            )
            return

    def _start_label(
        self, record: Record, message: Message, text: str, label: str, out: list[Finding]
    ) -> None:
        out.append(
            self.finding(
                "role-label-in-content",
                f"{where(message)} starts with the role label `{label}`; the chat "
                "template adds the roles, so the model learns to write the label",
                record,
                field=content_field(record.raw, message.field),
                evidence=text[:80],
                fix=f"remove the leading `{label}`",
            )
        )

    def _untrimmed_content(
        self, record: Record, message: Message, text: str, plain: bool, out: list[Finding]
    ) -> None:
        if plain and message.field == "completion":
            return  # its edges belong to the leading-space and stop-sequence rules
        leading = len(text) - len(text.lstrip())
        trailing = 0 if plain else len(text) - len(text.rstrip())
        if not leading and not trailing:
            return
        parts = []
        if leading:
            parts.append(f"starts with {show(text[:leading])}")
        if trailing:
            parts.append(f"ends with {show(text[len(text) - trailing :])}")
        out.append(
            self.finding(
                "untrimmed-content",
                f"{where(message)} " + " and ".join(parts),
                record,
                field=content_field(record.raw, message.field),
                evidence=text[:40] if leading else text[-40:],
                fix="strip the leading whitespace" if plain else "strip the whitespace",
            )
        )

    def _carriage_returns(
        self,
        record: Record,
        message: Message,
        text: str,
        state: _RowState,
        out: list[Finding],
    ) -> None:
        crlf = text.count("\r\n")
        lone = text.count("\r") - crlf
        bare = text.count("\n") - crlf
        state.crlf = state.crlf or crlf > 0
        state.lf = state.lf or bare > 0
        if not lone and not (crlf and bare):
            return
        state.mixed = True
        parts = [f"{crlf} `\\r\\n`"] if crlf else []
        parts += [f"{bare} `\\n`"] if bare else []
        parts += [f"{lone} lone `\\r`"] if lone else []
        out.append(
            self.finding(
                "mixed-line-endings",
                f"{where(message)} mixes line endings: " + ", ".join(parts),
                record,
                field=content_field(record.raw, message.field),
                fix="convert every line ending to `\\n`",
            )
        )

    def _scan_text(self, record: Record, state: _RowState, out: list[Finding]) -> None:
        text = record.text or ""
        message = Message("text", text, "text")
        hits = self._find(text)
        if hits:
            self._tokens(record, text, hits, "text", "the text", state, out)
        if not text.isspace() and (text[0].isspace() or text[-1].isspace()):
            self._untrimmed_content(record, message, text, False, out)
        if "\r" in text:
            self._carriage_returns(record, message, text, state, out)
        elif "\n" in text:
            state.lf = True

    def _line_endings(self, record: Record, state: _RowState, out: list[Finding]) -> str | None:
        """The row's line endings when they are all one kind ("crlf" or "lf"); a row that mixes
        them is reported here."""
        if state.mixed:
            return None
        if state.crlf and state.lf:
            out.append(
                self.finding(
                    "mixed-line-endings",
                    "the row's messages mix `\\r\\n` and `\\n` line endings",
                    record,
                    fix="convert every line ending to `\\n`",
                )
            )
            return None
        if state.crlf:
            return "crlf"
        return "lf" if state.lf else None
