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
"""

from __future__ import annotations

import bisect
import copy
import fnmatch
import functools
import json
import math
import re
import sys
import zlib
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from pydantic import Field, field_validator

from ftqa.checker import CheckContext, Checker, Drop, Edit, Options, Rule
from ftqa.finding import Finding, Severity
from ftqa.records import Message, Record
from ftqa.text import excerpt

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

RULES = (
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
    Rule("long-separator", INFO, "A separator or stop sequence longer than it needs to be."),
    Rule(
        "no-separator", INFO, "Prompts share no separator; one absent from the data is suggested."
    ),
    Rule("no-stop-sequence", INFO, "Completions share no stop sequence; one is suggested."),
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


# --------------------------------------------------------------------------------------------
# The token data (template_tokens.toml)


@dataclass(frozen=True)
class Family:
    name: str
    title: str
    source: str
    kind: str = "token"
    models: tuple[str, ...] = ()
    tokens: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


@functools.lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    path = resources.files("ftqa.checks").joinpath("template_tokens.toml")
    return tomllib.loads(path.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def families() -> dict[str, Family]:
    """The built-in template families, by name."""
    out: dict[str, Family] = {}
    for name, table in _data()["families"].items():
        out[name] = Family(
            name=name,
            title=table["title"],
            source=table["source"],
            kind=table.get("kind", "token"),
            models=tuple(table.get("models", ())),
            tokens=tuple(table.get("tokens", ())),
            patterns=tuple(table.get("patterns", ())),
            remove=tuple(table.get("remove", ())),
        )
    return out


def default_role_labels() -> tuple[list[str], list[str]]:
    table = _data()["role_labels"]
    return list(table["labels"]), list(table["turn_labels"])


def families_for_model(model: str) -> list[str]:
    """Families whose `models` patterns match the model name (or its last path part)."""
    name = model.strip().lower()
    base = name.rsplit("/", 1)[-1]
    return [
        family.name
        for family in families().values()
        if any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(base, p) for p in family.models)
    ]


@dataclass(frozen=True)
class Target:
    """What the target model's tokenizer reads as its own control tokens."""

    model: str | None
    families: tuple[str, ...]
    special: frozenset[str]
    encoding: str | None = None
    note: str | None = None


def resolve_target(model: str | None, options: LeakageOptions) -> Target:
    chosen = list(options.target_families)
    special = set(options.extra_special_tokens)
    encoding = None
    note = None
    if model:
        chosen += [name for name in families_for_model(model) if name not in chosen]
        profile, note = _profile(model)
        if profile is not None:
            special |= {token for token in profile.special_tokens if len(token) >= 2}
            encoding = profile.encoding_name
            if getattr(profile, "provider", None) == "openai" and "gpt" not in chosen:
                chosen.append("gpt")
            note = None
        if not chosen and not special:
            note = (
                f"model {model!r} is not recognised; every template token is reported as a "
                "warning (set `target-families` to name its template)"
            )
    for name in chosen:
        special.update(families()[name].tokens)
    special.difference_update(options.allowed_tokens)
    return Target(model, tuple(chosen), frozenset(special), encoding, note)


def _profile(model: str) -> tuple[Any, str | None]:
    """The `ftqa.tokens` profile of the model, or None (imported lazily)."""
    try:
        from ftqa.tokens import get_profile
    except ImportError:  # pragma: no cover - the tokens package is part of ftqa
        return None, "tokenizer profiles are unavailable"
    try:
        return get_profile(model), None
    except KeyError:
        return None, None
    except Exception as error:  # noqa: BLE001 - a broken tokenizer must not stop the check
        return None, f"tokenizer of {model!r} could not be loaded ({type(error).__name__})"


# --------------------------------------------------------------------------------------------
# The combined matcher


