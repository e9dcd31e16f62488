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
from typing import Any

from pydantic import Field, field_validator

from ftqa.checker import Checker, Edit, Options, Rule
from ftqa.detect.keys import KEY_MARK, REPEATED_MARK, Spot, key_strings, rename_keys
from ftqa.detect.row_scan import (
    Found,
    Hit,
    header_to_scan,
    scan_header,
    scan_spots,
    scan_values,
)
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
from ftqa.providers import Provided
from ftqa.providers.text import JOINED_BYTES, JOINED_TEXT, KEY_SPOTS, SPOTS_JOINED, TEXT_FIELDS
from ftqa.records import Record
from ftqa.rowresult import RowKey, RowResult

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
    version = "2"  # 2: public key material is not a high-entropy string
    needs = (TEXT_FIELDS, JOINED_TEXT, JOINED_BYTES, KEY_SPOTS, SPOTS_JOINED)
    pure_map = True
    sees_unreadable_rows = True  # the first row carries the file's header, readable or not

    def __init__(self, options: SecretsOptions, context: Any) -> None:
        super().__init__(options, context)
        self.detector = SecretDetector(options)
        self.scanner = SecretScanner(self.detector)
        self._by_type: Counter[str] = Counter()
        self._by_rule: Counter[str] = Counter()
        self._rows = 0

    def map(self, record: Record, provided: Provided) -> RowResult | None:
        """Findings in the row's values and keys, and in the file's header on its first row.
        Features: `[rule, label, in_header]` of each finding, or None when there is none."""
        scanner = self.scanner
        header = header_to_scan(record)
        in_header = scan_header(scanner, header) if header is not None else []
        in_row: list[Hit] = []
        if record.readable and record.row >= 0:
            fields = provided(TEXT_FIELDS)
            in_row = scan_values(scanner, fields, provided(JOINED_TEXT), provided(JOINED_BYTES))
            in_row += scan_spots(scanner, provided(KEY_SPOTS), *provided(SPOTS_JOINED))
        if not (in_row or in_header):
            return None
        findings = [self._finding(hit, record) for hit in in_row]
        if header is not None:  # a header is no row
            findings += [self._finding(hit, None, record.file, header.line) for hit in in_header]
        features = [[hit.rule, hit.label, False] for hit in in_row]
        features += [[hit.rule, hit.label, True] for hit in in_header]
        return RowResult(findings, features)

    def _finding(
        self, hit: Hit, record: Record | None, file: str | None = None, line: int | None = None
    ) -> Finding:
        return self.finding(
            hit.rule,
            f"{_article(hit.label)} {hit.label} in {hit.where} (character {hit.start + 1})",
            record,
            field=hit.field,
            evidence=hit.shown,
            fix=FIX_HINT,
            file=file,
            line=line,
        )

    def reduce(self, key: RowKey, features: list[list[Any]]) -> None:
        for rule, label, _ in features:
            self._by_rule[rule] += 1
            self._by_type[label] += 1
        if any(not in_header for _, _, in_header in features):
            self._rows += 1

    def stats(self) -> dict[str, Any]:
        return {
            "rows_with_secrets": self._rows,
            "by_rule": dict(self._by_rule.most_common()),
            "by_type": dict(self._by_type.most_common()),
        }

    def fix(self, raw: Any, finding: Finding, row: int) -> Edit | None:
        """Replace every credential of the finding's rule in the row with a typed placeholder
        (`<API_KEY>`, `<PASSWORD>`, …), the same value always by the same placeholder; a key
        that holds one is renamed. An earlier value of a repeated key goes when the row is
        re-encoded (the row value is the last one's)."""
        if (finding.field or "").endswith(REPEATED_MARK):
            return Edit(raw, before=f"{finding.rule} in {finding.field}", after=DROPPED_REPEATED)
        return redact(raw, finding.rule, self.detector, top_keys=finding.field == KEY_MARK)


DROPPED_REPEATED = (
    "removed with the earlier value of the repeated key: the row is written again with the "
    "last value, the one JSON readers keep"
)


def redact(raw: Any, rule: str, detector: SecretDetector, top_keys: bool = True) -> Edit | None:
    """`raw` with every credential of `rule` replaced by its placeholder, in values and keys
    (`top_keys=False` leaves the outermost mapping's keys alone: a tabular row's columns)."""
    names = Placeholders([text for _, text in iter_strings(raw)] + key_strings(raw))
    kind = PLACEHOLDER[rule]
    fields: list[str] = []

    def spans_in(text: str, structural: bool) -> list[tuple[int, int, str]]:
        return [
            (secret.start, secret.end, names.get(kind, text[secret.start : secret.end]))
            # Only the finding's rule: a rule the user ignored is not redacted.
            for secret in detector.find(text, structural)
            if secret.rule == rule
        ]

    def rename(path: Path, key: str) -> str | None:
        spans = spans_in(key, True)
        if not spans:
            return None
        fields.append(f"{Spot('key', key, path).field} ×{len(spans)}")
        return replace_spans(key, spans)

    def change(path: Path, text: str) -> str | None:
        spans = spans_in(text, is_structural(path))
        if not spans:
            return None
        fields.append(f"{format_path(path)} ×{len(spans)}")
        return replace_spans(text, spans)

    # Keys first, so that the paths of the values below name placeholders, not credentials.
    value, renamed = rename_keys(raw, rename, top=top_keys)
    value, changed = rewrite_strings(value, change)
    if not (changed or renamed):
        return None
    return Edit(value, before=f"{rule} in " + ", ".join(fields), after=", ".join(names.given))


class SecretScanner:
    """What `secrets` looks for in a row's places (`ftqa.detect.row_scan`); the generic
    high-entropy test is left out for names (keys and column names are often random ids)."""

    def __init__(self, detector: SecretDetector) -> None:
        self.detector = detector

    def may_hold(self, text: str, data: bytes) -> bool:
        return may_hold_secret(text, data)

    def in_value(self, path: Path, text: str) -> list[Found]:
        return _found(text, self.detector.find(text, is_structural(path)))

    def in_spot(self, spot: Spot) -> list[Found]:
        names = spot.kind != "repeated" or is_structural(spot.path)
        return _found(spot.text, self.detector.find(spot.text, names))


def _found(text: str, secrets: list[Secret]) -> list[Found]:
    return [Found(s.rule, s.label, s.start, s.masked(text), text[s.start : s.end]) for s in secrets]


def _article(label: str) -> str:
    return "an" if label[:1].lower() in "aeiou" else "a"


def mask_secrets(text: str) -> str:
    """Kept for callers written before the outbound layer existed: the same as
    `ftqa.outbound.outbound` (credentials and personal data masked, hidden characters made
    visible). New code should call `outbound` directly."""
    return outbound(text)
