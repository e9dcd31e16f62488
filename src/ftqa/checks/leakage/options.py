"""The `leakage` checker's rules, constants and options."""

from __future__ import annotations

from dataclasses import replace

from pydantic import Field, field_validator

from ftqa.checker import Options, Rule
from ftqa.finding import Severity
from ftqa.template_tokens.families import families

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

_RULES = (
    Rule(
        "leaked-special-token",
        E,
        "A special token of the target model's tokenizer inside content.",
        "unsafe",
    ),
    Rule(
        "leaked-template-token", W, "A control token of a chat template inside content.", "unsafe"
    ),
    Rule("role-label-in-content", W, "Content that starts with a role label such as `Assistant:`."),
    Rule("next-turn-in-response", W, "A response that goes on into another turn (`User:` …)."),
    Rule("missing-separator", W, "A prompt that does not end with the separator.", "safe"),
    Rule("multiple-separators", W, "Prompts end with different separators.", "unsafe"),
    Rule("separator-in-text", W, "The separator also occurs inside a prompt or completion."),
    Rule(
        "missing-stop-sequence", W, "A completion that does not end with the stop sequence.", "safe"
    ),
    Rule("multiple-stop-sequences", W, "Completions end with different stop sequences.", "unsafe"),
    Rule("stop-sequence-in-completion", W, "The stop sequence also occurs inside a completion."),
    Rule(
        "stop-token-in-text",
        W,
        "A template token that ends (nearly) every reply: the stop sequence written into the text.",
    ),
    Rule("long-separator", INFO, "A separator or stop sequence longer than it needs to be."),
    Rule(
        "missing-shared-separator",
        INFO,
        "Prompts share no separator; one absent from the data is suggested.",
        aliases=("no-separator",),
    ),
    Rule(
        "missing-shared-stop-sequence",
        INFO,
        "Completions share no stop sequence; one is suggested.",
        aliases=("no-stop-sequence",),
    ),
    Rule(
        "completion-without-leading-space",
        INFO,
        "A completion that does not start with whitespace.",
        "safe",
    ),
    Rule("inconsistent-system-prompt", W, "A system prompt unlike the one most rows use."),
    Rule(
        "inconsistent-prompt-template", W, "A prompt without the scaffold most prompts start with."
    ),
    Rule("untrimmed-content", INFO, "Content with leading or trailing whitespace.", "safe"),
    Rule(
        "mixed-line-endings",
        W,
        "Content mixing `\\r\\n` and `\\n`, or rows unlike the rest.",
        "safe",
    ),
)

# Row conditions that, when most rows of a file have them, describe the file rather than a few
# rows: reported once for the file (see ftqa.collector).
ROW_CONDITIONS = frozenset(
    {
        "leaked-special-token",
        "leaked-template-token",
        "role-label-in-content",
        "next-turn-in-response",
        "separator-in-text",
        "stop-sequence-in-completion",
        "completion-without-leading-space",
        "untrimmed-content",
        "mixed-line-endings",
    }
)
RULES = tuple(replace(rule, aggregate=rule.slug in ROW_CONDITIONS) for rule in _RULES)

# Candidates OpenAI's retired `fine_tunes.prepare_data` offered, in its order, then ours.
SEPARATOR_CANDIDATES = (
    " ->",
    "\n\n###\n\n",
    "\n\n===\n\n",
    "\n\n---\n\n",
    "\n\n===>\n\n",
    "\n\n--->\n\n",
    "\n\n### =>\n\n",
    "\n\n#### ->\n\n",
)
STOP_CANDIDATES = (
    "\n",
    ".",
    " END",
    "***",
    "+++",
    "&&&",
    "$$$",
    "@@@",
    "%%%",
    " [END]",
    " ###END###",
)
TIKTOKEN_ENCODINGS = frozenset(
    {"gpt2", "r50k_base", "p50k_base", "p50k_edit", "cl100k_base", "o200k_base", "o200k_harmony"}
)
TEXT_PART_TYPES = frozenset({"text", "input_text", "output_text", "reasoning", "thinking"})

