"""One row's side of the `near_duplicates` checker: what `map` reads of a row, and its shingles."""

from __future__ import annotations

import hashlib
from typing import NamedTuple

import numpy as np

from ftqa.dedup import Normalization
from ftqa.dedup.shingles import shingle_hashes
from ftqa.providers import Provided
from ftqa.providers.dedup import NORMALIZED_TEXT
from ftqa.records import Record

TEXT_NORMALIZATION = Normalization(nfkc=True, casefold=True, whitespace=False)
EXACT_NORMALIZATION = Normalization()  # the duplicates checker's defaults
NO_SHINGLES = np.zeros(0, dtype=np.uint64)


class PreparedRow(NamedTuple):
    """What `map` reads of one row before the batch is shingled and signed."""

    text: str
    prompt: tuple[bytes | None, str]  # (exact key, normalized text)
    answer: tuple[bytes | None, str]
    excerpt: str
    example_key: bytes | None
    semantic: str | None


def shingles(texts: list[str], ngram: int) -> list[np.ndarray]:
    """Each text's shingle hashes (rows without text, common in some files, cost no numpy)."""
    if not any(texts):
        return [NO_SHINGLES] * len(texts)
    flat, offsets = shingle_hashes(texts, ngram)
    return [flat[offsets[index] : offsets[index + 1]] for index in range(len(texts))]


def plain_text_sides(
    record: Record, provided: Provided
) -> tuple[tuple[bytes, str], tuple[bytes, str]] | None:
    """A plain text row of several lines ends with what it teaches: its last line is the answer
    side and the line before it the prompt side. Rows that share a long template (a table
    schema, a task preamble) and differ in a short question and its answer then differ on a
    side, as structured rows do; a reworded copy agrees on both."""
    if record.text is None or record.messages or record.chosen is not None or record.label:
        return None
    lines = [line for line in record.text.splitlines() if line.strip()]
    if len(lines) < 2:
        return None
    sides = []
    for part in lines[-2:]:
        text = provided(NORMALIZED_TEXT, part, TEXT_NORMALIZATION)
        sides.append((hashlib.blake2b(text.encode(), digest_size=16).digest(), text))
    return sides[0], sides[1]
