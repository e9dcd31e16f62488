"""detect-secrets' regex plugins (Artifactory, Azure, Cloudant, Discord, IBM, Mailchimp,
Twilio, …) and its `KeywordDetector`, loaded on first use (importing detect-secrets takes about
0.2 s), run on the short windows around key-like tokens and on the lines that assign a
credential-named variable. Every value they return passes ftqa's own plausibility tests
(random enough, not a placeholder, a JWT by shape) before it counts.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from ftqa.detect.placeholders import real_password
from ftqa.detect.secret_shapes import Secret, random_enough, valid_jwt

_REGEX_PLUGINS = (
    ("artifactory", "ArtifactoryDetector", "Artifactory token"),
    ("aws", "AWSKeyDetector", "AWS key"),
    ("azure_storage_key", "AzureStorageKeyDetector", "Azure storage account key"),
    ("basic_auth", "BasicAuthDetector", "password in a URL"),
    ("cloudant", "CloudantDetector", "Cloudant credentials"),
    ("discord", "DiscordBotTokenDetector", "Discord bot token"),
    ("github_token", "GitHubTokenDetector", "GitHub token"),
    ("gitlab_token", "GitLabTokenDetector", "GitLab token"),
    ("ibm_cloud_iam", "IbmCloudIamDetector", "IBM Cloud IAM key"),
    ("ibm_cos_hmac", "IbmCosHmacDetector", "IBM COS HMAC credentials"),
    ("jwt", "JwtTokenDetector", "JSON Web Token"),
    ("mailchimp", "MailchimpDetector", "Mailchimp API key"),
    ("npm", "NpmDetector", "npm token"),
    ("openai", "OpenAIDetector", "OpenAI API key"),
    ("pypi_token", "PypiTokenDetector", "PyPI token"),
    ("sendgrid", "SendGridDetector", "SendGrid API key"),
    ("slack", "SlackDetector", "Slack token"),
    ("softlayer", "SoftlayerDetector", "SoftLayer credentials"),
    ("square_oauth", "SquareOAuthDetector", "Square OAuth secret"),
    ("stripe", "StripeDetector", "Stripe secret key"),
    ("telegram_token", "TelegramBotTokenDetector", "Telegram bot token"),
    ("twilio", "TwilioKeyDetector", "Twilio API key"),
)
_RULES = {"BasicAuthDetector": "password-in-url", "JwtTokenDetector": "json-web-token"}


@dataclass
class DetectSecrets:
    plugins: list[tuple[Any, str, str]]
    keyword: Any
    keyword_groups: tuple[dict[Any, int], ...]
    filters: Any


@cache
def detect_secrets() -> DetectSecrets | None:
    """detect-secrets' plugins and heuristics, or None when it is not installed."""

    try:
        from detect_secrets.filters import heuristic
        from detect_secrets.plugins import keyword
    except ImportError:  # pragma: no cover - detect-secrets is a dependency
        return None
    plugins = []
    for module_name, class_name, label in _REGEX_PLUGINS:
        try:
            module = importlib.import_module(f"detect_secrets.plugins.{module_name}")
            plugin = getattr(module, class_name)()
        except (ImportError, AttributeError, TypeError):  # pragma: no cover - renamed upstream
            continue
        plugins.append((plugin, label, _RULES.get(class_name, "api-key")))
    return DetectSecrets(
        plugins=plugins,
        keyword=keyword.KeywordDetector(),
        keyword_groups=(
            keyword.QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP,
            keyword.CONFIG_DENYLIST_REGEX_TO_GROUP,
        ),
        filters=heuristic,
    )


KEYWORDS = ("key", "pass", "pwd", "secret", "contrase")
KEYWORD_LINE = re.compile(
    r"(?i:api_?key|auth_?key|service_?key|account_?key|db_?key|database_?key|priv_?key"
    r"|private_?key|client_?key|db_?pass|database_?pass|key_?pass|password|passwd|pwd|secret"
    r"|contraseña|contrasena)\w*[\]'\"]{0,2}\s*(?::=|=>|[:=!]=?)"
)

# A dotted or plain identifier without digits: a variable or attribute, not a literal secret.
_REFERENCE = re.compile(r"[A-Za-z_][A-Za-z_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")

