"""Shared duplicate-detection machinery: normalization, scopes, stable keys, word-shingle
hashing, MinHash LSH with verification, and union-find clustering.

Used by the `duplicates`, `near_duplicates` and `train_test_leakage` checkers and by
`ftqa split`; reusable by any checker that groups rows. A checker's `map` computes compact
per-row features through the dedup providers (`ftqa.providers.dedup`), its `reduce` keeps them in
arrays, and `finish` groups, e.g. "same prompt, different response":

    norm = Normalization()
    # map:
    prompt = provided(SCOPE_KEY, "prompt", norm, True)
    features = (prompt, provided(SCOPE_KEY, "response", norm, True))
    # reduce(key, features):
    log.add(key)
    prompts.add(features[0])
    responses.add(features[1])
    # finish:
    labels = prompts.labels()                          # rows with equal prompts share a label
    for members in differing_clusters(labels, responses.keys()):
        ...                                            # same prompt, different responses

For "near-same prompt", sign `provided(SCOPE_TEXT, "prompt", norm, False)` in `map`
(`shingle_hashes`, then `minhash.row_signatures`), add the bytes with
`SignatureIndex.add_signature` in `reduce`, and use `SignatureIndex.clusters().labels` instead
of `prompts.labels()`.
"""

from ftqa.dedup.cluster import (
    cluster_count,
    clusters,
    components,
    differing_clusters,
    exact_labels,
    merge,
)
from ftqa.dedup.index import KeyIndex, NearResult, RowLog, SignatureIndex
from ftqa.dedup.minhash import ENGINE, MinHashParams, lsh_shape
from ftqa.dedup.normalize import Normalization
from ftqa.dedup.scope import SCOPES, Scope, reference_text, scope_key, scope_parts, scope_text
from ftqa.dedup.shingles import shingle_hashes

__all__ = [
    "ENGINE",
    "SCOPES",
    "KeyIndex",
    "MinHashParams",
    "NearResult",
    "Normalization",
    "RowLog",
    "Scope",
    "SignatureIndex",
    "cluster_count",
    "clusters",
    "components",
    "differing_clusters",
    "exact_labels",
    "lsh_shape",
    "merge",
    "reference_text",
    "scope_key",
    "scope_parts",
    "scope_text",
    "shingle_hashes",
]
