"""The `token_length` checker: examples over the target model's limit, length outliers, and
the token totals behind the cost estimate and hyperparameter advice.

Each row is tokenized once with the target model's tokenizer through the `TOKENS` provider
(`ftqa.providers.tokens`: verified tiktoken vocabularies, offline), whose counts `balance` and
`constraints` share. `map` reports the row's own findings and puts `tokens_total`,
`tokens_trainable` and `tokens_prompt` in the row's measures; its features are small integers
(`TokenFeatures`) from which `reduce` keeps per-row totals in arrays for the dataset-wide
statistics, outliers and the cost estimate.

Other tokenizers' totals (for the cost range) are counted in `map` on rows that may be sampled
(the rows on a file's first SAMPLE_ALL lines, then on every SAMPLE_EVERY-th line, at most
SAMPLE_MAX per file; by line, which every executor knows exactly, where a chunk's rows are only
numbered once the chunks before it are counted; by row for Parquet and in-memory rows);
`reduce` keeps those of the first SAMPLE_MAX sampled rows of the run, in row order, until about
SAMPLE_TOKENS target tokens.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from typing import Any

from ftqa.checker import CheckContext, Checker, Options, Rule
from ftqa.checks.token_length.options import TokenLengthOptions
from ftqa.checks.token_length.report import TokenReport, other_counters
from ftqa.checks.token_length.target import Refusals
from ftqa.columns import IntColumn
from ftqa.finding import Finding, Severity
from ftqa.outbound import outbound
from ftqa.providers import Provided
from ftqa.providers.tokens import TOKENS, RowTokens, TokenTarget, token_target
from ftqa.records import Message, Record
from ftqa.rowresult import RowKey, RowResult
from ftqa.tokens import Profile
from ftqa.tokens.rows import RowCounts, only_special, over_limit_message, trainable_kept
from ftqa.tokens.stats import iqr_fences, percentile
from ftqa.tokens.target import resolve_target

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

# Format problems that already explain why a row has nothing to train on.
EXPLAINED = frozenset({"nothing-to-learn", "missing-assistant-message", "empty-content"})
# Rows sampled to scale counts to profiles with another tokenizer (for the cost range).
SAMPLE_ALL = 200  # the first rows of each file, then every SAMPLE_EVERY-th
SAMPLE_EVERY = 100
SAMPLE_MAX = 1000
SAMPLE_TOKENS = 1_000_000
# A file's rows past this one are never among its first SAMPLE_MAX sampled rows.
SAMPLE_LAST_ROW = SAMPLE_ALL + SAMPLE_EVERY * (SAMPLE_MAX - SAMPLE_ALL)

OVER, NEAR = 1, 2  # the limit status of a row in its features

# Features of one row: (total, trainable, limit status, other tokenizers' totals by profile
# name when the row may be sampled, the chat template's refusal when it refused the row).
TokenFeatures = tuple[int, int, int, "dict[str, int] | None", "str | None"]


RULES = (
    Rule("over-token-limit", E, "An example longer than the target model accepts.", "display"),
    Rule("near-token-limit", INFO, "An example within 10% of the target model's limit."),
    Rule(
        "nothing-to-train",
        E,
        "An example with no trainable token within the limit.",
        aliases=("no-trainable-tokens",),
    ),
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


def may_be_sampled(record: Record) -> bool:
    place = record.line - 1 if record.line is not None else record.row
    return place < SAMPLE_ALL or (place % SAMPLE_EVERY == 0 and place < SAMPLE_LAST_ROW)


class TokenLengthChecker(TokenReport, Checker):
    id = "token_length"
    summary = "Examples over the target model's token limit, length outliers, token totals."
    rules = RULES
    Options = TokenLengthOptions
    version = "2"
    needs = (TOKENS,)
    pure_map = True

    options: TokenLengthOptions

    def __init__(self, options: Options, context: CheckContext) -> None:
        super().__init__(options, context)
        self._profile: Profile | None = None
        self._estimated: str | None = None
        self._refusals = Refusals()
        self._files: dict[str, int] = {}
        self._file_names: list[str] = []
        # Per training row: token counts and where the row is (file index, row, line).
        self._total = IntColumn()
        self._trainable = IntColumn()
        self._where_file = IntColumn()
        self._where_row = IntColumn()
        self._where_line = IntColumn()
        self._validation_rows = 0
        self._validation_tokens = 0
        self._over = 0
        self._near = 0
        self._outliers = 0
        self._fences: tuple[float, float, float, float] | None = None
        # Sampled rows: target total and each other profile's total, for the cost range.
        self._sample_target = 0
        self._sample_other: dict[str, int] = {}
        self._sampled = 0

    # -- profile -------------------------------------------------------------------------

    @property
    def profile(self) -> Profile:
        if self._profile is None:
            self._profile, self._estimated = resolve_target(
                self.context.model, self.options.model, self.options.profiles, self.options.prices
            )
        return self._profile

    def _limit(self, profile: Profile) -> int | None:
        if self.options.max_tokens is not None:
            return self.options.max_tokens
        return profile.max_tokens

    @property
    def limit(self) -> int | None:
        return self._limit(self.profile)

    def _limit_name(self, limit: int, profile: Profile) -> str:
        if self.options.max_tokens is not None:
            return f"{limit:,}-token limit (token_length max-tokens)"
        return f"{limit:,}-token limit of {profile.name}"

    # -- per row ---------------------------------------------------------------------------

    def map(self, record: Record, provided: Provided) -> RowResult | None:
        if record.format is None or record.split == "reference":
            return None
        tokens: RowTokens | None = provided(TOKENS)
        if tokens is None:
            return None
        target = token_target(provided.run)
        counts = tokens.counts
        total = counts.total
        trainable = counts.trainable
        measures = {
            "tokens_total": total,
            "tokens_trainable": trainable,
            "tokens_prompt": total - trainable,
        }
        others = None
        if record.split == "train" and may_be_sampled(record):
            counters = provided.run.once(
                "token_length.other_counters", lambda: other_counters(target.profile)
            )
            others = {profile.name: counter.row(record).total for profile, counter in counters}
        refused = outbound(tokens.refused) if tokens.refused is not None else None
        limit = self._limit(target.profile)
        status = 0
        findings: list[Finding] = []
        empty = self._empty_reply(record, counts, target)
        near_from = None if limit is None else limit * (1 - self.options.near_limit_fraction)
        if empty is not None or not trainable or (near_from is not None and total >= near_from):
            status = self._limit_findings(
                record, counts, limit, target.profile, empty is not None, findings
            )
            if empty is not None:
                findings.append(empty)
        features: TokenFeatures = (total, trainable, status, others, refused)
        return RowResult(findings, features, measures)

    def cache_variant(self, record: Record) -> Hashable | None:
        """Whether the row is one the cost range may sample: that depends on its place."""
        return record.split == "train" and may_be_sampled(record)

    def reduce(self, key: RowKey, features: Any) -> None:
        total, trainable, status, others, refused = features
        if self.profile.model_path is not None:
            self._refusals.saw(key.file)
            if refused is not None:
                self._refusals.add(key.file, key.row, key.line, refused)
        if status == OVER:
            self._over += 1
        elif status == NEAR:
            self._near += 1
        if key.split != "train":
            self._validation_rows += 1
            self._validation_tokens += total
            return
        index = self._files.get(key.file)
        if index is None:
            index = self._files[key.file] = len(self._file_names)
            self._file_names.append(key.file)
        self._total.append(total)
        self._trainable.append(trainable)
        self._where_file.append(index)
        self._where_row.append(key.row)
        self._where_line.append(key.line if key.line is not None else -1)
        if (
            others is not None
            and self._sampled < SAMPLE_MAX
            and self._sample_target < SAMPLE_TOKENS
        ):
            self._sampled += 1
            self._sample_target += total
            for name, other in others.items():
                self._sample_other[name] = self._sample_other.get(name, 0) + other

    def _limit_findings(
        self,
        record: Record,
        counts: RowCounts,
        limit: int | None,
        profile: Profile,
        explained: bool,
        out: list[Finding],
    ) -> int:
        """Append the row's limit findings to `out`; return its limit status."""
        status = 0
        kept = counts.trainable
        if limit is not None and counts.total > limit:
            status = OVER
            kept = trainable_kept(counts.segments, limit, self.options.truncation)
            out.append(self._over_limit(record, counts, limit, kept, profile))
        elif limit is not None and counts.total >= limit * (1 - self.options.near_limit_fraction):
            status = NEAR
            room = limit - counts.total
            position = f"{room:,} below the" if room else "exactly at the"
            out.append(
                self.finding(
                    "near-token-limit",
                    f"{counts.total:,} tokens, {position} {self._limit_name(limit, profile)}: a "
                    "small edit, a longer system prompt or another tokenizer version will push "
                    "it over",
                    record,
                )
            )
        if kept == 0:
            if limit is not None and counts.trainable > 0:
                out.append(
                    self.finding(
                        "nothing-to-train",
                        f"all {counts.trainable:,} trainable tokens lie beyond the "
                        f"{self._limit_name(limit, profile)} when the example is cut from the "
                        f"{self.options.truncation}: it would teach nothing and still be billed",
                        record,
                        fix="shorten the prompt so the reply fits, or split the example",
                    )
                )
            elif not (
                explained
                or record.tabular
                or any(problem.rule in EXPLAINED for problem in record.problems)
            ):
                out.append(
                    self.finding(
                        "nothing-to-train",
                        "the example has no trainable token (no assistant turn with weight "
                        "other than 0 has any content): it teaches nothing and is still billed",
                        record,
                    )
                )
        return status

    def _over_limit(
        self, record: Record, counts: RowCounts, limit: int, kept: int, profile: Profile
    ) -> Finding:
        message, first = over_limit_message(
            counts, limit, self._limit_name(limit, profile), self.options.truncation == "end", kept
        )
        return self.finding(
            "over-token-limit",
            message,
            record,
            field=first,
            fix=f"shorten or split the example to at most {limit:,} tokens",
        )

    def _empty_reply(
        self, record: Record, counts: RowCounts, target: TokenTarget
    ) -> Finding | None:
        """A trainable turn with text but no content tokens once tokenized."""
        if record.format == "classification":
            return None
        specials = target.profile.special_tokens
        starts = target.special_starts
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
                    f"the reply's text yields {what} under {target.profile.name}'s tokenizer: "
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
