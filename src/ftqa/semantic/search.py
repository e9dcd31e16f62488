"""Semantic candidate search and re-scoring, shared by `contradictions` and `near_duplicates`.

Two paths, chosen by how many texts there are:

- **small** (at most `precise_limit` texts): every text is embedded with the precise model and
  every pair is compared exactly. Nothing is distilled.
- **large**: every text is embedded with the static model (shipped with ftqa, see
  `ftqa.semantic.packaged`); vectors are centred on their mean
  (static sentence vectors share a large common component: on our benchmark prompts two unrelated
  texts have a median cosine of 0.78 before centring and 0.00 after) and re-normalized; each
  text's nearest neighbours above `search_threshold` come from the inverted-file search
  (`ftqa.semantic.neighbors`). Only the candidates a caller keeps are then re-scored with the
  precise model, at most `max_precise_texts` texts per run (the rest stay unconfirmed and are
  counted in the stats).

Without the `semantic` extra (no torch) only the static model runs: every search takes the large
path (from `CENTRE_MIN` texts; fewer are skipped, with the reason in the stats) and
`precise_similarity` answers with the centred static cosine of pairs of searched texts, which
callers compare with their precise threshold. Measured on the generator's 10k-row file
(`benchmarks/bench_contradictions.py --python <base install>`): planted paraphrases score 0.69
at the lowest (median 0.86), random prompt pairs 0.46 at the 99.9th percentile; at contradictions'
0.85 recall and precision are both 1.0 (20/20 paraphrases), and lowering it to 0.7 adds one
false pair and no planted one.

Both models' vectors are cached on disk by model and text, so a re-run embeds only new texts;
the cache is bounded (`ftqa.semantic.eviction`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ftqa.semantic.embed import Embedder, Model
from ftqa.semantic.eviction import CacheBound
from ftqa.semantic.models import (
    INSTALL_COMMAND,
    PreciseModel,
    SemanticUnavailable,
    StaticModel,
    ensure_static_model,
    static_unavailable_reason,
    unavailable_reason,
)
from ftqa.semantic.neighbors import SEARCH_PARAMETERS, CentredVectors, similar_pairs
from ftqa.semantic.packaged import PACKAGED_NAME, packaged_static_dir
from ftqa.semantic.pair_cache import PairCache, search_digest
from ftqa.semantic.paths import cache_root
from ftqa.semantic.questions import question, veto
from ftqa.spill import TextStore, as_store
from ftqa.user_cache import embedding_cache_max_mb

CENTRE_MIN = 256


@dataclass(frozen=True)
class SemanticSettings:
    """How the semantic tier runs; every field has a documented default (docs/semantic.md)."""

    model: str | None = None  # a local sentence-transformers directory; None: all-MiniLM-L6-v2
    static_model: str | None = None  # a local model2vec directory; None: distilled from `model`
    cache_dir: str | None = None  # None: FTQA_CACHE_DIR, else ~/.cache/ftqa
    cache: bool = True  # keep embeddings on disk between runs
    cache_max_mb: int | None = None  # bound of the cache; None: FTQA_EMBEDDING_CACHE_MAX_MB or 2048
    precise_limit: int = 500
    max_precise_texts: int = 3000
    search_threshold: float = 0.7
    neighbours: int = 10
    distill_remove: str | None = None  # vocabulary regex left out of the distillation (tests)


@dataclass
class Semantic:
    """The models, caches and counters of one run; models load on first use."""

    settings: SemanticSettings = field(default_factory=SemanticSettings)
    _precise: Embedder | None = None
    _static: Embedder | None = None
    built_seconds: float = 0.0
    unconfirmed: int = 0
    path_used: str = ""
    search_seconds: float = 0.0
    search_cached: bool = False  # the neighbour search's result came from the pair cache
    notes: list[str] = field(default_factory=list)

    _searched: tuple[TextStore, np.ndarray, CentredVectors] | None = None
    _bound: CacheBound | None = None  # shared by both models' caches
    _precise_reason: list[str | None] = field(default_factory=list)

    @property
    def precise_unavailable(self) -> str | None:
        """Why the precise model cannot run (the `semantic` extra is missing), or None."""
        if not self._precise_reason:
            self._precise_reason.append(unavailable_reason(self.settings.model))
        return self._precise_reason[0]

    @property
    def unavailable(self) -> str | None:
        """Why no semantic tier can run, or None. The shipped static model runs on the base
        install; a configured precise `model` needs the extra."""
        precise = self.precise_unavailable
        if precise is None or self.settings.model is not None:
            return precise
        if self.settings.static_model is not None:
            return None  # checked when it loads
        return static_unavailable_reason()

    @property
    def root(self) -> Path:
        return cache_root(self.settings.cache_dir)

    def _embedder(self, model: Model, label: str) -> Embedder:
        if not self.settings.cache:
            return Embedder(model, None, label)
        if self._bound is None:
            max_mb = self.settings.cache_max_mb or embedding_cache_max_mb()
            self._bound = CacheBound(self.root / "embeddings", max_mb << 20)
        return Embedder(model, self._bound.root, label, self._bound)

    def precise(self) -> Embedder:
        if self._precise is None:
            model = PreciseModel.resolve(self.settings.model, self.root)
            self._precise = self._embedder(model, "embedding (precise)")
        return self._precise

    def static(self) -> Embedder:
        if self._static is None:
            if self.settings.static_model is not None:
                path = Path(self.settings.static_model).expanduser()
                if not (path / "config.json").is_file():
                    raise SemanticUnavailable(
                        f"the configured static model {self.settings.static_model!r} is not a "
                        "model2vec directory"
                    )
                model = StaticModel(path, path.name, self.root)
            elif self.settings.model is None and (shipped := packaged_static_dir()) is not None:
                model = StaticModel(shipped, PACKAGED_NAME, self.root)
            else:
                precise = self.precise().model
                assert isinstance(precise, PreciseModel)
                model, self.built_seconds = ensure_static_model(
                    precise, self.root, self.settings.distill_remove
                )
            self._static = self._embedder(model, "embedding (static)")
        return self._static

    def candidates(
        self,
        store: TextStore,
        rows: np.ndarray,
        threshold: float,
        partition: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, bool]:
        """Candidate pairs among `rows` (indices into `store`): `(pairs of store indices,
        similarity, precise)`; `precise` says the similarity already is the precise model's
        cosine (small path), else it is the centred static cosine (large path)."""
        rows = np.asarray(rows, dtype=np.int64)
        part = None if partition is None else np.asarray(partition)[rows]
        if len(rows) < 2:
            return np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=np.float32), True
        start = time.perf_counter()
        static_only = self.precise_unavailable is not None
        if static_only and len(rows) < CENTRE_MIN:
            raise SemanticUnavailable(
                f"{len(rows)} texts to compare: without the semantic extra the shipped static "
                f"model needs at least {CENTRE_MIN} (it centres vectors on their mean); for "
                f"small datasets install the extra: {INSTALL_COMMAND}"
            )
        if not static_only and len(rows) <= self.settings.precise_limit:
            self.path_used = "precise"
            vectors = self.precise().embed_store(store, rows)
            pairs, sims = similar_pairs(
                vectors, threshold, k=self.settings.neighbours, partition=part
            )
            precise = True
        else:
            self.path_used = "static"
            vectors = self._centred(self.static().embed_store(store, rows, np.float16))
            pairs, sims = self._search(vectors, part)
            precise = False
            if static_only:
                self._searched = (store, rows, vectors)
        self.search_seconds += time.perf_counter() - start
        return rows[pairs], sims, precise

    def _search(
        self, vectors: CentredVectors, partition: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The static path's neighbour search, read from the pair cache when the same vectors
        were searched before."""
        threshold, k = self.settings.search_threshold, self.settings.neighbours
        cache = PairCache(self.root / "search-pairs" if self.settings.cache else None)
        digest = search_digest(
            vectors.raw, vectors.centre, partition, (threshold, k, SEARCH_PARAMETERS)
        )
        found = cache.get(digest, len(vectors))
        if found is not None:
            self.search_cached = True
            return found
        pairs, sims = similar_pairs(vectors, threshold, k=k, partition=partition)
        cache.put(digest, pairs, sims)
        return pairs, sims

    @staticmethod
    def _centred(vectors: np.ndarray) -> CentredVectors:
        """Static vectors centred on their mean and re-normalized (from `CENTRE_MIN` texts on),
        computed a block at a time from the float16 matrix."""
        centre = vectors.mean(axis=0, dtype=np.float32) if len(vectors) >= CENTRE_MIN else None
        return CentredVectors(vectors, centre)

    def precise_similarity(self, store: TextStore, pairs: np.ndarray) -> np.ndarray:
        """The precise model's cosine of each pair (indices into `store`); NaN for pairs left
        unscored because the run's `max_precise_texts` budget was used up."""
        out = np.full(len(pairs), np.nan, dtype=np.float32)
        if len(pairs) == 0:
            return out
        if self.precise_unavailable is not None:
            return self._static_similarity(store, pairs, out)
        embedder = self.precise()
        budget = self.settings.max_precise_texts - embedder.embedded
        needed: dict[int, None] = {}
        scored = np.zeros(len(pairs), dtype=bool)
        cache_probe = self._cached_rows(store, np.unique(pairs))
        for index, (a, b) in enumerate(pairs.tolist()):
            new = [x for x in (a, b) if x not in needed and x not in cache_probe]
            if len(new) > budget:
                continue
            budget -= len(new)
            needed.update(dict.fromkeys((a, b)))
            scored[index] = True
        if not scored.any():
            self.unconfirmed += len(pairs)
            return out
        rows = np.array(list(needed), dtype=np.int64)
        vectors = embedder.embed_store(store, rows)
        where = {row: i for i, row in enumerate(rows.tolist())}
        chosen = pairs[scored]
        left = vectors[[where[a] for a in chosen[:, 0].tolist()]]
        right = vectors[[where[b] for b in chosen[:, 1].tolist()]]
        out[scored] = (left * right).sum(axis=1)
        self.unconfirmed += int((~scored).sum())
        return out

    def _static_similarity(
        self, store: TextStore, pairs: np.ndarray, out: np.ndarray
    ) -> np.ndarray:
        """Without the precise model: the centred static cosine of pairs of texts searched by
        `candidates` (NaN, counted as unconfirmed, for any other pair)."""
        if self._searched is None or self._searched[0] is not store:
            self.unconfirmed += len(pairs)
            return out
        _, searched, vectors = self._searched
        order = np.argsort(searched, kind="stable")
        ranked = searched[order]
        places = np.minimum(np.searchsorted(ranked, pairs), max(len(ranked) - 1, 0))
        known = (ranked[places] == pairs).all(axis=1) if len(ranked) else places[:, 0] < 0
        places = order[places] if len(order) else places
        self.unconfirmed += int((~known).sum())
        for start in range(0, len(pairs), 8192):
            block = places[start : start + 8192]
            mask = known[start : start + 8192]
            left, right = vectors.take(block[mask, 0]), vectors.take(block[mask, 1])
            out[start : start + len(block)][mask] = (left * right).sum(axis=1)
        return out

    def _cached_rows(self, store: TextStore, rows: np.ndarray) -> set[int]:
        from ftqa.semantic.cache import text_keys

        embedder = self.precise()
        keys = text_keys(store.many(rows.tolist()))
        found, _ = embedder.cache.lookup(keys)
        embedder.cache.hits -= int(found.sum())  # a probe, not a use
        embedder.cache.misses -= len(found) - int(found.sum())
        return set(rows[found].tolist())

    def stats(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path_used or "not needed"}
        if self.precise_unavailable is not None:
            out["rescoring"] = f"static model only; for precise re-scoring: {INSTALL_COMMAND}"
        if self._static is not None:
            out["static"] = self._static.stats()
            if self.built_seconds:
                out["static"]["built_seconds"] = round(self.built_seconds, 1)
        if self._precise is not None and (self._precise.embedded or self._precise.cached):
            out["precise"] = self._precise.stats()
        out["search_seconds"] = round(self.search_seconds, 2)
        if self.search_cached:
            out["search_from_cache"] = True
        if self.unconfirmed:
            out["unconfirmed_pairs"] = self.unconfirmed
        if self.notes:
            out["notes"] = list(self.notes)
        return out


