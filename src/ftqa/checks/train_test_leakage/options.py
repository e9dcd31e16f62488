"""The `train_test_leakage` checker's options and constants."""

from __future__ import annotations

from pydantic import Field

from ftqa.checker import Options
from ftqa.dedup import (
    Normalization,
    Scope,
)

TEXT_NORMALIZATION = Normalization(nfkc=True, casefold=True, whitespace=False)
TRAIN, VALIDATION = 0, 1
LISTED_TRAINING = 3


class TrainTestLeakageOptions(Options):
    scope: Scope = Field(
        "example",
        description="What is compared between validation and training rows: the whole "
        "`example`, its `prompt` side or its `response` side.",
    )
    near: bool = Field(
        True, description="Also report validation rows that near-duplicate training rows."
    )
    threshold: float = Field(
        0.55, gt=0.0, lt=1.0, description="Near-duplicate threshold (as `near_duplicates`)."
    )
    ngram: int = Field(2, ge=1, le=16, description="Words per shingle for near duplicates.")
    num_perm: int = Field(128, ge=16, le=1024, description="MinHash permutations per row.")
    reference_ngram: int = Field(
        13, ge=3, le=64, description="Words per n-gram compared with reference files."
    )
    reference_min_matches: int = Field(
        1, ge=1, description="Shared n-grams a training row needs to be reported."
    )
    reference_min_words: int = Field(
        8,
        ge=1,
        description="A text of fewer words gives no n-gram: a short common phrase (`2 weeks`, "
        "`The answer is 4`) is no evidence of contamination.",
    )
    reference_common_rows: int = Field(
        10,
        ge=1,
        description="An n-gram found in more reference rows than this is the benchmark's own "
        "template text (instructions, answer options), not an item, and is not compared.",
    )
    reference_memory_mb: int = Field(
        512,
        ge=16,
        description="Memory for training n-gram hashes; beyond it a hash-defined sample is kept.",
    )


REFERENCE_TEXT_CHARS = 64 << 20  # reference texts kept to show the shared words (evidence)