ENDING_TAIL = 64  # characters of a text's end examined for its ending marker
MARKER_LIMIT = 65536  # distinct ending markers remembered
CLASSIFICATION_LIMIT = 20000  # distinct completions remembered to recognise classification data
CLASSIFICATION_RATIO = 3  # fewer than rows / 3 distinct completions: classification (OpenAI)
PREFIX_LENGTHS = (64, 32, 16)  # prompt scaffold lengths (UTF-8 bytes) compared, longest first
SCAFFOLD_CHARS = 256  # longest scaffold text kept
SAMPLE_CAPACITY = 32  # dominant-candidate texts kept (Misra-Gries summary)
NO_TEXT = -1  # hash array value: the row has no system prompt / no user message
NOT_CHAT = -2  # hash array value: the row has no conversation at all


class LeakageOptions(Options):
    model: str | None = Field(
        None,
        description="Target model when `--model` is not given; its special tokens are errors.",
    )
    target_families: list[str] = Field(
        default_factory=list,
        description="Template families (`chatml`, `llama3`, …) whose tokens are the target "
        "model's own, for models the name does not identify.",
    )
    extra_tokens: list[str] = Field(
        default_factory=list, description="More control strings to look for (warnings)."
    )
    extra_special_tokens: list[str] = Field(
        default_factory=list, description="Special tokens of your own tokenizer (errors)."
    )
    allowed_tokens: list[str] = Field(
        default_factory=list, description="Tokens never reported (e.g. `<s>` in HTML data)."
    )
    role_labels: list[str] | None = Field(
        None, description="Labels that must not begin content (default: the built-in list)."
    )
    turn_labels: list[str] | None = Field(
        None, description="Labels that start another turn inside a response (built-in list)."
    )
    separator: str | None = Field(
        None, min_length=1, description="The prompt separator (default: detected from the data)."
    )
    stop_sequence: str | None = Field(
        None, min_length=1, description="The completion stop sequence (default: detected)."
    )
    allow_in_code_blocks: bool = Field(
        False,
        description="Do not report the separator or stop sequence inside fenced code blocks.",
    )
    separator_min_rows: int = Field(
        5,
        ge=2,
        description="Fewest prompt/completion rows before a separator or stop sequence is "
        "detected from the data (a configured one is always checked).",
    )
    max_separator_chars: int = Field(
        10, ge=1, description="Longer separators or stop sequences are reported (OpenAI: 10)."
    )
    separator_min_share: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Share of prompts (completions) that must end with a detected separator "
        "(stop sequence) before the others are reported as missing it.",
    )
    separator_variant_min_share: float = Field(
        0.02,
        ge=0,
        le=1,
        description="Share of rows an ending needs to count as another separator in use.",
    )
    whitespace_separator_min_share: float = Field(
        0.9,
        ge=0,
        le=1,
        description="Share of rows a whitespace-only ending (e.g. `\\n`) needs to be detected "
        "as the separator or stop sequence (untrimmed text also ends in whitespace).",
    )
    stop_token_min_share: float = Field(
        0.9,
        gt=0,
        le=1,
        description="Share of replies a template token must end before it is reported once as "
        "the dataset's stop sequence instead of in every row.",
    )
    leading_space: bool | None = Field(
        None,
        description="Completions must start with whitespace (default: when the target "
        "tokenizer is a tiktoken BPE).",
    )
    template_min_share: float = Field(
        0.9,
        gt=0,
        le=1,
        description="Share the dominant system prompt / prompt scaffold needs before the rows "
        "that deviate from it are reported.",
    )
    template_min_rows: int = Field(
        20, ge=2, description="Fewest rows for the template-consistency rules."
    )
    trim_roles: list[str] = Field(
        default_factory=lambda: ["system", "developer", "user", "assistant"],
        description="Roles whose content is checked for leading/trailing whitespace.",
    )

    @field_validator("target_families")
    @classmethod
    def _known_families(cls, value: list[str]) -> list[str]:
        unknown = [name for name in value if name not in families()]
        if unknown:
            known = ", ".join(sorted(families()))
            raise ValueError(f"unknown template family {unknown[0]!r} (known: {known})")
        return value

    @field_validator("extra_tokens", "extra_special_tokens", "allowed_tokens")
    @classmethod
    def _nonempty_tokens(cls, value: list[str]) -> list[str]:
        if any(not token for token in value):
            raise ValueError("tokens must be non-empty strings")
        return value