# detect-secrets' plugins look at no more than this much key-like text per string (ftqa's own
# shapes and the entropy test always cover the whole string).
PLUGIN_BUDGET = 64_000
PLUGIN_WINDOW = 4_000


def plugin_secrets(
    tools: DetectSecrets, text: str, start: int, end: int, found: list[Secret]
) -> None:
    """The regex plugins on `text[start:end]`; what they find is appended to `found`."""
    window = text[start:end]
    for plugin, label, rule in tools.plugins:
        try:
            values = list(plugin.analyze_string(window))
        except (TypeError, ValueError, re.error):  # pragma: no cover - plugin API drift
            continue
        for value in values:
            if not isinstance(value, str) or len(value) < 8:
                continue
            if rule == "api-key" and not random_enough(value):
                continue
            if rule == "password-in-url" and not real_password(value):
                continue
            if rule == "json-web-token" and not valid_jwt(value):
                continue
            if label == "Twilio API key" and value.startswith("AC"):
                continue  # an account SID, which is an identifier, not a secret
            position = window.find(value)
            while position >= 0:
                found.append(Secret(rule, label, start + position, start + position + len(value)))
                position = window.find(value, position + len(value))


def keyword_secrets(
    tools: DetectSecrets, lines: list[tuple[int, str]], found: list[Secret]
) -> None:
    """detect-secrets' KeywordDetector on each line that assigns a credential-named variable
    (`keyword_lines`: found by substring search, the regex only runs on them)."""
    for line_start, line in lines:
        if tools.filters.is_indirect_reference(line):
            continue
        values: list[str] = []
        for group in tools.keyword_groups:
            try:
                values.extend(tools.keyword.analyze_string(line, group))
            except (TypeError, ValueError, re.error):  # pragma: no cover - API drift
                continue
        for value in dict.fromkeys(values):
            if not isinstance(value, str) or not _keyword_value(tools, value.strip(), line):
                continue
            position = line.find(value.strip())
            if position >= 0:
                begin = line_start + position
                found.append(
                    Secret(
                        "hardcoded-password",
                        "hard-coded password or secret",
                        begin,
                        begin + len(value.strip()),
                    )
                )


def _keyword_value(tools: DetectSecrets, value: str, line: str) -> bool:
    heuristic = tools.filters
    position = line.find(value)
    quoted = position > 0 and line[position - 1] in "'\"`"
    if not quoted and _REFERENCE.fullmatch(value):
        return False  # `pwd = self.pwd`, `passwd = password_mgr`: a name, not a literal
    return (
        real_password(value)
        and not heuristic.is_templated_secret(value)
        and not heuristic.is_prefixed_with_dollar_sign(value)
        and not heuristic.is_likely_id_string(value, line, None)
    )


def merged_windows(windows: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """Overlapping windows merged, split into pieces of at most PLUGIN_WINDOW characters,
    within PLUGIN_BUDGET characters in all."""
    budget = PLUGIN_BUDGET
    current: tuple[int, int] | None = None
    pieces: list[tuple[int, int]] = []
    for start, end in windows:
        if current is not None and start <= current[1]:
            current = (current[0], max(current[1], end))
            continue
        if current is not None:
            pieces.append(current)
        current = (start, end)
    if current is not None:
        pieces.append(current)
    for start, end in pieces:
        while start < end and budget > 0:
            stop = min(end, start + PLUGIN_WINDOW, start + budget)
            yield start, stop
            budget -= stop - start
            # Overlap the next piece so a token cut at the border is seen whole.
            start = stop - 200 if stop < end else stop
        if budget <= 0:
            return


def keyword_lines(text: str) -> Iterator[tuple[int, str]]:
    """(start, line) of each line holding a credential keyword followed by an assignment."""
    lowered = text.lower()
    starts: set[int] = set()
    for keyword in KEYWORDS:
        position = lowered.find(keyword)
        while position >= 0 and len(starts) < 200:
            starts.add(text.rfind("\n", 0, position) + 1)
            position = lowered.find(keyword, position + len(keyword))
    for line_start in sorted(starts):
        line_end = text.find("\n", line_start)
        line = text[line_start : line_end if line_end >= 0 else len(text)][:2000]
        if KEYWORD_LINE.search(line):
            yield line_start, line
