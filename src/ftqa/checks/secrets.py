"""The `secrets` checker: credentials inside examples, reported by type and place, never echoed.

Every string of a row (message contents, preference responses, tool-call arguments, any other
value) goes through the detector of `ftqa.detect.secrets`: provider key shapes (OpenAI,
Anthropic, Hugging Face, GitHub, GitLab, AWS, Google, Slack, Stripe, …), private key blocks,
JWTs and passwords in URLs or connection strings; detect-secrets' regex and keyword plugins;
and a generic high-entropy test with false-positive heuristics (UUIDs, hashes, identifiers,
placeholders such as `API_KEY` or `<YOUR_TOKEN>`).

A finding names the type, the field and the character offset and shows a masked excerpt such as
`sk-proj-…[redacted 100 chars]` (only a public prefix); the secret itself never reaches a
report or a change log.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

from pydantic import Field, field_validator

from ftqa.checker import Checker, Edit, Options, Rule
from ftqa.detect.rows import joined_bytes, text_fields
from ftqa.detect.scan import (
    Path,
    Placeholders,
    format_path,
    is_structural,
    iter_strings,
    replace_spans,
    rewrite_strings,
)
from ftqa.detect.secret_shapes import Secret
from ftqa.detect.secrets import SecretDetector, may_hold_secret
from ftqa.finding import Finding, Severity
from ftqa.outbound import outbound
from ftqa.records import Record

E, W = Severity.ERROR, Severity.WARNING

RULES = (
    Rule("api-key", E, "An API key or access token of a known provider.", "unsafe"),
    Rule("private-key", E, "A private key block (PEM, OpenSSH, PGP, PuTTY).", "unsafe"),
    Rule("json-web-token", E, "A signed JSON Web Token (a bearer credential).", "unsafe"),
    Rule("password-in-url", E, "A password inside a URL or a connection string.", "unsafe"),
    Rule(
        "hardcoded-password",
        W,
        "A literal value assigned to a password- or secret-named variable.",
        "unsafe",
    ),
    Rule(
        "high-entropy-string",
        W,
        "A random-looking token of no known provider shape (a possible secret).",
        "unsafe",
    ),
)

PLACEHOLDER = {
    "api-key": "API_KEY",
    "private-key": "PRIVATE_KEY",
    "json-web-token": "JWT",
    "password-in-url": "PASSWORD",
    "hardcoded-password": "PASSWORD",
    "high-entropy-string": "SECRET",
}

FIX_HINT = (
    "treat the credential as leaked: revoke it, then remove it from the data "
    "(`ftqa fix --redact` replaces it with a placeholder)"
)


class SecretsOptions(Options):
    allow: list[str] = Field(
        default_factory=list,
        description="Regular expressions; a detected value that fully matches one is ignored "
        "(e.g. your own published test keys).",
    )
    entropy_min_length: int = Field(
        20, ge=8, description="Shortest token the generic high-entropy test looks at."
    )
    entropy_standalone_length: int = Field(
        32,
        ge=8,
        description="Tokens at least this long are tested without a credential keyword nearby "
        "(shorter ones need `key`, `token`, `secret`, `password`, `auth`, … before them).",
    )
    entropy_ratio: float = Field(
        0.9,
        gt=0,
        le=1.5,
        description="A token is random-looking when its Shannon entropy is at least this "
        "fraction of the average entropy of a random string of the same length and alphabet.",
    )
    high_entropy: bool = Field(True, description="Run the generic high-entropy test at all.")
    detect_secrets: bool = Field(
        True, description="Also run detect-secrets' regex and keyword plugins on candidates."
    )

    @field_validator("allow")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"invalid regular expression {pattern!r}: {error}") from error
        return patterns


# ---------------------------------------------------------------------------------------------
# The checker


class SecretsChecker(Checker):
    id = "secrets"
    summary = "Credentials inside examples: API keys, private keys, tokens, passwords."
    rules = RULES
    Options = SecretsOptions
    options: SecretsOptions

    def __init__(self, options: SecretsOptions, context: Any) -> None:
        super().__init__(options, context)
        self.detector = SecretDetector(options)
        self._by_type: Counter[str] = Counter()
        self._by_rule: Counter[str] = Counter()
        self._rows = 0
        self._scanned = 0

    def check_record(self, record: Record) -> Iterator[Finding]:
        self._scanned += 1
        detector = self.detector
        row_has = False
        if not may_hold_secret("", joined_bytes(record)):
            return
        for path, text in text_fields(record):
            secrets = detector.find(text, is_structural(path))
            if not secrets:
                continue
            row_has = True
            field = format_path(path)
            for secret in _once_per_value(text, secrets):
                self._by_type[secret.label] += 1
                self._by_rule[secret.rule] += 1
                yield self.finding(
                    secret.rule,
                    f"{_article(secret.label)} {secret.label} in `{field}` "
                    f"(character {secret.start + 1})",
                    record,
                    field=field,
                    evidence=secret.masked(text),
                    fix=FIX_HINT,
                )
        if row_has:
            self._rows += 1

    def stats(self) -> dict[str, Any]:
        return {
            "rows_with_secrets": self._rows,
            "by_rule": dict(self._by_rule.most_common()),
            "by_type": dict(self._by_type.most_common()),
        }

    def fix(self, raw: Any, finding: Finding, row: int) -> Edit | None:
        """Replace every credential of the finding's rule in the row with a typed placeholder
        (`<API_KEY>`, `<PASSWORD>`, …), the same value always by the same placeholder."""
        return redact(raw, finding.rule, self.detector)


def redact(raw: Any, rule: str, detector: SecretDetector) -> Edit | None:
    texts = [text for _, text in iter_strings(raw)]
    names = Placeholders(texts)
    kind = PLACEHOLDER[rule]
    fields: list[str] = []

    def change(path: Path, text: str) -> str | None:
        spans = []
        for secret in detector.find(text, is_structural(path)):
            # Only the finding's rule: a rule the user ignored is not redacted.
            if secret.rule != rule:
                continue
            value = text[secret.start : secret.end]
            spans.append((secret.start, secret.end, names.get(kind, value)))
        if not spans:
            return None
        fields.append(f"{format_path(path)} ×{len(spans)}")
        return replace_spans(text, spans)

    value, changed = rewrite_strings(raw, change)
    if not changed:
        return None
    return Edit(value, before=f"{rule} in " + ", ".join(fields), after=", ".join(names.given))


def _once_per_value(text: str, secrets: list[Secret]) -> list[Secret]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for secret in secrets:
        key = (secret.rule, text[secret.start : secret.end])
        if key not in seen:
            seen.add(key)
            unique.append(secret)
    return unique


def _article(label: str) -> str:
    return "an" if label[:1].lower() in "aeiou" else "a"


def mask_secrets(text: str) -> str:
    """Kept for callers written before the outbound layer existed: the same as
    `ftqa.outbound.outbound` (credentials and personal data masked, hidden characters made
    visible). New code should call `outbound` directly."""
    return outbound(text)
