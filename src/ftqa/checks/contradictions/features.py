"""The `contradictions` checker's per-row step: what one row tells the dataset-wide pass.

`row_features` is pure: it reads the record and the dedup providers and returns a plain tuple
(`RowFeatures`) of 16-byte keys and the texts the dataset-wide pass reads again (to sign and
embed prompts, to judge answers, to quote them). Those texts are clipped and pass the outbound
layer here, since features are cached on disk and sent between processes: the dataset-wide
pass judges and embeds the masked texts. Each prompt's MinHash signature is made here too, for
a batch of rows at once (`prompt_signatures`; one text at a time costs about four times as
much), so that it is computed in the worker processes and kept in the row cache instead of
being recomputed on the reduce side by every run.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

import numpy as np

from ftqa.checks.contradictions.edges import _key, _side_text
from ftqa.checks.contradictions.options import (
    EXCERPT,
    NORM,
    NUM_PERM,
    PROMPT_CHARS,
    RESPONSE_CHARS,
    RESPONSE_TAIL,
    SYSTEM_ROLES,
    ContradictionsOptions,
)
from ftqa.dedup import minhash
from ftqa.dedup.shingles import shingle_hashes
from ftqa.outbound import outbound
from ftqa.providers import Provided
from ftqa.providers.dedup import SCOPE_KEY, SCOPE_PARTS
from ftqa.records import Record
from ftqa.semantic.questions import WORD_RE

ANSWER, CLASSIFICATION, PREFERENCE = 0, 1, 2
SIGNATURE_SEED = 1
NEEDS = (SCOPE_KEY, SCOPE_PARTS)


class RowFeatures(NamedTuple):
    """One row's features, sent as a plain tuple (field order is the wire format)."""

    kind: int  # ANSWER, CLASSIFICATION or PREFERENCE
    prompt_key: bytes  # normalized prompt (with the system prompt when `include_system`)
    response_key: bytes | None
    rejected_key: bytes | None  # preference rows only
    system: bytes | None  # key of the system prompt when `include_system`, else None
    has_prompt: bool  # the user turn holds text (not only a system prompt)
    label: bytes | None  # answer rows: key of a short completion; None when it cannot be a label
    prompt: str  # user turns, clipped, masked
    response: str  # the answer's start and end, clipped, masked
    rejected: str  # preference rows: the rejected answer's start, masked
    prompt_words: int  # words in the user turns, at most 255 (the semantic tier needs a few)
    prompt_signature: bytes = b""  # MinHash of the normalized prompt's words; b"": no words


def prompt_signatures(rows: list[RowFeatures]) -> list[RowFeatures]:
    """The rows with their prompts' MinHash signatures, made in one vectorized batch."""
    if not rows:
        return rows
    flat, offsets = shingle_hashes([NORM(row.prompt) for row in rows], 1)
    signed = minhash.signatures(flat, offsets, NUM_PERM, SIGNATURE_SEED)
    has = np.diff(offsets) > 0
    return [
        row._replace(prompt_signature=signature.tobytes() if present else b"")
        for row, signature, present in zip(rows, signed, has.tolist(), strict=True)
    ]


def row_features(
    record: Record, provided: Provided, options: ContradictionsOptions
) -> RowFeatures | None:
    if record.split not in ("train", "validation"):
        return None
    include_system = options.include_system
    prompt_key = provided(SCOPE_KEY, "prompt", NORM, include_system)
    if prompt_key is None:
        return None
    rejected = ""
    if record.chosen is not None:
        kind = PREFERENCE
        response = _side_text(record.chosen)
        rejected = _side_text(record.rejected or [])
    elif record.text is not None and not record.messages:
        kind = CLASSIFICATION
        response = record.label or ""
    else:
        kind = ANSWER
        parts = provided(SCOPE_PARTS, "response", True)
        response = "\n".join(text for tag, text in parts if tag == "assistant")
    user = "\n".join(text for _, text in provided(SCOPE_PARTS, "prompt", False))
    short = len(response) <= options.label_max_chars
    return RowFeatures(
        kind=kind,
        prompt_key=prompt_key,
        response_key=_key(response, normalize=kind == PREFERENCE or short),
        rejected_key=_key(rejected, normalize=True) if kind == PREFERENCE else None,
        system=_system_key(provided(SCOPE_PARTS, "prompt", True)) if include_system else None,
        has_prompt=bool(user.strip()),
        label=_label_key(response, options.label_max_chars) if kind == ANSWER else None,
        prompt=masked(user, PROMPT_CHARS),
        response=masked(response, RESPONSE_CHARS, RESPONSE_TAIL),
        rejected=masked(rejected, EXCERPT * 2) if kind == PREFERENCE else "",
        prompt_words=_word_count(user),
    )


def _word_count(text: str, cap: int = 255) -> int:
    count = 0
    for _ in WORD_RE.finditer(text):
        count += 1
        if count == cap:
            break
    return count


def masked(text: str, limit: int, tail: int = 0) -> str:
    """`text` safe to store and send: at most `limit` characters (its start, and its last
    `tail` characters when given, as `ftqa.semantic.TextStore` keeps them), each cut marked
    with `…` so the outbound layer masks a token the cut split."""
    if len(text) <= limit:
        return outbound(text)
    head = outbound(text[: limit - tail] + "…")
    return head + "\n" + outbound("…" + text[-tail:]) if tail else head


def _system_key(parts: list[tuple[str, str]]) -> bytes:
    digest = hashlib.blake2b(digest_size=16, person=b"ftqa-contra-sys")
    for tag, text in parts:
        if tag in SYSTEM_ROLES:
            digest.update(tag.encode() + b"\x1f" + NORM(text).encode("utf-8", "surrogatepass"))
    return digest.digest()


def _label_key(response: str, max_chars: int) -> bytes | None:
    """Key of a completion that may be a label (short, not empty), else None."""
    stripped = response.strip()
    if not stripped or len(stripped) > max_chars:
        return None
    return hashlib.blake2b(
        NORM(stripped).encode("utf-8", "surrogatepass"), digest_size=16, person=b"ftqa-label"
    ).digest()
