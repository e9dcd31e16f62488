"""Credential shapes of the providers that matter for LLM data, and the tests each match must
pass: not inside a longer token, not a documentation example, a JWT whose header is JSON with an
`alg`. Each shape's pattern runs only on text holding one of its literal prefixes.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

import orjson

from ftqa.detect.entropy import random_looking
from ftqa.detect.placeholders import looks_fake
from ftqa.detect.scan import mask


@dataclass(frozen=True, slots=True)
class Secret:
    """One detected credential in one string: `text[start:end]` is the secret value."""

    rule: str
    label: str
    start: int
    end: int
    keep: int = 0  # leading characters that are a public prefix and may be shown

    def masked(self, text: str) -> str:
        return mask(text[self.start : self.end], self.keep)


# Provider shapes: (name, label, rule, literal prefixes, pattern, public prefix length). A
# shape's pattern runs only on text that contains one of its prefixes (a fast substring
# search), so most strings cost a handful of `in` tests; "not inside a longer token" is checked
# on each match. Group 1, when a pattern has it, is the secret; the rest is context.
SHAPES: tuple[tuple[str, str, str, tuple[str, ...], str, int], ...] = (
    (
        "pem",
        "private key",
        "private-key",
        ("-----BEGIN",),
        r"-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----"
        r"(?:[\s\S]{0,40000}?-----END[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----"
        r"|[A-Za-z0-9+/=\s\\:,-]{0,40000})",
        0,
    ),
    (
        "putty",
        "PuTTY private key",
        "private-key",
        ("PuTTY-User-Key-File-",),
        r"PuTTY-User-Key-File-\d:[\s\S]{0,20000}?Private-MAC: ?[0-9a-fA-F]+",
        0,
    ),
    (
        "anthropic",
        "Anthropic API key",
        "api-key",
        ("sk-ant-",),
        r"sk-ant-[a-z]{2,8}\d{0,3}-[A-Za-z0-9_\-]{32,200}",
        7,
    ),
    (
        "openai",
        "OpenAI API key",
        "api-key",
        ("sk-",),
        r"sk-(?:(?:proj|svcacct|admin|None)-[A-Za-z0-9_\-]{20,250}"
        r"|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})",
        3,
    ),
    (
        "sk_generic",
        "API key (sk-…)",
        "api-key",
        ("sk-",),
        r"sk-(?=[A-Za-z]{0,64}\d)[A-Za-z0-9]{32,100}",
        3,
    ),
    (
        "huggingface",
        "Hugging Face token",
        "api-key",
        ("hf_", "api_org_"),
        r"(?:hf_|api_org_)[A-Za-z]{34}",
        3,
    ),
    (
        "github",
        "GitHub token",
        "api-key",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
        r"gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82}",
        4,
    ),
    (
        "gitlab",
        "GitLab token",
        "api-key",
        ("glpat-", "gldt-", "glrt-"),
        r"gl(?:pat|dt|rt)-[A-Za-z0-9_\-]{20,50}",
        6,
    ),
    (
        "aws_id",
        "AWS access key ID",
        "api-key",
        ("A3T", "AKIA", "ASIA", "ABIA", "ACCA"),
        r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}",
        4,
    ),
    ("google", "Google API key", "api-key", ("AIza",), r"AIza[0-9A-Za-z_\-]{35}", 4),
    (
        "google_oauth",
        "Google OAuth client secret",
        "api-key",
        ("GOCSPX-",),
        r"GOCSPX-[A-Za-z0-9_\-]{28}",
        7,
    ),
    (
        "slack",
        "Slack token",
        "api-key",
        ("xox", "xapp-"),
        r"xox[abposer]-(?:\d+-)*[0-9A-Za-z\-]{10,}|xapp-\d-[0-9A-Za-z\-]{20,}",
        5,
    ),
    (
        "slack_webhook",
        "Slack webhook URL",
        "api-key",
        ("https://hooks.slack.com/",),
        r"https://hooks\.slack\.com/(?:services|workflows)/T[A-Z0-9_]+/[A-Z0-9_]+/[A-Za-z0-9_]{16,}",
        24,
    ),
    ("stripe", "Stripe secret key", "api-key", ("k_live_",), r"[sr]k_live_[0-9A-Za-z]{20,247}", 8),
    (
        "sendgrid",
        "SendGrid API key",
        "api-key",
        ("SG.",),
        r"SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}",
        3,
    ),
    ("npm", "npm token", "api-key", ("npm_",), r"npm_[A-Za-z0-9]{36}", 4),
    ("pypi", "PyPI token", "api-key", ("pypi-AgE",), r"pypi-AgE[A-Za-z0-9_\-]{50,}", 5),
    (
        "jwt",
        "JSON Web Token",
        "json-web-token",
        ("eyJ",),
        r"eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{16,}",
        3,
    ),
    (
        "url",
        "password in a URL",
        "password-in-url",
        ("://",),
        r"://[^\s:/?#@'\"<>\[\]]{1,128}:([^\s/?#@'\"<>\[\]]{1,256})@(?=[A-Za-z0-9\[])",
        0,
    ),
    (
        "azure",
        "Azure storage account key",
        "api-key",
        ("AccountKey=",),
        r"AccountKey=([A-Za-z0-9+/]{86}==)",
        0,
    ),
)
COMPILED_SHAPES = tuple(
    (name, label, rule, prefixes, re.compile(pattern), keep)
    for name, label, rule, prefixes, pattern, keep in SHAPES
)
# Shapes that must not continue a longer token on the left or the right.
BOUNDED = frozenset(
    {
        "anthropic",
        "openai",
        "sk_generic",
        "huggingface",
        "github",
        "gitlab",
        "aws_id",
        "google",
        "google_oauth",
        "slack",
        "stripe",
        "sendgrid",
        "npm",
        "pypi",
        "jwt",
    }
)
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")

# Keyword-led shapes, run only when the text holds the keyword.
AWS_SECRET = re.compile(
    r"(?i:aws_?secret_?(?:access_?)?key|secret_?access_?key)[\"']?\s*(?:=|:|=>)\s*[\"']?"
    r"([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])"
)
# A 40-character secret access key written shortly after its access key id.
AWS_SECRET_NEAR_ID = re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
AWS_PAIR_DISTANCE = 200
CONNECTION_PASSWORD = re.compile(r"(?i:password|pwd)\s*=\s*([^;\"'\s]{1,128})(?=\s*;)")

# Prefixes that only name the kind of key; a masked excerpt may show them.
PUBLIC_PREFIXES = tuple(
    sorted(
        (
            "sk-proj-",
            "sk-svcacct-",
            "sk-admin-",
            "sk-None-",
            "sk-ant-api03-",
            "sk-ant-admin01-",
            "sk-ant-",
            "github_pat_",
            "ghp_",
            "gho_",
            "ghu_",
            "ghs_",
            "ghr_",
            "glpat-",
            "gldt-",
            "glrt-",
            "xoxb-",
            "xoxp-",
            "xoxa-",
            "xoxo-",
            "xoxs-",
            "xoxr-",
            "xoxe-",
            "xapp-",
            "sk_live_",
            "rk_live_",
            "npm_",
            "pypi-",
            "hf_",
            "api_org_",
            "GOCSPX-",
            "SG.",
            "eyJ",
        ),
        key=len,
        reverse=True,
    )
)
# jwt.io's example token, reproduced in countless tutorials.
_JWT_EXAMPLE_CLAIMS = {"sub": "1234567890", "name": "John Doe"}


def public_prefix(value: str, default: int) -> int:
    for prefix in PUBLIC_PREFIXES:
        if value.startswith(prefix):
            return len(prefix)
    return default


def bounded(text: str, start: int, end: int) -> bool:
    """The match is not the middle of a longer token."""
    if start > 0 and text[start - 1] in _TOKEN_CHARS:
        return False
    return end >= len(text) or text[end] not in _TOKEN_CHARS


def valid_jwt(token: str) -> bool:
    """A JWT by shape: three base64url parts whose header decodes to a JSON object with an
    `alg`, and a signature. The payload need not decode (it may be compressed or nested); only
    jwt.io's well-known example claims are skipped."""
    parts = token.split(".")
    if len(parts) != 3 or len(parts[2]) < 16:
        return False
    try:
        header = orjson.loads(b64url(parts[0]))
    except (ValueError, binascii.Error, orjson.JSONDecodeError):
        return False
    if not isinstance(header, dict) or "alg" not in header:
        return False
    try:
        payload = orjson.loads(b64url(parts[1]))
    except (ValueError, binascii.Error, orjson.JSONDecodeError):
        return True
    if not isinstance(payload, dict):
        return True
    return any(payload.get(key) != value for key, value in _JWT_EXAMPLE_CLAIMS.items())