@dataclass
class SemanticDuplicates:
    """What `find_semantic_duplicates` found."""

    pairs: np.ndarray  # (m, 2) int64, i < j, indices of the texts as added
    similarity: np.ndarray  # (m,) float32, the precise model's cosine
    skipped: str | None = None  # why nothing ran (e.g. the extra is not installed)
    stats: dict[str, Any] = field(default_factory=dict)


def find_semantic_duplicates(
    texts: TextStore | list[str],
    *,
    threshold: float = 0.95,
    partition: np.ndarray | None = None,
    same_cluster: np.ndarray | None = None,
    settings: SemanticSettings | None = None,
    guards: bool = True,
) -> SemanticDuplicates:
    """Pairs of texts that say the same thing in other words (paraphrases MinHash cannot see).

    How `near_duplicates` calls it for its `semantic-duplicate` rule:

        from ftqa.semantic import SemanticSettings, TextStore, find_semantic_duplicates

        # __init__: one store per run, filled in the same order as the RowLog
        self._texts = TextStore(max_chars=2000)
        # check_record, right after self._log.add(record, ...): the text AS WRITTEN (not
        # case-folded: the guards read capital letters), e.g.
        #     "\\n".join(t for _, t in cached_parts(record, scope, include_system))
        # ("" when the row has no text of that scope)
        self._texts.add(raw_text)
        # finish, after the MinHash clustering:
        found = find_semantic_duplicates(
            self._texts,
            threshold=options.semantic_threshold,        # default 0.95
            partition=splits,                            # train and validation apart
            same_cluster=result.labels,                  # skip pairs MinHash already joined
            settings=SemanticSettings(model=..., cache_dir=...),  # or SemanticSettings()
        )
        if found.skipped:                                # extra missing, bad model path, ...
            summary["semantic"] = {"status": "skipped", "reason": found.skipped}
        else:
            labels = merge(result.labels, found.pairs)   # ftqa.dedup.merge
            summary["semantic"] = found.stats
        self._texts.close()

    `found.pairs` are `(i, j)` indices into the texts as added (`i < j`), `found.similarity`
    the precise model's cosine of each pair (>= `threshold`). Texts that are empty are never
    paired. With `partition`, only texts of the same partition are paired; with
    `same_cluster` (one label per text), pairs already in the same cluster are dropped. With
    `guards`, pairs whose texts hold different numbers or names, the same names in another
    order, an antonym substitution or one negation (`ftqa.semantic.questions.veto`) are
    dropped: "capital of France" and "capital of Spain" are not duplicates.

    It never raises for a missing extra or model: `skipped` then says why, with the install
    command. On 2 cores: up to `settings.precise_limit` (500) texts, every text is embedded
    with the precise model (all-MiniLM-L6-v2; ~20-60 texts/s cold, cached afterwards); above
    that, the static model (shipped with ftqa; nothing is built) embeds ~1,500-6,000
    texts/s and only candidate pairs are re-scored with the precise model (at most
    `settings.max_precise_texts` texts per run).
    """
    settings = settings or SemanticSettings()
    engine = Semantic(settings)
    reason = engine.precise_unavailable  # a 0.95 paraphrase bar needs the precise model
    if reason:
        return SemanticDuplicates(_empty_pairs(), np.zeros(0, np.float32), reason)
    store = as_store(texts)
    rows = np.array(
        [i for first, chunk in store.chunks() for i, t in enumerate(chunk, first) if t.strip()],
        dtype=np.int64,
    )
    try:
        pairs, sims, precise = engine.candidates(store, rows, threshold, partition)
        if same_cluster is not None and len(pairs):
            labels = np.asarray(same_cluster)
            keep = labels[pairs[:, 0]] != labels[pairs[:, 1]]
            pairs, sims = pairs[keep], sims[keep]
        if not precise and len(pairs):
            sims = engine.precise_similarity(store, pairs)
        keep = sims >= np.float32(threshold)
        pairs, sims = pairs[keep], sims[keep]
    except SemanticUnavailable as exc:
        return SemanticDuplicates(_empty_pairs(), np.zeros(0, np.float32), str(exc))
    vetoed = 0
    if guards and len(pairs):
        keep = np.ones(len(pairs), dtype=bool)
        for index, (a, b) in enumerate(pairs.tolist()):
            if veto(question(store.get(a)), question(store.get(b))) is not None:
                keep[index] = False
        vetoed = int((~keep).sum())
        pairs, sims = pairs[keep], sims[keep]
    stats = engine.stats()
    stats.update({"threshold": threshold, "pairs": len(pairs), "vetoed_pairs": vetoed})
    return SemanticDuplicates(pairs, sims.astype(np.float32), None, stats)


def _empty_pairs() -> np.ndarray:
    return np.zeros((0, 2), dtype=np.int64)
