"""The `token_length` checker: examples over the target model's limit, length outliers, and
the token totals behind the cost estimate and hyperparameter advice.

Each row is tokenized once with the target model's tokenizer (`ftqa.tokens`: verified tiktoken
vocabularies, offline). The counts are shared with later checkers through
`record.cache["tokens"]`, a dict:

    {
        "model": str,            # profile name
        "exact": bool,           # False when counts are an estimate (no verified vocabulary,
                                 # or another model's tokenizer for an unknown model)
        "total": int,            # tokens of the example as the model sees it, chat overhead
                                 # included (preference pairs: prompt plus the longer response)
        "trainable": int,        # tokens the model is trained to write: assistant turns with
                                 # weight != 0, the completion, the longer preference response,
                                 # the classification label
        "prompt": int,           # total - trainable
        "per_message": [int],    # content + tool-call tokens of each of record.messages
        "chosen": int | None,    # preference pairs: content tokens of each response, else None
        "rejected": int | None,
        "tools": int,            # tokens of the declared tool definitions (0 when none)
    }

and `record.measures` gets `tokens_total`, `tokens_trainable` and `tokens_prompt`. Only small
per-row integers are kept for the dataset-wide statistics, outliers and the cost estimate.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator

from ftqa.checker import CheckContext, Checker, Options, Rule
from ftqa.checks.token_length.counting import (
    RowCounter,
    RowCounts,
    declared_tools,
    only_special,
    over_limit_message,
    trainable_kept,
)
from ftqa.checks.token_length.options import TokenLengthOptions
from ftqa.checks.token_length.report import TokenReport
from ftqa.checks.token_length.target import Refusals, resolve_target
from ftqa.checks.token_length.template_counting import TemplateError, count_with_template
from ftqa.finding import Finding, Severity
from ftqa.records import Message, Record
from ftqa.tokens import Profile
from ftqa.tokens.stats import iqr_fences, percentile

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

TOKENS_KEY = "tokens"

# Format problems that already explain why a row has nothing to train on.
EXPLAINED = frozenset({"nothing-to-learn", "missing-assistant-message", "empty-content"})
# Rows sampled to scale counts to profiles with another tokenizer (for the cost range).
# The other tokenizers count these sampled rows once, at the end (bounded: at most SAMPLE_MAX
# rows and about SAMPLE_TOKENS tokens of text are kept).
SAMPLE_ALL = 200  # the first rows of each file, then every SAMPLE_EVERY-th
SAMPLE_EVERY = 100
SAMPLE_MAX = 1000
SAMPLE_TOKENS = 1_000_000


RULES = (
    Rule("over-token-limit", E, "An example longer than the target model accepts.", "display"),
    Rule("near-token-limit", INFO, "An example within 10% of the target model's limit."),
    Rule("no-trainable-tokens", E, "An example with no trainable token within the limit."),
    Rule("length-outlier", INFO, "An example far longer or shorter than the rest (IQR)."),
    Rule(
        "completion-empty-after-tokenization",
        E,
        "A reply whose text yields no content tokens (only special tokens, or none at all).",
    ),
    Rule(
        "estimated-token-counts",
        W,
        "Counts made with another model's tokenizer: ftqa cannot tokenize for the target model.",
    ),
    Rule("template-rejects-example", E, "An example the target model's chat template refuses."),
)


class TokenLengthChecker(TokenReport, Checker):
    id = "token_length"
    summary = "Examples over the target model's token limit, length outliers, token totals."
    rules = RULES
    Options = TokenLengthOptions
    version = "1"
    order = 20

    options: TokenLengthOptions

    def __init__(self, options: Options, context: CheckContext) -> None:
        super().__init__(options, context)
        self._profile: Profile | None = None
        self._estimated: str | None = None
        self._refusals = Refusals()
        self._counter: RowCounter | None = None
        self._others: list[tuple[Profile, RowCounter]] | None = None
        self._files: dict[str, int] = {}
        self._file_names: list[str] = []
        # Per training row: token counts and where the row is (file index, row, line).
        self._total = array("q")
        self._trainable = array("q")
        self._where_file = array("l")
        self._where_row = array("q")
        self._where_line = array("q")
        self._validation_rows = 0
        self._validation_tokens = 0
        self._over = 0
        self._near = 0
        self._outliers = 0
        self._fences: tuple[float, float, float, float] | None = None
        # Sampled rows: target total and each other profile's total, for the cost range.
        self._sample_target = 0
        self._sample_other: dict[str, int] | None = None
        self._sample: list[Record] = []
        self._sampled = 0
        self._special_starts: frozenset[str] | None = None
        self._near_from: float | None = None  # totals from here on get limit findings

    # -- profile -------------------------------------------------------------------------

    @property
    def profile(self) -> Profile:
        if self._profile is None:
            self._profile, self._estimated = resolve_target(
                self.context.model, self.options.model, self.options.profiles, self.options.prices
            )
        return self._profile

    @property
    def limit(self) -> int | None:
        if self.options.max_tokens is not None:
            return self.options.max_tokens
        return self.profile.max_tokens

    def _limit_name(self, limit: int) -> str:
        if self.options.max_tokens is not None:
            return f"{limit:,}-token limit (token_length max-tokens)"
        return f"{limit:,}-token limit of {self.profile.name}"

    def _target(self) -> RowCounter:
        if self._counter is None:
            self._counter = RowCounter(self.profile)
            limit = self.limit
            if limit is not None:
                self._near_from = limit * (1 - self.options.near_limit_fraction)
        return self._counter

    def check_record(self, record: Record) -> Iterable[Finding]:
        if record.format is None or record.split == "reference":
            return ()
        counter = self._counter or self._target()
        counts = self._count(record, counter)
        total = counts.total
        trainable = counts.trainable
        prompt = total - trainable
        record.cache[TOKENS_KEY] = {
            "model": counter.name,
            "exact": counter.exact and self._estimated is None,
            "total": total,
            "trainable": trainable,
            "prompt": prompt,
            "per_message": counts.per_message,
            "chosen": counts.chosen,
            "rejected": counts.rejected,
            "tools": counts.tools,
        }
        measures = record.measures
        measures["tokens_total"] = total
        measures["tokens_trainable"] = trainable
        measures["tokens_prompt"] = prompt
        if record.split == "train":
            self._keep(record, counts)
        else:
            self._validation_rows += 1
            self._validation_tokens += total
        empty = self._empty_reply(record, counts)
        near = self._near_from
        if empty is None and trainable and (near is None or total < near):
            return ()  # the common case: nothing to report
        findings = list(self._limit_findings(record, counts, explained=empty is not None))
        if empty is not None:
            findings.append(empty)
        return findings

    def _count(self, record: Record, counter: RowCounter) -> RowCounts:
        if self.profile.model_path is None:
            return counter.row(record)
        self._refusals.saw(record)
        try:
            return count_with_template(self.profile.local_model, record)
        except TemplateError as error:
            self._refusals.add(record, str(error))
            return counter.row(record)  # its content alone, for the totals

    def _keep(self, record: Record, counts: RowCounts) -> None:
        index = self._files.get(record.file)
        if index is None:
            index = self._files[record.file] = len(self._file_names)
            self._file_names.append(record.file)
        self._total.append(counts.total)
        self._trainable.append(counts.trainable)
        self._where_file.append(index)
        self._where_row.append(record.row)
        self._where_line.append(record.line if record.line is not None else -1)
        sampled = record.row < SAMPLE_ALL or record.row % SAMPLE_EVERY == 0
        if sampled and self._sampled < SAMPLE_MAX and self._sample_target < SAMPLE_TOKENS:
            self._sampled += 1
            self._sample_target += counts.total
            self._sample.append(
                Record(
                    file=record.file,
                    row=record.row,
                    line=record.line,
                    raw=declared_tools(record.raw),
                    format=record.format,
                    messages=record.messages,
                    chosen=record.chosen,
                    rejected=record.rejected,
                    text=record.text,
                    label=record.label,
                )
            )

    def _limit_findings(
        self, record: Record, counts: RowCounts, explained: bool
    ) -> Iterator[Finding]:
        limit = self.limit
        kept = counts.trainable
        if limit is not None and counts.total > limit:
            self._over += 1
            kept = trainable_kept(counts.segments, limit, self.options.truncation)
            yield self._over_limit(record, counts, limit, kept)
        elif limit is not None and counts.total >= limit * (1 - self.options.near_limit_fraction):
            self._near += 1
            room = limit - counts.total
            position = f"{room:,} below the" if room else "exactly at the"
            yield self.finding(
                "near-token-limit",
                f"{counts.total:,} tokens, {position} {self._limit_name(limit)}: a small "
                "edit, a longer system prompt or another tokenizer version will push it over",
                record,
            )
        if kept == 0:
            if counts.trainable > 0:
                yield self.finding(
                    "no-trainable-tokens",
                    f"all {counts.trainable:,} trainable tokens lie beyond the "
                    f"{self._limit_name(limit)} when the example is cut from the "
                    f"{self.options.truncation}: it would teach "
                    "nothing and still be billed",
                    record,
                    fix="shorten the prompt so the reply fits, or split the example",
                )
            elif not (
                explained
                or record.tabular
                or any(problem.rule in EXPLAINED for problem in record.problems)
            ):
                yield self.finding(
                    "no-trainable-tokens",
                    "the example has no trainable token (no assistant turn with weight other "
                    "than 0 has any content): it teaches nothing and is still billed",
                    record,
                )

    def _over_limit(self, record: Record, counts: RowCounts, limit: int, kept: int) -> Finding:
        message, first = over_limit_message(
            counts, limit, self._limit_name(limit), self.options.truncation == "end", kept
        )
        return self.finding(
            "over-token-limit",
            message,
            record,
            field=first,
            fix=f"shorten or split the example to at most {limit:,} tokens",
        )

    def _empty_reply(self, record: Record, counts: RowCounts) -> Finding | None:
        """A trainable turn with text but no content tokens once tokenized."""
        if record.format == "classification":
            return None
        specials = self.profile.special_tokens
        starts = self._special_starts
        if starts is None:
            starts = self._special_starts = frozenset(token[:1] for token in specials)
        candidates: list[tuple[Message, int]] = []
        if record.chosen is None and record.rejected is None:
            for message, tokens in zip(record.messages, counts.per_message, strict=False):
                text = message.content
                if (
                    text
                    and message.role == "assistant"
                    and message.weight != 0
                    and (tokens == 0 or text.lstrip()[:1] in starts)
                ):
                    candidates.append((message, tokens))
        else:
            for message in (*(record.chosen or ()), *(record.rejected or ())):
                text = message.content
                if text and message.role == "assistant" and text.lstrip()[:1] in starts:
                    candidates.append((message, -1))
        for message, tokens in candidates:
            text = message.content
            if not text.strip():
                continue  # empty as written: format/empty-content
            if tokens == 0 or (specials and only_special(text, specials)):
                what = "no tokens at all" if tokens == 0 else "only special tokens"
                return self.finding(
                    "completion-empty-after-tokenization",
                    f"the reply's text yields {what} under {self.profile.name}'s tokenizer: "
                    "a trainer treats it as an empty reply (or as control tokens)",
                    record,
                    field=message.field,
                    evidence=text,
                )
        return None

    # -- dataset-wide --------------------------------------------------------------------

    def _refusal_findings(self) -> Iterator[Finding]:
        for file, line, row, message in self._refusals.messages(self.profile.name):
            yield self.finding("template-rejects-example", message, file=file, line=line, row=row)

    def finish(self) -> Iterator[Finding]:
        if self._estimated is not None:
            yield self.finding(
                "estimated-token-counts",
                f"ftqa has no profile or local tokenizer for {self.profile.name}: every count "
                f"is an estimate made with {self._estimated}; pass --model with the model's "
                "folder for exact counts, its chat template and its context limit",
                file=self.context.files[0] if self.context.files else None,
            )
        yield from self._refusal_findings()
        n = len(self._total)
        if n < self.options.outlier_min_rows:
            return
        ordered = sorted(self._total)
        fences = iqr_fences(ordered, self.options.outlier_iqr_factor)
        self._fences = fences
        q1, q3, lower, upper = fences
        median = percentile(ordered, 50)
        factor = self.options.outlier_iqr_factor
        for index, total in enumerate(self._total):
            if total > upper:
                side = f"above the upper fence {upper:,.0f} (Q3 {q3:,.0f} + {factor:g} × IQR)"
            elif total < lower:
                side = f"below the lower fence {lower:,.0f} (Q1 {q1:,.0f} − {factor:g} × IQR)"
            else:
                continue
            self._outliers += 1
            line = self._where_line[index]
            yield self.finding(
                "length-outlier",
                f"{total:,} tokens, {side}; the median example has {median:,.0f}",
                file=self._file_names[self._where_file[index]],
                line=line if line >= 0 else None,
                row=self._where_row[index],
            )