def b64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def random_enough(value: str) -> bool:
    """A provider-shaped value random enough to be a real key, not a placeholder."""
    if looks_fake(value) or "EXAMPLE" in value:
        return False
    has_digit = any(char.isdigit() for char in value)
    has_alpha = any(char.isalpha() for char in value)
    if not (has_digit and has_alpha) and len(value) < 30:
        return False
    return random_looking(value, 0.75)


# Public key material looks random but is published on purpose: the body of a PEM public key,
# certificate or CRL block, an OpenSSH public key line (`ssh-ed25519 AAAA… user@host`) and a
# Stripe publishable key (`pk_live_…`, embedded in web pages by design). Generic tokens inside
# it are not high-entropy secrets.
_PUBLIC_KEY_MATERIAL = re.compile(
    r"-----BEGIN (?P<label>(?:RSA |EC |DSA |PGP )?PUBLIC KEY(?: BLOCK)?"
    r"|(?:TRUSTED |NEW )?CERTIFICATE(?: REQUEST)?|X509 CRL)-----"
    r"\s*(?:[\w-]+:[^\n]*\n)*[A-Za-z0-9+/=\s]*-----END (?P=label)-----"
    r"|(?<![\w-])(?:ssh-(?:rsa|dss|ed25519|ed448)|ecdsa-sha2-nistp(?:256|384|521)"
    r"|sk-(?:ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) AAAA[A-Za-z0-9+/]+={0,2}"
    r"|(?<![\w-])pk_(?:live|test)_[A-Za-z0-9]{16,}"
)


def public_key_spans(text: str) -> list[tuple[int, int]]:
    """Where `text` holds public key material (PEM public blocks, OpenSSH public keys, Stripe
    publishable keys)."""
    if "-----BEGIN " not in text and " AAAA" not in text and "pk_" not in text:
        return []
    return [match.span() for match in _PUBLIC_KEY_MATERIAL.finditer(text)]