def literal_prefix(pattern: str) -> str:
    """The literal characters a regular expression starts with (escapes resolved)."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern) and not pattern[index + 1].isalnum():
            out.append(pattern[index + 1])
            index += 2
            continue
        if char in ".^$*+?{}[]()|\\":
            break
        out.append(char)
        index += 1
    if out and index < len(pattern) and pattern[index] in "*?{":
        out.pop()  # the last literal is optional or repeated
    return "".join(out)


class Matcher:
    """One automaton (or one regular expression) over every literal and pattern.

    `find(text)` returns the leftmost-longest, non-overlapping spans `(start, end, literal)`;
    for a pattern hit `literal` is the matched text. Patterns must start with at least two
    literal characters, which go into the automaton; a hit is confirmed with the pattern.
    """

    find: Callable[[str], list[tuple[int, int, str]]]

    def __init__(
        self, literals: Iterable[str], patterns: Iterable[str], engine: str = "auto"
    ) -> None:
        self.literals = sorted(set(literals), key=lambda text: (-len(text), text))
        self.patterns = [re.compile(pattern) for pattern in dict.fromkeys(patterns)]
        prefixes: dict[str, list[re.Pattern[str]]] = {}
        for compiled in self.patterns:
            prefix = literal_prefix(compiled.pattern)
            if len(prefix) < 2:
                raise ValueError(f"pattern {compiled.pattern!r} must start with 2 literal chars")
            prefixes.setdefault(prefix, []).append(compiled)
        self._prefixes = prefixes
        self._literal_set = set(self.literals)
        words = self.literals + [p for p in prefixes if p not in self._literal_set]
        self._words = words
        self.engine = self._build(words, engine)

    def _build(self, words: list[str], engine: str) -> str:
        if engine in ("auto", "ahocorasick"):
            try:
                import ahocorasick_rs
            except ImportError:
                if engine == "ahocorasick":
                    raise
            else:
                automaton = ahocorasick_rs.AhoCorasick(
                    words, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest
                )
                self.find = self._automaton_finder(automaton.find_matches_as_indexes, words)
                return "ahocorasick-rs"
        self.find = self._regex_finder(_factored_regex(words).finditer)
        return "re"

    def _automaton_finder(
        self, search: Callable[[str], list[tuple[int, int, int]]], words: list[str]
    ) -> Callable[[str], list[tuple[int, int, str]]]:
        confirm = self._confirmed if self._prefixes else None
        fallback: list[Callable[[str], list[tuple[int, int, str]]]] = []

        def find(text: str) -> list[tuple[int, int, str]]:
            try:
                found = search(text)
            except UnicodeEncodeError:  # a lone surrogate: the automaton needs valid UTF-8
                if not fallback:
                    fallback.append(self._regex_finder(_factored_regex(words).finditer))
                return fallback[0](text)
            if not found:
                return []
            spans = [(start, end, words[index]) for index, start, end in found]
            return confirm(text, spans) if confirm is not None else spans

        return find

    def _regex_finder(
        self, search: Callable[[str], Iterator[re.Match[str]]]
    ) -> Callable[[str], list[tuple[int, int, str]]]:
        confirm = self._confirmed if self._prefixes else None

        def find(text: str) -> list[tuple[int, int, str]]:
            spans = [(match.start(), match.end(), match.group()) for match in search(text)]
            return confirm(text, spans) if confirm is not None and spans else spans

        return find

    def _confirmed(
        self, text: str, spans: list[tuple[int, int, str]]
    ) -> list[tuple[int, int, str]]:
        confirmed = (self._confirm(text, span) for span in spans)
        return [span for span in confirmed if span is not None]

    def _confirm(self, text: str, span: tuple[int, int, str]) -> tuple[int, int, str] | None:
        start, _, word = span
        compiled = self._prefixes.get(word)
        if compiled is None:
            return span
        for pattern in compiled:
            match = pattern.match(text, start)
            if match is not None:
                return (start, match.end(), match.group())
        return span if word in self._literal_set else None


def _factored_regex(words: list[str]) -> re.Pattern[str]:
    """An alternation whose branches each start with a literal character, longest first.

    Python's regex engine then scans only for the branches' first characters; a plain
    alternation of the words is about twice as slow (measured in benchmarks/bench_leakage.py).
    """
    groups: dict[str, list[str]] = {}
    for word in words:
        groups.setdefault(word[0], []).append(word[1:])
    branches = []
    for first, rests in groups.items():
        rests.sort(key=lambda rest: (-len(rest), rest))
        body = "|".join(re.escape(rest) for rest in rests)
        branches.append(f"{re.escape(first)}(?:{body})")
    return re.compile("|".join(branches) if branches else "(?!)")


@dataclass(frozen=True)
class TokenInfo:
    families: tuple[str, ...]
    kind: str  # "token" | "separator" | "label"


@dataclass
class Vocabulary:
    """The tokens and labels looked for, their families, the target, and the matcher."""

    target: Target
    tokens: dict[str, TokenInfo]
    patterns: dict[str, tuple[str, ...]]  # pattern -> families
    labels: list[str]
    turn_labels: list[str]
    matcher: Matcher
    start_label: re.Pattern[str] | None

    @classmethod
    def build(cls, options: LeakageOptions, model: str | None, engine: str = "auto") -> Vocabulary:
        target = resolve_target(model, options)
        tokens: dict[str, TokenInfo] = {}
        patterns: dict[str, tuple[str, ...]] = {}
        for family in families().values():
            for token in family.tokens:
                previous = tokens.get(token)
                names = (previous.families if previous else ()) + (family.name,)
                tokens[token] = TokenInfo(names, family.kind)
            for pattern in family.patterns:
                patterns[pattern] = (*patterns.get(pattern, ()), family.name)
        for token in options.extra_tokens:
            tokens.setdefault(token, TokenInfo(("config",), "token"))
        for token in sorted(target.special):
            tokens.setdefault(token, TokenInfo(("tokenizer",), "token"))
        for token in options.allowed_tokens:
            tokens.pop(token, None)
        defaults = default_role_labels()
        labels = options.role_labels if options.role_labels is not None else defaults[0]
        turn_labels = options.turn_labels if options.turn_labels is not None else defaults[1]
        literals = list(tokens) + ["\n" + label for label in turn_labels if label]
        matcher = Matcher(literals, patterns, engine)
        for label in turn_labels:
            tokens.setdefault("\n" + label, TokenInfo((), "label"))
        start = None
        if labels:
            alternation = "|".join(re.escape(label) for label in sorted(labels, key=len)[::-1])
            start = re.compile(rf"\s*(?:{alternation})[ \t]*:")
        return cls(target, tokens, patterns, labels, turn_labels, matcher, start)

    def info(self, text: str) -> TokenInfo:
        found = self.tokens.get(text)
        if found is not None:
            return found
        for pattern, names in self.patterns.items():
            if re.fullmatch(pattern, text):
                return TokenInfo(names, "token")
        return TokenInfo(("tokenizer",), "token")

    def is_special(self, text: str, info: TokenInfo) -> bool:
        if text in self.target.special:
            return True
        return info.kind == "token" and any(name in self.target.families for name in info.families)

    def titles(self, info: TokenInfo) -> str:
        known = families()
        names = [known[name].title.split(" (")[0] for name in info.families if name in known]
        if "config" in info.families:
            names.append("a configured token")
        if "tokenizer" in info.families:
            names.append("a special token of the target tokenizer")
        return "; ".join(dict.fromkeys(names))


# --------------------------------------------------------------------------------------------
# Small pure helpers


_COLON = re.compile(r"[ \t]*:")
_FENCE = re.compile(r"^[ \t]*(?:```|~~~)", re.M)
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_PATH = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
# An ending read backwards: whitespace, punctuation/symbol runs, `Label:` (1-3 capitalised
# words before a colon), tags such as `<|endoftext|>`, `</s>`, `[END]`, and a final capitalised
# word such as ` END`.
_ENDING_REVERSED = re.compile(
    r"(?:>[|｜]?[\w▁]{1,30}[|｜]?/?<|\][/A-Z_]{1,20}\[)?"
    r"(?:[A-Z]{2,8}(?![A-Za-z0-9]))?"
    r"(?::[ \t]*(?:[A-Za-z0-9]{0,15}[A-Z] ){0,2}[A-Za-z0-9]{0,15}[A-Z](?![A-Za-z0-9])"
    r"|>[|｜]?[\w▁]{1,30}[|｜]?/?<|\s+|[!-/:-@\[-`{-~]+)*"
)
_SENTENCE_END = ".?!,;)]}\"'»”’…"


def ending_marker(text: str) -> str:
    """The structural ending of a text: the separator-like characters it ends with.

    `What is 2+2?\\n\\n###\\n\\n` -> `\\n\\n###\\n\\n`; `Q: hi\\nA:` -> `\\nA:`;
    `... done END` -> ` END`; `Hello.` -> `` (sentence punctuation alone is no marker).
    """
    tail = text[-ENDING_TAIL:]
    match = _ENDING_REVERSED.match(tail[::-1])
    size = match.end() if match else 0
    marker = tail[len(tail) - size :] if size else ""
    index = 0
    while index < len(marker) and marker[index] in _SENTENCE_END:
        index += 1
    return marker[index:]


def is_marker(text: str) -> bool:
    return bool(text.strip())


def occurrences(text: str, needle: str, stop: int, skip_code: bool) -> int:
    """Occurrences of `needle` in `text[:stop]`, outside fenced code blocks when `skip_code`."""
    if not needle or stop <= 0:
        return 0
    count = text.count(needle, 0, stop)
    if not count or not skip_code or ("```" not in text and "~~~" not in text):
        return count
    fences = [match.start() for match in _FENCE.finditer(text)]
    count = 0
    position = text.find(needle, 0, stop)
    while position != -1:
        if bisect.bisect_right(fences, position) % 2 == 0:
            count += 1
        position = text.find(needle, position + len(needle), stop)
    return count


def in_code_block(text: str, position: int) -> bool:
    return len(_FENCE.findall(text, 0, position)) % 2 == 1


def show(text: str) -> str:
    """A token or separator as it is shown in messages: backticks, newlines escaped."""
    return "`" + json.dumps(text, ensure_ascii=False)[1:-1] + "`"


def quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def share(part: int, whole: int) -> str:
    return f"{part} of {whole} ({100 * part / whole:.0f}%)" if whole else "0"


def stable_hash(text: str) -> int:
    return zlib.crc32(text.encode("utf-8", "surrogatepass")) | (min(len(text), 0x7FFF) << 32)


def _common_suffix(current: str, text: str) -> str:
    if text.endswith(current):
        return current
    low, high = 0, len(current)
    while low < high:  # longest k with text.endswith(current[-k:])
        middle = (low + high + 1) // 2
        if text.endswith(current[len(current) - middle :]):
            low = middle
        else:
            high = middle - 1
    return current[len(current) - low :] if low else ""


def _common_prefix(current: str, text: str) -> str:
    if text.startswith(current):
        return current
    low, high = 0, len(current)
    while low < high:
        middle = (low + high + 1) // 2
        if text.startswith(current[:middle]):
            low = middle
        else:
            high = middle - 1
    return current[:low]


def _context(text: str, start: int, end: int) -> str:
    return text[max(0, start - 30) : end + 30]


PLAIN_FIELDS = frozenset(
    {"prompt", "completion", "instruction", "output", "chosen", "rejected", "text", "system"}
)


def where(message: Message) -> str:
    """How a message's text is named in findings: `the prompt`, or `assistant content`."""
    if message.field in PLAIN_FIELDS:
        return f"the {message.field}"
    return f"{message.role} content"


