"""Finding credentials in one string: provider key shapes, keyword-led shapes, detect-secrets'
plugins and a generic high-entropy test, resolved so that overlapping detections keep the most
specific one.

Every string first goes through a byte-level pre-filter: only strings that can hold a credential
at all (a run of 20+ key characters, `://…@`, a credential keyword next to `=` or `:`) are
scanned further. The detector is pure: the same text and settings give the same result. The
`secrets` checker and the outbound-text layer (`ftqa.outbound`) both use it.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Protocol

from ftqa.detect.entropy import identifier, random_looking, wordy
from ftqa.detect.placeholders import looks_fake, real_password
from ftqa.detect.scan import TOKEN_TABLE, non_overlapping, utf8
from ftqa.detect.secret_plugins import (
    detect_secrets,
    keyword_lines,
    keyword_secrets,
    merged_windows,
    plugin_secrets,
)
from ftqa.detect.secret_shapes import (
    AWS_PAIR_DISTANCE,
    AWS_SECRET,
    AWS_SECRET_NEAR_ID,
    BOUNDED,
    COMPILED_SHAPES,
    CONNECTION_PASSWORD,
    Secret,
    bounded,
    public_key_spans,
    public_prefix,
    random_enough,
    valid_jwt,
)

# Detection priority when two detections overlap: the more specific one wins.
RULE_PRIORITY = {
    rule: index
    for index, rule in enumerate(
        (
            "api-key",
            "private-key",
            "json-web-token",
            "password-in-url",
            "hardcoded-password",
            "high-entropy-string",
        )
    )
}


class SecretSettings(Protocol):
    """What the detector reads from the `secrets` checker's options."""

    @property
    def allow(self) -> list[str]: ...
    @property
    def entropy_min_length(self) -> int: ...
    @property
    def entropy_standalone_length(self) -> int: ...
    @property
    def entropy_ratio(self) -> float: ...
    @property
    def high_entropy(self) -> bool: ...
    @property
    def detect_secrets(self) -> bool: ...


@dataclass(frozen=True)
class DefaultSecretSettings:
    """The `secrets` checker's defaults, for users of the detector outside the checker."""

    allow: list[str] = field(default_factory=list)
    entropy_min_length: int = 20
    entropy_standalone_length: int = 32
    entropy_ratio: float = 0.9
    high_entropy: bool = True
    detect_secrets: bool = True


_KEYLIKE_RUN = r"(?<![A-Za-z0-9+/_\-])[A-Za-z0-9+/_\-]{%d,}={0,2}(?![A-Za-z0-9+/_\-=])"

_KEYWORD_CONTEXT = re.compile(
    r"(?i:key|token|secret|passw|pwd|auth|bearer|credential|signature|cookie|apikey)"
)
_DIGEST_CONTEXT = re.compile(
    r"(?i:sha\d*|md5|digest|hash|checksum|integrity|etag|commit|base64|data:[\w/+.-]+;base64)"
    r"[\s\"':=,-]*$"
)

_RUN = b"a" * 20
_KEYWORD_BYTES = (b"key", b"pass", b"pwd", b"secret", b"contrase")


def may_hold_secret(text: str, data: bytes | None = None) -> bool:
    """Cheap test: False when `text` (`data` is its UTF-8) cannot hold anything the detectors
    look for. Every key shape, JWT and private-key body has a run of 20+ key characters."""
    if data is None:
        data = utf8(text)
    if _RUN in data.translate(TOKEN_TABLE):
        return True
    if b"@" in data and b"://" in data:
        return True
    if b"=" in data or b":" in data:
        lowered = data.lower()
        return any(keyword in lowered for keyword in _KEYWORD_BYTES)
    return False


