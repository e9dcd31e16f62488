"""The `leakage` checker: template text that leaks into the training text.

Prompt/completion data: the separator that should end every prompt and the stop sequence that
should end every completion (detected from the data when not configured), missing, mixed,
occurring inside the text, too long, or absent altogether (with a suggestion that provably occurs
nowhere in the data). Every format: control tokens of well-known chat templates inside content
(errors when they are special tokens of the target model), role labels that begin content or
start another turn inside a response, rows that deviate from the dominant system prompt or prompt
scaffold, and whitespace hygiene (untrimmed content, mixed line endings).

Performance: every message's text goes once through ONE combined matcher of all tokens and turn
labels (an Aho-Corasick automaton from `ahocorasick-rs` when installed, else one compiled regular
expression); nothing loops over tokens per row. Per-row work is a pure function of the row and
the options; dataset-wide findings come from small per-row features (hashes, ending ids, counts)
joined in `finish`.

Modules: `options` (rules, options), `families` and `vocabulary` (the tokens looked for and the
combined matcher), `textual` and `endings` (pure helpers), one module per rule family (`rows`,
`separators`, `consistency`, `stop_tokens`), `fixes`, and `checker` (the class that joins them).
"""

from ftqa.checks.leakage.checker import LeakageChecker
from ftqa.checks.leakage.endings import ending_marker
from ftqa.checks.leakage.options import RULES, LeakageOptions
from ftqa.template_tokens.families import families, families_for_model
from ftqa.template_tokens.vocabulary import Matcher, Vocabulary, literal_prefix

__all__ = [
    "RULES",
    "LeakageChecker",
    "LeakageOptions",
    "Matcher",
    "Vocabulary",
    "ending_marker",
    "families",
    "families_for_model",
    "literal_prefix",
]
