"""What the `leakage` checker looks for: the target tokenizer's special tokens, every family's
tokens and turn labels, and ONE combined matcher over all of them. A library (not part of the
checker) so that providers can count a row's template tokens too (`ftqa.providers.leakage`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from ftqa.template_tokens.families import default_role_labels, families, families_for_model


class VocabularyOptions(Protocol):
    """The options a vocabulary is built from (the `leakage` checker's options)."""

    @property
    def target_families(self) -> Any: ...
    @property
    def extra_special_tokens(self) -> Any: ...
    @property
    def allowed_tokens(self) -> Any: ...
    @property
    def extra_tokens(self) -> Any: ...
    @property
    def role_labels(self) -> Any: ...
    @property
    def turn_labels(self) -> Any: ...


@dataclass(frozen=True)
class Target:
    """What the target model's tokenizer reads as its own control tokens."""

    model: str | None
    families: tuple[str, ...]
    special: frozenset[str]
    encoding: str | None = None
    note: str | None = None


def resolve_target(model: str | None, options: VocabularyOptions) -> Target:
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
    def build(
        cls, options: VocabularyOptions, model: str | None, engine: str = "auto"
    ) -> Vocabulary:
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