class SecretDetector:
    """Finds credentials in one string. Pure: the same text and options give the same result."""

    def __init__(self, options: SecretSettings) -> None:
        self.options = options
        self._allow = [re.compile(pattern) for pattern in options.allow]
        self._token = re.compile(_KEYLIKE_RUN % options.entropy_min_length)
        self._run = re.compile(b"a" * options.entropy_min_length + b"a*")

    def find(self, text: str, structural: bool = False, data: bytes | None = None) -> list[Secret]:
        if not may_hold_secret(text, data):
            return []
        found: list[Secret] = []
        ignored = public_key_spans(text)
        self._shapes(text, found, ignored)
        self._keyword_shapes(text, found)
        windows: list[tuple[int, int]] = []
        self._tokens(text, found, windows, structural, ignored)
        if self.options.detect_secrets:
            pieces = list(merged_windows(windows))
            lines = list(keyword_lines(text))
            # Importing detect-secrets costs about 0.1 s: only when it has something to look at.
            tools = detect_secrets() if pieces or lines else None
            if tools is not None:
                for start, end in pieces:
                    plugin_secrets(tools, text, start, end, found)
                keyword_secrets(tools, lines, found)
        return self._resolve(text, found)

    # -- shapes -------------------------------------------------------------------------------

    def _shapes(self, text: str, found: list[Secret], ignored: list[tuple[int, int]]) -> None:
        """Provider shapes; the spans of shapes that turn out to be examples or placeholders go
        to `ignored`, so their pieces are not reported as generic tokens either."""
        for name, label, rule, prefixes, pattern, keep in COMPILED_SHAPES:
            for prefix in prefixes:
                if prefix in text:
                    break
            else:
                continue
            for match in pattern.finditer(text):
                if name in BOUNDED and not bounded(text, *match.span()):
                    continue
                start, end = match.span(1) if pattern.groups else match.span()
                value = text[start:end]
                if not self._plausible(name, rule, value):
                    ignored.append(match.span())
                    continue
                shown = public_prefix(value, keep)
                if name == "pem":
                    shown = value.find("-----", 10) + 5  # the BEGIN line is not secret
                found.append(Secret(rule, label, start, end, shown))
                if name == "aws_id":
                    _paired_aws_secret(text, end, found)

    def _keyword_shapes(self, text: str, found: list[Secret]) -> None:
        lowered = text.lower()
        if "secret" in lowered:
            for match in AWS_SECRET.finditer(text):
                value = match.group(1)
                if random_enough(value):
                    found.append(Secret("api-key", "AWS secret access key", *match.span(1)))
        if ";" in text and ("password" in lowered or "pwd" in lowered):
            for match in CONNECTION_PASSWORD.finditer(text):
                start = match.start()
                if start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
                    continue
                if real_password(match.group(1)):
                    found.append(
                        Secret("password-in-url", "password in a connection string", *match.span(1))
                    )

    def _plausible(self, name: str, rule: str, value: str) -> bool:
        if name == "pem":
            body = re.search(r"[A-Za-z0-9+/=]{40,}", value)
            return body is not None and len(set(body.group())) >= 12
        if name == "jwt":
            return valid_jwt(value)
        if rule == "password-in-url":
            return real_password(value)
        if looks_fake(value) or value.upper().endswith("EXAMPLE") or "EXAMPLE" in value:
            return False
        tail = value[-20:]
        return len(set(tail)) >= 8

    # -- generic tokens -----------------------------------------------------------------------

    def _tokens(
        self,
        text: str,
        found: list[Secret],
        windows: list[tuple[int, int]],
        structural: bool,
        ignored: list[tuple[int, int]],
    ) -> None:
        options = self.options
        minimum = options.entropy_min_length
        inside = _Intervals(ignored)
        for start, end in self._token_spans(text):
            if inside.covers(start, end):
                continue
            value = text[start:end]
            while end < len(text) and end - start - len(value) < 2 and text[end] == "=":
                end += 1  # base64 padding belongs to the token
            if len(value) < minimum or len(value) > 256:
                continue
            digits = sum(map(str.isdigit, value))
            if not digits or digits == len(value):
                continue
            windows.append((max(0, start - 100), min(len(text), end + 100)))
            if structural or not options.high_entropy:
                continue
            if self._high_entropy(text, start, value, digits):
                found.append(Secret("high-entropy-string", "high-entropy string", start, end, 0))

    def _token_spans(self, text: str) -> Iterator[tuple[int, int]]:
        """Runs of key characters (letters, digits, `+/_-`) at least `entropy-min-length`
        long. ASCII text is classified with `bytes.translate` and searched for a literal run,
        several times faster than a character-class pattern; offsets are the same."""
        if text.isascii():
            for match in self._run.finditer(text.encode().translate(TOKEN_TABLE)):
                yield match.span()
        else:
            for match in self._token.finditer(text):
                start, end = match.span()
                yield start, end - (len(match.group()) - len(match.group().rstrip("=")))

    def _high_entropy(self, text: str, start: int, value: str, digits: int) -> bool:
        options = self.options
        line_start = text.rfind("\n", 0, start) + 1
        before = text[max(line_start, start - 40) : start]
        if _DIGEST_CONTEXT.search(before):
            return False
        has_keyword = _KEYWORD_CONTEXT.search(before) is not None
        upper = any(char.isupper() for char in value)
        lower = any(char.islower() for char in value)
        if not has_keyword:
            if len(value) < options.entropy_standalone_length or not (upper and lower):
                return False
            if digits < 2:
                return False
        if "/" in value and value.count("/") >= 2 and not has_keyword:
            return False  # a path
        if wordy(value) or identifier(value) or looks_fake(value):
            return False
        if not random_looking(value, options.entropy_ratio):
            return False
        tools = detect_secrets() if options.detect_secrets else None
        if tools is not None:
            heuristic = tools.filters
            if heuristic.is_sequential_string(value) or heuristic.is_potential_uuid(value):
                return False
        return True

    # -- resolution ---------------------------------------------------------------------------

    def _resolve(self, text: str, found: list[Secret]) -> list[Secret]:
        """Drop allowed values and detections overlapping a more specific one."""
        if self._allow:
            found = [
                secret
                for secret in found
                if not any(p.fullmatch(text[secret.start : secret.end]) for p in self._allow)
            ]
        return non_overlapping(found, lambda s: (RULE_PRIORITY[s.rule], s.start, s.start - s.end))


# detect-secrets' plugins look at no more than this much key-like text per string (ftqa's own


def _paired_aws_secret(text: str, after: int, found: list[Secret]) -> None:
    """The 40-character secret access key written shortly after its access key id, with or
    without a keyword (`AKIA… / wJalr…`)."""
    stop = min(len(text), after + AWS_PAIR_DISTANCE)
    match = AWS_SECRET_NEAR_ID.search(text, after, stop + 40)
    if match is not None and match.start() < stop and random_enough(match.group()):
        found.append(Secret("api-key", "AWS secret access key", *match.span()))


class _Intervals:
    """Disjoint sorted intervals with a bisect lookup."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        merged: list[list[int]] = []
        for start, end in sorted(spans):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self.starts = [start for start, _ in merged]
        self.ends = [end for _, end in merged]

    def covers(self, start: int, end: int) -> bool:
        if not self.starts:
            return False
        index = bisect_right(self.starts, start) - 1
        return index >= 0 and end <= self.ends[index]


@cache
def default_detector() -> SecretDetector:
    return SecretDetector(DefaultSecretSettings())


def find_secrets(text: str) -> list[Secret]:
    """Credentials in `text` with the default settings."""
    return default_detector().find(text)


def secret_spans(text: str) -> list[tuple[int, int]]:
    """Where the credentials in `text` are (default settings)."""
    return [(secret.start, secret.end) for secret in find_secrets(text)]