def _plain_completion(record: Record) -> bool:
    raw = record.raw
    return (
        record.format == "completion"
        and isinstance(raw, Mapping)
        and isinstance(raw.get("prompt"), str)
        and isinstance(raw.get("completion"), str)
    )


def _resolve(raw: Any, path: str) -> Any:
    value = raw
    for name, index in _PATH.findall(path):
        if name:
            if not isinstance(value, Mapping):
                return None
            value = value.get(name)
        else:
            if not isinstance(value, list) or int(index) >= len(value):
                return None
            value = value[int(index)]
    return value


def content_field(raw: Any, message_field: str) -> str:
    """The field path of a message's text: `messages[1].content`, `conversations[0].value`,
    `prompt`, …"""
    value = _resolve(raw, message_field)
    if isinstance(value, Mapping):
        if "content" in value:
            return f"{message_field}.content"
        if "value" in value:
            return f"{message_field}.value"
    return message_field


class _Samples:
    """A Misra-Gries summary that keeps a text for the few heaviest keys (bounded memory).

    With `prefix=True` the text kept is the longest common prefix of the key's rows."""

    def __init__(self, capacity: int = SAMPLE_CAPACITY, prefix: bool = False) -> None:
        self.capacity = capacity
        self.prefix = prefix
        self.entries: dict[int, list[Any]] = {}

    def add(self, key: int, text: str) -> None:
        entry = self.entries.get(key)
        if entry is not None:
            entry[0] += 1
            if self.prefix and not text.startswith(entry[1]):
                entry[1] = _common_prefix(entry[1], text)
            return
        if len(self.entries) >= 2 * self.capacity:
            counts = sorted((entry[0] for entry in self.entries.values()), reverse=True)
            cut = counts[self.capacity]
            self.entries = {k: [e[0] - cut, e[1]] for k, e in self.entries.items() if e[0] > cut}
        self.entries[key] = [1, text[:SCAFFOLD_CHARS]]

    def text(self, key: int) -> str | None:
        entry = self.entries.get(key)
        return None if entry is None else entry[1]


