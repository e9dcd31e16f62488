"""The outbound-text layer: every string that comes from a dataset and leaves ftqa passes here.

`outbound(text)` masks credentials and personal data with the same detectors the `secrets` and
`pii` checkers use (`ftqa.detect`), masks what is left of a token that an earlier cut split
(`… sk-proj-Ab3d…`), and makes control, bidi, zero-width and separator characters visible. The
result is plain text that is safe to print, store and render; each renderer adds its format's
escaping on top (`ftqa.render.safe`).

Where it is applied (chokepoints rather than call sites):
- every `Finding` (message, field, evidence, fix) through the model's validators, whoever
  builds it; `Checker.finding` clips evidence with `clip`, which masks before it cuts;
- every `Report` (statistics, recommendations, checker notes, cost) through its validators,
  and the per-example table when it is attached;
- chart labels, the `split` manifest, stderr messages, and change logs (`change_text`).
File paths only get `visible`: they are the user's own names and locate findings.

A masked credential keeps at most its public prefix (`sk-proj-…[redacted 100 chars]`); personal
data keeps the checker's masked form (`[email j…@gmail.com]`, `[card •••• 1881 (Visa)]`).
`outbound` is idempotent, and strings that cannot hold anything cost a few microseconds: a
byte-level pre-filter decides, and short strings are cached.
"""

from __future__ import annotations

import itertools
import re
import string
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Literal

from ftqa.detect.pii import default_pii_detector
from ftqa.detect.scan import replace_spans, utf8
from ftqa.detect.secret_shapes import PUBLIC_PREFIXES
from ftqa.detect.secrets import default_detector, may_hold_secret
from ftqa.text import (
    EXCERPT_CHARS,
    clean_text,
    show_hidden,
    token_safe_cut,
    token_safe_start,
)

# Strings up to this long are cached (findings repeat field paths, fixes and messages); the
# cache holds at most 32,768 of them, a few MB.
CACHED_CHARS = 256
# Context scanned on each side of a clipped window, so a credential that the window cuts is
# still recognised whole.
CONTEXT_CHARS = 1024
PII_PREFIX = {
    "email-address": "email ",
    "phone-number": "phone ",
    "card-number": "card ",
    "iban": "IBAN ",
    "ip-address": "IP ",
    "national-id": "",
}
CUT = "[…]"
STAT_EXCERPT_CHARS = 24

Span = tuple[int, int, str]


# Where a string may have been cut by whoever built it, so that a piece of a token sits there:
# "marks" only at `…` marks (and a piece with a key prefix or an `@` at the end), "tail" also
# at the end (text in statistics), "both" at both ends (excerpts: evidence, change logs).
Cuts = Literal["marks", "tail", "both"]


def outbound(text: str) -> str:
    """`text` safe to leave ftqa: secrets and personal data masked, the fragment of a token
    that touches a `…` cut mark masked, hidden characters visible."""
    return _dispatch(text, "marks")


def outbound_excerpt(text: str) -> str:
    """`outbound` for an excerpt (evidence, change-log sides): the start and end of the string
    are treated as cuts too, since whoever made the excerpt may have cut a token there."""
    return _dispatch(text, "both")


def _dispatch(text: str, cuts: Cuts) -> str:
    if len(text) <= CACHED_CHARS:
        return _cached(text, cuts)
    return _outbound(text, cuts)


@lru_cache(maxsize=1 << 15)
def _cached(text: str, cuts: Cuts) -> str:
    return _outbound(text, cuts)


def _outbound(text: str, cuts: Cuts) -> str:
    text = clean_text(text)
    spans = sensitive_spans(text)
    if spans:
        text = replace_spans(text, spans)
    return show_hidden(mask_cut_fragments(text, cuts))


def visible(text: str) -> str:
    """For names that locate findings (file paths): surrogates replaced and hidden characters
    made visible, nothing masked."""
    return show_hidden(clean_text(text))


def sensitive_spans(text: str) -> list[Span]:
    """(start, end, replacement) of every credential and personal-data item in `text`."""
    data = utf8(text)
    pii = default_pii_detector()
    if not may_hold_secret(text, data) and not pii.may_hold(text, data):
        if b"-----BEGIN" not in data:
            return []  # the common case: one encode, two byte translations, a few searches
        spans: list[Span] = []
        _key_bodies(text, spans)
        return spans
    spans = [
        (secret.start, secret.end, secret.masked(text))
        for secret in default_detector().find(text, data=data)
    ]
    for item in pii.find(text, data):
        if not any(start < item.end and item.start < end for start, end, _ in spans):
            spans.append((item.start, item.end, f"[{PII_PREFIX[item.rule]}{item.shown}]"))
    if "-----BEGIN" in text:
        _key_bodies(text, spans)
    return spans


_KEY_HEADER = re.compile(r"-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----")
_KEY_FOOTER = re.compile(r"-----END[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----")
_KEY_BODY = re.compile(r"[A-Za-z0-9+/=\s\\:,-]*")


