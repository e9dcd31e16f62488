"""A template token that ends (nearly) every reply is the dataset's stop sequence.

GPT-3-era and many instruction datasets end every completion with `<|endoftext|>`, `</s>` or
`<|im_end|>` on purpose: it is how they mark where a reply stops. Reporting it in every row as a
leaked token buries the report and says the wrong thing. So a token found at the very end of a
reply is held back (a few integers per row); when the same token ends at least
`stop-token-min-share` of the rows with a reply, the checker reports ONE finding for the dataset
(`stop-token-in-text`) that says what the token means for the target tokenizer: a special token
that tokenizer reads as its control token, or plain text the model would learn to write. Held
tokens of rows below that share are reported per row as leaked tokens, as before.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterator
from typing import Any

from ftqa.checks.leakage.endings import _RowState
from ftqa.checks.leakage.textual import (
    _context,
    content_field,
    masked,
    quoted,
    share,
    show,
    where,
)
from ftqa.finding import Finding
from ftqa.records import Message, Record

Hit = tuple[int, int, str]
EVIDENCE_KEPT = 10000  # held rows whose evidence text is kept (the report lists fewer)


class StopTokenState:
    """Per-row features of reply-ending tokens: row, token id, field id and count per row."""

    def __init__(self) -> None:
        self.reply_rows = 0
        self.rows_ending: Counter[int] = Counter()  # token id -> rows with a reply ending in it
        self.tokens: dict[str, int] = {}
        self.token_names: list[str] = []
        self.places: dict[tuple[str, str], int] = {}
        self.place_names: list[tuple[str, str]] = []
        self.rows = array("q")
        self.token = array("i")
        self.place = array("i")
        self.count = array("i")
        self.evidence: list[str] = []

    def intern_token(self, token: str) -> int:
        found = self.tokens.get(token)
        if found is None:
            found = self.tokens[token] = len(self.token_names)
            self.token_names.append(token)
        return found

    def intern_place(self, field: str, place: str) -> int:
        key = (field, place)
        found = self.places.get(key)
        if found is None:
            found = self.places[key] = len(self.place_names)
            self.place_names.append(key)
        return found


class StopTokenRules:
    """The `stop-token-in-text` rule of `LeakageChecker` (a mixin: the checker holds the state
    in `self._stop`)."""

    def _hold_ending(
        self, record: Record, message: Message, text: str, hits: list[Hit], state: _RowState
    ) -> list[Hit]:
        """`hits` without a token that ends this reply, which is remembered instead (unless the
        reply has other tokens too: then the row is reported anyway, with all of them)."""
        last = hits[-1]
        vocabulary = self.vocabulary
        if last[1] != len(text.rstrip()) or vocabulary.info(last[2]).kind != "token":
            return hits
        token = last[2]
        if not state.endings or state.endings[-1] != token:
            state.endings.append(token)
        if any(vocabulary.info(hit[2]).kind != "label" for hit in hits[:-1]):
            return hits
        if state.held and state.held[-1][0] == token:
            state.held[-1][3] += 1
        else:
            field = content_field(record.raw, message.field)
            evidence = masked(_context(text, last[0], last[1]))
            state.held.append([token, masked(field), masked(where(message)), 1, evidence])
        state.token_counts[token] += 1
        return hits[:-1]

    def _remember_stop_tokens(
        self, row_index: int, reply: bool, endings: list[str], held: list[list[Any]]
    ) -> None:
        """Fold one row's reply-ending tokens into `self._stop`."""
        stop = self._stop
        stop.reply_rows += reply
        for token in endings:
            stop.rows_ending[stop.intern_token(token)] += 1
        for token, field, place, count, evidence in held:
            stop.rows.append(row_index)
            stop.token.append(stop.intern_token(token))
            stop.place.append(stop.intern_place(field, place))
            stop.count.append(count)
            if len(stop.evidence) < EVIDENCE_KEPT:
                stop.evidence.append(evidence)

    def _finish_stop_tokens(self) -> Iterator[Finding]:
        stop = self._stop
        rows_per_token = stop.rows_ending
        total = stop.reply_rows
        options = self.options
        stops = {
            token
            for token, rows in rows_per_token.items()
            if rows >= options.separator_min_rows and rows >= options.stop_token_min_share * total
        }
        for token in sorted(stops):
            yield self._stop_token_finding(stop.token_names[token], rows_per_token[token], total)
        for position, row_index in enumerate(stop.rows):
            if stop.token[position] not in stops:
                yield self._held_token_finding(position, row_index)

    def _stop_token_finding(self, token: str, rows: int, total: int) -> Finding:
        vocabulary = self.vocabulary
        info = vocabulary.info(token)
        model = vocabulary.target.model
        head = (
            f"{show(token)} ends {share(rows, total)} replies: it is the dataset's stop "
            "sequence, written into the text"
        )
        if vocabulary.is_special(token, info):
            meaning = (
                f"; it is a special token of {model or 'the target model'}: a tokenizer that "
                "parses special tokens in text reads it as its end-of-text token, so the model "
                "learns to stop, but a trainer or chat template that appends that token itself "
                "trains it twice, and a provider that reads text as plain text rejects or splits it"
            )
        elif model:
            meaning = (
                f"; for {model} it is plain text, not a special token: the model learns to write "
                f"these {len(token)} characters at the end of every reply instead of stopping"
            )
        else:
            titles = vocabulary.titles(info)
            meaning = (
                f" ({titles}); the target tokenizer decides what it means: its own end token "
                "teaches the model to stop, plain text teaches it to write these characters "
                "(pass --model to judge it)"
            )
        return self.finding(
            "stop-token-in-text",
            head + meaning,
            file=self._file_names[0] if self._file_names else None,
            evidence=token,
            fix=f"remove {quoted(token)} from the replies and let the chat template or trainer "
            "add the model's end-of-sequence token (or stop on it at inference)",
        )

    def _held_token_finding(self, position: int, row_index: int) -> Finding:
        stop = self._stop
        token = stop.token_names[stop.token[position]]
        field, place = stop.place_names[stop.place[position]]
        count = stop.count[position]
        info = self.vocabulary.info(token)
        slug = (
            "leaked-special-token"
            if self.vocabulary.is_special(token, info)
            else "leaked-template-token"
        )
        shown = show(token) + (f" ×{count}" if count > 1 else "")
        if slug == "leaked-special-token":
            model = self.vocabulary.target.model or "the target model"
            message = (
                f"{shown} in {place} is a special token of {model}: its tokenizer reads it as a "
                "control token, and providers reject such files"
            )
        else:
            hint = "" if self.vocabulary.target.model else "; pass --model to judge it exactly"
            message = f"{shown} ({self.vocabulary.titles(info)}) in {place}{hint}"
        evidence = stop.evidence[position] if position < len(stop.evidence) else token
        return self.finding(
            slug,
            message,
            field=field,
            evidence=evidence,
            fix=f"delete {quoted(token)} from the text",
            fix_values=[token],
            **self._locate(row_index),
        )