class _Endings:
    """Ending markers of one side (prompts or completions): interned, counted, per row."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.texts: list[str] = []
        self.counts: list[int] = []
        self.rows = array("q")  # index into the checker's row table
        self.marker = array("i")  # marker id; -1 empty text; -2 not remembered
        self.inner = array("i")  # occurrences of the row's own marker inside its text
        self.other = array("i")  # occurrences of the prompt's marker inside the completion
        self.common: str | None = None
        self.n = 0
        self.newline = False

    def intern(self, marker: str) -> int:
        found = self.ids.get(marker)
        if found is None:
            if len(self.texts) >= MARKER_LIMIT:
                return -2
            found = self.ids[marker] = len(self.texts)
            self.texts.append(marker)
            self.counts.append(0)
        self.counts[found] += 1
        return found

    def add(self, row: int, text: str, marker: str, inner: int, other: int = 0) -> None:
        self.rows.append(row)
        if not text:
            self.marker.append(-1)
            self.inner.append(0)
            self.other.append(0)
            return
        self.n += 1
        self.newline = self.newline or "\n" in text
        self.marker.append(self.intern(marker) if marker else self.intern(""))
        self.inner.append(inner)
        self.other.append(other)
        tail = text[-SCAFFOLD_CHARS:]
        self.common = tail if self.common is None else _common_suffix(self.common, tail)

    def distribution(self) -> dict[str, int]:
        return {text: count for text, count in zip(self.texts, self.counts, strict=True) if count}


@dataclass
class Detection:
    """What ends one side: the separators (stop sequences) in use, most common first."""

    values: list[tuple[str, int]]
    source: str  # configured | detected | common-suffix | none
    rows: int
    covered: int = 0

    @property
    def primary(self) -> str | None:
        return self.values[0][0] if self.values else None


def detect(
    endings: _Endings, min_share: float, variant_min_share: float, whitespace_share: float = 0.9
) -> Detection:
    """The separators in use: the most frequent marker-like endings, each covering the rows
    whose ending ends with it, as long as together they cover `min_share` of the rows. Falls
    back to the common suffix of every row (which may be whitespace, e.g. `\\n`)."""
    counts = endings.distribution()
    total = endings.n
    threshold = max(2, math.ceil(variant_min_share * total))
    remaining = {text: count for text, count in counts.items() if text}
    chosen: list[tuple[str, int]] = []
    for candidate, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        if count < threshold or len(chosen) >= 8:
            break
        if candidate not in remaining:
            continue
        covered = [text for text in remaining if text.endswith(candidate)]
        rows = sum(remaining[text] for text in covered)
        if not is_marker(candidate) and rows < whitespace_share * total:
            continue
        for text in covered:
            del remaining[text]
        chosen.append((candidate, rows))
    covered_rows = sum(count for _, count in chosen)
    if chosen and covered_rows >= min_share * total:
        return Detection(chosen, "detected", total, covered_rows)
    common = ending_marker(endings.common or "") if endings.common else ""
    if endings.common and not common and not endings.common.strip():
        common = endings.common
    if common and total >= 2:
        return Detection([(common, total)], "common-suffix", total, total)
    return Detection([], "none", total)


def full_value(detection: Detection, endings: _Endings) -> str:
    """The primary separator as written: when every row ends with it, the common suffix of all
    rows, if that extends it from a boundary (`\n\n### Answer (short):\n` rather than `:\n`)."""
    primary = detection.primary or ""
    common = endings.common or ""
    if (
        detection.source != "detected"
        or detection.covered < detection.rows
        or len(detection.values) > 1
    ):
        return primary
    index = 0
    while index < len(common) and common[index] in _SENTENCE_END:
        index += 1
    common = common[index:]
    if len(common) > len(primary) and common.endswith(primary) and not common[0].isalnum():
        return common
    return primary


@dataclass(slots=True)
class _RowState:
    tokens: int = 0
    crlf: bool = False
    lf: bool = False
    mixed: bool = False


# --------------------------------------------------------------------------------------------
# The checker


class LeakageChecker(Checker):
    id = "leakage"
    summary = "Separators, stop sequences, template tokens and role labels leaking into text."
    rules = RULES
    Options = LeakageOptions
    version = "1"
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

    # -- per row ---------------------------------------------------------------------------

    def check_record(self, record: Record) -> Iterator[Finding]:
        index = self._remember(record)
        plain = _plain_completion(record)
        state = _RowState()
        out: list[Finding] = []
        for message in self._messages(record):
            if message.content:
                self._scan(record, message, plain, state, out)
            for position, call in enumerate(message.tool_calls):
                if call.arguments:
                    path = f"{message.field}.tool_calls[{position}].function.arguments"
                    hits = self._find(call.arguments)
                    if hits:
                        place = "tool-call arguments"
                        self._tokens(record, call.arguments, hits, path, place, state, out)
        if record.text and record.template is None:  # a rendered chat: its turns were scanned
            self._scan_text(record, state, out)
        self._line_endings(record, index, state, out)
        self._template(record, index)
        if plain:
            out.extend(self._completion_row(record, index))
        record.measures["template_tokens"] = state.tokens
        if state.tokens:
            self._rows_with_tokens += 1
        return iter(out)

    def _remember(self, record: Record) -> int:
        file_id = self._files.get(record.file)
        if file_id is None:
            file_id = self._files[record.file] = len(self._file_names)
            self._file_names.append(record.file)
        self._file.append(file_id)
        self._row.append(record.row)
        self._line.append(record.line if record.line is not None else -1)
        return len(self._row) - 1

    @staticmethod
    def _messages(record: Record) -> list[Message]:
        messages = record.messages
        if record.chosen or record.rejected:
            messages = messages + (record.chosen or []) + (record.rejected or [])
        return messages

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
            self._token_counts.update(hit[2] for hit in special + other)
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
            self._label_rows += 1
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
        self._label_rows += 1
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
        self._untrimmed += 1
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

    def _line_endings(
        self, record: Record, index: int, state: _RowState, out: list[Finding]
    ) -> None:
        if state.mixed:
            return
        if state.crlf and state.lf:
            out.append(
                self.finding(
                    "mixed-line-endings",
                    "the row's messages mix `\\r\\n` and `\\n` line endings",
                    record,
                    fix="convert every line ending to `\\n`",
                )
            )
        elif state.crlf:
            self._crlf_rows.append(index)
        elif state.lf:
            self._lf_rows += 1

    def _template(self, record: Record, index: int) -> None:
        messages = record.messages
        if not messages:
            self._system.append(NOT_CHAT)
            for length in PREFIX_LENGTHS:
                self._prefix[length].append(NOT_CHAT)
            return
        system = user = None
        for message in messages:
            role = message.role
            if system is None and (role == "system" or role == "developer"):
                system = message.content
            elif role == "user":
                user = message.content
                break
        if system:
            key = stable_hash(system)
            self._system.append(key)
            self._system_samples.add(key, system)
            record.measures["system_prompt"] = f"{key & 0xFFFFFFFF:08x}"
        else:
            self._system.append(NO_TEXT)
        prefix = self._prefix
        if not user:
            for length in PREFIX_LENGTHS:
                prefix[length].append(NO_TEXT)
            return
        head = user[:64].encode("utf-8", "surrogatepass")
        h16 = zlib.crc32(head[:16])
        h32 = zlib.crc32(head[16:32], h16)
        prefix[16].append(h16)
        prefix[32].append(h32)
        prefix[64].append(zlib.crc32(head[32:64], h32))
        self._scaffold_samples.add(h16, user)

    def _completion_row(self, record: Record, index: int) -> Iterator[Finding]:
        raw = record.raw
        prompt: str = raw["prompt"]
        completion: str = raw["completion"]
        skip_code = self.options.allow_in_code_blocks
        self._probe(prompt, completion)
        marker = ending_marker(prompt) if prompt else ""
        self._prompts.add(
            index,
            prompt,
            marker,
            occurrences(prompt, marker, len(prompt) - len(marker), skip_code),
            occurrences(completion, marker, len(completion), skip_code) if marker else 0,
        )
        stop = ending_marker(completion) if completion else ""
        self._completions.add(
            index,
            completion,
            stop,
            occurrences(completion, stop, len(completion) - len(stop), skip_code),
        )
        if len(completion) > 64:
            self._long_completions += 1
        elif len(self._completion_hashes) <= CLASSIFICATION_LIMIT:
            self._completion_hashes.add(stable_hash(completion))
        yield from self._configured(record, prompt, completion)
        if self.expects_space and completion and not completion[0].isspace():
            yield self.finding(
                "completion-without-leading-space",
                "the completion does not start with a space; the target tokenizer "
                "encodes most words with their leading space",
                record,
                field="completion",
                evidence=completion[:40],
                fix="prepend a space to the completion",
            )

    def _probe(self, prompt: str, completion: str) -> None:
        """Remember which candidate separators and stop sequences occur anywhere."""
        seen = [c for c in self._probes if c in prompt or c in completion]
        self._probes.difference_update(seen)

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

    # -- dataset-wide ----------------------------------------------------------------------

    def finish(self) -> Iterator[Finding]:
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
        if len(full) > self.options.max_separator_chars:
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

    def _locate(self, row_index: int) -> dict[str, Any]:
        line = self._line[row_index]
        return {
            "file": self._file_names[self._file[row_index]],
            "row": self._row[row_index],
            "line": line if line >= 0 else None,
        }

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
            **self._locate(row_index),
        )

    def _detected_inside(
        self, endings: _Endings, side: str, position: int, row_index: int, value: str
    ) -> Iterator[Finding]:
        slug = "separator-in-text" if side == "prompt" else "stop-sequence-in-completion"
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
            ("separator", "no-separator")
            if side == "prompt"
            else ("stop sequence", "no-stop-sequence")
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
        shown = f" ({show(text[:60])})" if text else ""
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
                "dominant": text,
                "prefix_bytes": length,
                "share": round(count / rows, 4),
            }
        return out

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


# --------------------------------------------------------------------------------------------
# Fixes: slots are (container, key) pairs whose values are the strings that make up a text.

Slot = tuple[Any, Any]


def _steps(path: str) -> list[str | int]:
    return [name if name else int(index) for name, index in _PATH.findall(path)]


def _get(container: Any, key: str | int) -> Any:
    if isinstance(container, Mapping) and isinstance(key, str):
        return container.get(key)
    if isinstance(container, list) and isinstance(key, int) and key < len(container):
        return container[key]
    return None


def _slots(value: Any, path: str) -> list[Slot]:
    """The string slots that make up the text at `path` (a finding's `field`)."""
    if path == "instruction" and isinstance(value, dict):
        extra = value.get("input")
        keys = (
            ["instruction", "input"]
            if isinstance(extra, str) and extra.strip()
            else ["instruction"]
        )
        return [(value, key) for key in keys if isinstance(value.get(key), str)]
    steps = _steps(path)
    if not steps:
        return []
    container = value
    for step in steps[:-1]:
        container = _get(container, step)
    target = _get(container, steps[-1])
    if isinstance(target, str):
        return [(container, steps[-1])]
    if isinstance(target, Mapping):
        return _message_slots(target)
    if isinstance(target, list):
        return _part_slots(target)
    return []


def _message_slots(message: Mapping[str, Any]) -> list[Slot]:
    for key in ("content", "value"):
        inner = message.get(key)
        if isinstance(inner, str):
            return [(message, key)]
        if isinstance(inner, list):
            return _part_slots(inner)
    return []


def _part_slots(parts: list[Any]) -> list[Slot]:
    slots: list[Slot] = []
    for part in parts:
        if isinstance(part, dict) and part.get("type") in TEXT_PART_TYPES:
            key = "text" if isinstance(part.get("text"), str) else "value"
            if isinstance(part.get(key), str):
                slots.append((part, key))
    return slots


def _all_slots(value: Any) -> list[Slot]:
    """Every string in the row (for row-level line-ending fixes)."""
    slots: list[Slot] = []
    stack = [value]
    while stack:
        current = stack.pop()
        items = current.items() if isinstance(current, dict) else enumerate(current)
        for key, inner in items:
            if isinstance(inner, str):
                slots.append((current, key))
            elif isinstance(inner, (dict, list)):
                stack.append(inner)
    return slots


def _joined(slots: list[Slot]) -> str:
    return "\n".join(container[key] for container, key in slots)


def _change(before: str, after: str) -> tuple[str, str]:
    """Excerpts of `before` and `after` around the first character that differs."""
    start = len(_common_prefix(before, after))
    left = max(0, start - 30)
    return excerpt(before[left : start + 50]), excerpt(after[left : start + 50])


def _quoted_values(finding: Finding) -> list[str]:
    return [json.loads(text) for text in _QUOTED.findall(finding.fix or "")]


def _fix_append(slots: list[Slot], finding: Finding, raw: Any) -> None:
    values = _quoted_values(finding)
    container, key = slots[-1]
    if values and not container[key].endswith(values[0]):
        container[key] += values[0]


def _fix_replace_ending(slots: list[Slot], finding: Finding, raw: Any) -> None:
    values = _quoted_values(finding)
    container, key = slots[-1]
    if len(values) >= 2 and container[key].endswith(values[0]):
        container[key] = container[key][: len(container[key]) - len(values[0])] + values[1]


def _fix_leading_space(slots: list[Slot], finding: Finding, raw: Any) -> None:
    container, key = slots[0]
    if container[key] and not container[key][0].isspace():
        container[key] = " " + container[key]


def _fix_strip(slots: list[Slot], finding: Finding, raw: Any) -> None:
    leading_only = (
        finding.field == "prompt"
        and isinstance(raw, Mapping)
        and isinstance(raw.get("completion"), str)
    )
    if finding.field == "instruction":  # Alpaca: instruction and input are joined by a blank line
        for container, key in slots:
            container[key] = container[key].strip()
        return
    first, first_key = slots[0]
    first[first_key] = first[first_key].lstrip()
    if not leading_only:
        last, last_key = slots[-1]
        last[last_key] = last[last_key].rstrip()


def _fix_line_endings(slots: list[Slot], finding: Finding, raw: Any) -> None:
    for container, key in slots:
        if "\r" in container[key]:
            container[key] = container[key].replace("\r\n", "\n").replace("\r", "\n")


def _fix_tokens(slots: list[Slot], finding: Finding, raw: Any) -> Drop | None:
    pattern = _removal_pattern(tuple(_quoted_values(finding)))
    if pattern is None:
        return None
    for container, key in slots:
        container[key] = pattern.sub("", container[key])
    if not _joined(slots).strip() and finding.field and not finding.field.endswith("arguments"):
        return Drop("the content is nothing but template tokens")
    return None


@functools.lru_cache(maxsize=256)
def _removal_pattern(tokens: tuple[str, ...]) -> re.Pattern[str] | None:
    """Whole template headers (`<|im_start|>user\\n`) first, then the tokens themselves."""
    if not tokens:
        return None
    headers = [
        pattern
        for family in families().values()
        for pattern in family.remove
        if any(re.match(pattern, token) or literal_prefix(pattern) == token for token in tokens)
    ]
    literals = sorted(tokens, key=len, reverse=True)
    return re.compile("|".join([*headers, *(re.escape(token) for token in literals)]))


_FIXES: dict[str, Any] = {
    "missing-separator": _fix_append,
    "missing-stop-sequence": _fix_append,
    "multiple-separators": _fix_replace_ending,
    "multiple-stop-sequences": _fix_replace_ending,
    "completion-without-leading-space": _fix_leading_space,
    "untrimmed-content": _fix_strip,
    "mixed-line-endings": _fix_line_endings,
    "leaked-special-token": _fix_tokens,
    "leaked-template-token": _fix_tokens,
}