def _key_bodies(text: str, spans: list[Span]) -> None:
    """Whatever follows a private-key header, up to its footer or the end of the text, even
    when a cut left too little of it for the detector to report (never shown, only masked)."""
    for header in _KEY_HEADER.finditer(text):
        start = header.end()
        footer = _KEY_FOOTER.search(text, start)
        end = footer.start() if footer is not None else _KEY_BODY.match(text, start).end()
        body = text[start:end]
        if not body.strip(" \n\r\t.…") or any(s < end and start < e for s, e, _ in spans):
            continue
        spans.append((start, end, f"…[redacted {end - start} chars]"))


def prefix_excerpt(text: str) -> str:
    """For text that is the start of something longer (a common prefix, a stored head): a last
    token that may have been cut is dropped before the text passes `outbound`, and `…` marks
    where; text that ends between tokens is kept whole."""
    cut = token_safe_cut(text + "a", len(text))  # "a" stands for whatever came next
    if cut == len(text):
        return outbound(text)
    return outbound(text[:cut] + "…")


def clip(text: str, limit: int = EXCERPT_CHARS) -> str:
    """An excerpt of the start of `text`, at most about `limit` characters, masked *before* it
    is cut (so a cut cannot leave a recognisable fragment of a secret)."""
    return window(text, 0, limit, limit)


def window(text: str, start: int, end: int, limit: int | None = None) -> str:
    """`text[start:end]` made safe: the window never starts or ends inside a token, a
    credential or personal-data item overlapping it is replaced whole (even where it reaches
    past the window), `…` marks a cut, and the result has at most `limit` characters (when
    given). Masking happens before cutting, so no cut can leave a fragment of a secret."""
    text = clean_text(text).replace("\r\n", "\n")
    start, end = max(0, start), min(len(text), end)
    low, high = max(0, start - CONTEXT_CHARS), min(len(text), end + CONTEXT_CHARS)
    region = text[low:high]
    spans = sorted(sensitive_spans(region))
    first, stop = start - low, end - low
    for span_start, span_end, _ in spans:
        if span_start < first < span_end:
            first = span_start  # the window starts inside a detected item: show it masked
        if span_start < stop < span_end:
            stop = span_end
    first = token_safe_start(region, first)
    stop = token_safe_cut(region, stop)
    pieces: list[str] = []
    masks: list[tuple[int, int]] = []  # where replacements sit in the output
    size = 0
    position = first
    for span_start, span_end, replacement in spans:
        if span_end <= position or span_start >= stop:
            continue
        if span_start > position:
            pieces.append(region[position:span_start])
            size += span_start - position
        pieces.append(replacement)
        masks.append((size, size + len(replacement)))
        size += len(replacement)
        position = span_end
    if position < stop:
        pieces.append(region[position:stop])
    body = "".join(pieces)
    tail_cut = low + max(position, stop) < len(text)
    if limit is not None and len(body) > limit:
        cut = token_safe_cut(body, limit - 1)
        for mask_start, mask_end in masks:
            if mask_start < cut < mask_end:
                cut = mask_start  # never half a mask
        body = body[:cut]
        tail_cut = True
    out = ("…" if low + first > 0 else "") + body + ("…" if tail_cut else "")
    return show_hidden(mask_cut_fragments(out, "marks"))


# A run of key characters that touches a cut mark `…` (or, for excerpts, the start or end).
_KEY = "-A-Za-z0-9_+/=.@%"
_BEFORE_MARK = re.compile(f"(?<![{_KEY}])([{_KEY}]{{8,}})(?=…)")
_AFTER_MARK = re.compile(f"(?<=…)([{_KEY}]{{8,}})")
_KEY_SET = "-" + string.ascii_letters + string.digits + "_+/=.@%"
_NUMBER_SET = string.digits + " ().+-"
_NUMBER_BEFORE_MARK = re.compile(r"(?<!\d)(?<!\d[ ().+-])\d[\d ().+-]{6,}\d(?=…)")
_NUMBER_AFTER_MARK = re.compile(r"(?<=…)\d[\d ().+-]{6,}\d")
_DIGIT = re.compile(r"\d")
_DATE = re.compile(r"(?:19|20)\d\d[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.](?:19|20)\d\d")
_KEY_PREFIXES = (
    "sk-",
    "sk_",
    "rk_",
    "ghp_",
    "gho_",
    "ghs_",
    "ghu_",
    "ghr_",
    "github_pat",
    "glpat",
    "xox",
    "xapp",
    "hf_",
    "AKIA",
    "ASIA",
    "AIza",
    "eyJ",
    "GOCSPX",
    "npm_",
    "pypi-",
    "SG.",
    "aws_secret",
)
_SHOWN_PREFIXES = frozenset(PUBLIC_PREFIXES)
# ftqa's own vocabulary that ends sentences in statistics (the tokenizer a count used): names,
# never pieces of a credential.
_OWN_NAMES = frozenset({"cl100k_base", "o200k_base", "p50k_base", "r50k_base", "o200k_harmony"})


def mask_cut_fragments(text: str, cuts: Cuts) -> str:
    """Masks a run of key characters next to a possible cut (see `Cuts`) that looks like a
    piece of a credential, an address or a number: an earlier cut may have split it, and a
    piece is too short for the detectors."""
    if len(text) < 8:
        return text
    if "…" in text:
        text = _BEFORE_MARK.sub(_fragment, text)
        text = _AFTER_MARK.sub(_fragment, text)
        if _DIGIT.search(text):  # (the number patterns match only \d digits)
            text = _NUMBER_BEFORE_MARK.sub(_number_fragment, text)
            text = _NUMBER_AFTER_MARK.sub(_number_fragment, text)
    return _edge_fragments(text, cuts)


def _edge_fragments(text: str, cuts: Cuts) -> str:
    """The run of key characters (or of a written number) at the end of `text` (and, for
    excerpts, at its start), when it looks like a piece of something the detectors would have
    masked whole. With "marks" only a piece with a key prefix or an `@` counts at the end."""
    tail = len(text) - len(text.rstrip(_KEY_SET))
    looks = fragment_like if cuts != "marks" else _keyed
    if tail == len(text):  # one run: the whole string
        return CUT if tail >= 8 and looks(text) else text
    if tail >= 8 and looks(text[-tail:]):
        text = text[:-tail] + CUT
    if cuts == "marks":
        return text
    if cuts == "both":
        head = len(text) - len(text.lstrip(_KEY_SET))
        if head >= 8 and fragment_like(text[:head]):
            text = CUT + text[head:]
        head_run = text[: len(text) - len(text.lstrip(_NUMBER_SET))].rstrip(" (.+-")
        if _number_like(head_run):
            text = CUT + text[len(head_run) :]
    tail_run = text[len(text.rstrip(_NUMBER_SET)) :].lstrip(" ).-")
    if _number_like(tail_run):
        text = text[: len(text) - len(tail_run)] + CUT
    return text


def _keyed(value: str) -> bool:
    """A piece that starts like a key or holds an `@`: no word or file name looks like that."""
    if value in _SHOWN_PREFIXES or value in _OWN_NAMES:
        return False
    return value.startswith(_KEY_PREFIXES) or "@" in value.strip("@")


def _number_like(run: str) -> bool:
    return sum(map(str.isdigit, run)) >= 7 and not _DATE.search(run)


def _fragment(match: re.Match[str]) -> str:
    value = match.group()
    return CUT if fragment_like(value) else value


def _number_fragment(match: re.Match[str]) -> str:
    value = match.group()
    if sum(map(str.isdigit, value)) < 7 or _DATE.search(value):
        return value
    return CUT


def fragment_like(value: str) -> bool:
    """A run that could be part of a key or an address: a known key prefix, an `@` inside, a
    mix of letters and digits, or letters in a random-looking mix of cases. A public prefix
    alone (`sk-proj-`, as masked values show it) is not."""
    if value in _SHOWN_PREFIXES or value in _OWN_NAMES:
        return False
    if _keyed(value):
        return True
    letters = sum(char.isalpha() for char in value)
    digits = sum(char.isdigit() for char in value)
    if letters >= 2 and digits >= 2:
        return True
    if letters < 8:
        return False
    changes = sum(
        1
        for a, b in itertools.pairwise(value)
        if a.isalpha() and b.isalpha() and a.islower() != b.islower()
    )
    return changes >= 3


def outbound_value(value: Any, excerpts: bool = False) -> Any:
    """`outbound` applied to every string inside a JSON-like value (dict keys too). Two keys
    that mask to the same text stay apart (`… (2)`), so no count is merged or lost. With
    `excerpts` (statistics), a long text of several words may be an excerpt its checker cut (a
    prompt scaffold, a system-prompt excerpt): its end is treated as a cut. Single tokens
    (labels, model ids, hashes) are values, never cut."""
    if isinstance(value, str):
        cut = (
            excerpts
            and len(value) >= STAT_EXCERPT_CHARS
            and not value.isspace()
            and (len(value.split(None, 1)) > 1)
        )
        return _dispatch(value, "tail" if cut else "marks")
    if isinstance(value, Mapping):
        out: dict[Any, Any] = {}
        for key, item in value.items():
            safe = outbound(key) if isinstance(key, str) else key
            if safe in out:
                safe = _distinct(safe, out)
            out[safe] = outbound_value(item, excerpts)
        return out
    if isinstance(value, (list, tuple)):
        return [outbound_value(item, excerpts) for item in value]
    return value


def _distinct(key: str, taken: Mapping[Any, Any]) -> str:
    number = 2
    while f"{key} ({number})" in taken:
        number += 1
    return f"{key} ({number})"


def change_text(text: str | None) -> str | None:
    """For change logs (`before` / `after` excerpts of a fix): the same treatment as evidence."""
    return None if text is None else outbound_excerpt(text)
