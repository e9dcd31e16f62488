"""The embedding cache's size bound (`ftqa.semantic.eviction`): whole shards are evicted, least
recently used first, the current run's own shards last; the bound is shared by every model
under a cache root, and set by `embedding-cache-max-mb` / `FTQA_EMBEDDING_CACHE_MAX_MB`.

Real shard files in temporary folders, the shipped static model (numpy only), real processes
for the concurrent writers and the command line."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
import zlib
from pathlib import Path

import numpy as np
import pytest

from conftest import run_cli
from ftqa.config import load_settings
from ftqa.semantic import Semantic, SemanticSettings
from ftqa.semantic.cache import MAX_SHARDS, EmbeddingCache, text_keys
from ftqa.semantic.eviction import CacheBound, cache_bytes, evict, survey

DIM = 16
ROWS = 100  # per shard: 3,200 bytes of float16 vectors, 800 of keys, plus two .npy headers


def _shard_texts(name: str, rows: int = ROWS) -> list[str]:
    return [f"{name} text {i}" for i in range(rows)]


def _write(cache: EmbeddingCache, name: str, rows: int = ROWS) -> Path:
    """Store one shard of `rows` texts; returns its keys file."""
    assert cache.directory is not None
    before = set(cache.directory.glob("*.keys.npy"))
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    cache.store(text_keys(_shard_texts(name, rows)), rng.standard_normal((rows, DIM)))
    (written,) = set(cache.directory.glob("*.keys.npy")) - before
    return written


def _shard_bytes(tmp_path: Path) -> int:
    """Bytes one shard of ROWS texts takes on disk (keys, vectors and their headers)."""
    _write(EmbeddingCache(tmp_path / "probe" / "m", DIM), "probe")
    return cache_bytes(tmp_path / "probe")


def _age(keys: Path, seconds: float) -> None:
    """Make a shard look last used `seconds` ago (what an earlier run would have left)."""
    when = time.time_ns() - int(seconds * 1e9)
    os.utime(keys, ns=(when, when))


def _found(directory: Path, name: str) -> bool:
    found, _ = EmbeddingCache(directory, DIM).lookup(text_keys(_shard_texts(name)))
    return bool(found.all())


def test_the_bound_holds_after_every_run_across_models(tmp_path):
    """Five runs, each writing shards for two models: after each run the cache (both models
    together) is within its bound, and the most recent run's shards are all still there."""
    shard = _shard_bytes(tmp_path)
    root = tmp_path / "embeddings"
    max_bytes = 5 * shard + shard // 2
    for run in range(5):
        bound = CacheBound(root, max_bytes)
        for model in ("model-a", "model-b"):
            cache = EmbeddingCache(root / model, DIM, bound=bound)
            for part in range(2):
                _write(cache, f"run {run} {model} {part}")
        assert cache_bytes(root) <= max_bytes
        shards, _ = survey(root)
        assert len(shards) == min(4 * (run + 1), 5)
    assert all(_found(root / "model-b", f"run 4 model-b {part}") for part in range(2))
    assert all(_found(root / "model-a", f"run 4 model-a {part}") for part in range(2))
    assert not _found(root / "model-a", "run 0 model-a 0")


def test_a_shard_read_recently_survives_and_an_untouched_old_one_goes(tmp_path):
    shard = _shard_bytes(tmp_path)
    root = tmp_path / "embeddings"
    setup = EmbeddingCache(root / "m", DIM)
    oldest = _write(setup, "oldest")
    older = _write(setup, "older")
    old = _write(setup, "old")
    _age(oldest, 300)
    _age(older, 200)
    _age(old, 100)

    bound = CacheBound(root, 3 * shard + shard // 2)  # room for three shards
    run = EmbeddingCache(root / "m", DIM, bound=bound)
    found, _ = run.lookup(text_keys(_shard_texts("oldest")[:3]))  # a hit is a use
    assert found.all()
    _write(run, "new")

    assert not _found(root / "m", "older")  # the least recently used goes first
    for name in ("oldest", "old", "new"):
        assert _found(root / "m", name), name
    assert cache_bytes(root) <= bound.max_bytes


def test_a_hit_marks_a_shard_used_once_per_run(tmp_path):
    cache = EmbeddingCache(tmp_path / "m", DIM)
    keys = _write(cache, "a")
    _age(keys, 100)
    run = EmbeddingCache(tmp_path / "m", DIM)
    run.lookup(text_keys(_shard_texts("a")[:1]))
    first = keys.stat().st_mtime_ns
    assert time.time_ns() - first < 10e9
    _age(keys, 100)
    run.lookup(text_keys(_shard_texts("a")[1:2]))  # the same run: not touched again
    assert keys.stat().st_mtime_ns < first
    run.lookup(text_keys(["never stored"]))
    assert keys.stat().st_mtime_ns < first


def test_the_runs_own_shards_go_last_and_only_when_they_alone_exceed_the_bound(tmp_path):
    shard = _shard_bytes(tmp_path)
    root = tmp_path / "embeddings"
    setup = EmbeddingCache(root / "m", DIM)
    previous = _write(setup, "previous run")
    bound = CacheBound(root, 2 * shard + shard // 2)
    run = EmbeddingCache(root / "m", DIM, bound=bound)
    mine = _write(run, "mine 0")
    # Another run used the previous shard after this one wrote: more recently used than this
    # run's first shard, yet it goes first.
    used = mine.stat().st_mtime_ns + 10_000_000
    os.utime(previous, ns=(used, used))
    _write(run, "mine 1")
    assert _found(root / "m", "mine 0")
    assert _found(root / "m", "mine 1")
    assert not _found(root / "m", "previous run")
    _write(run, "mine 2")  # three of its own in room for two: its oldest goes
    assert not _found(root / "m", "mine 0")
    assert _found(root / "m", "mine 1")
    assert _found(root / "m", "mine 2")
    assert cache_bytes(root) <= bound.max_bytes


def test_a_run_whose_new_vectors_exceed_the_bound_finishes_with_the_right_vectors(tmp_path):
    """The shipped static model embeds 4,500 texts in three writes of ~780 KB each under a
    1 MB bound: the vectors are those of an uncached run, and the cache ends within its bound
    holding the run's last shard, which the next run reads back."""
    texts = [f"How do I configure feature number {i} of the product?" for i in range(4500)]
    unbounded = Semantic(SemanticSettings(cache_dir=str(tmp_path / "unused"), cache=False)).static()
    expected = np.concatenate([unbounded.embed(texts[i : i + 1500]) for i in (0, 1500, 3000)])

    settings = SemanticSettings(cache_dir=str(tmp_path), cache_max_mb=1)
    embedder = Semantic(settings).static()
    got = np.concatenate([embedder.embed(texts[i : i + 1500]) for i in (0, 1500, 3000)])
    assert embedder.embedded == 4500
    assert np.array_equal(got, expected)
    root = tmp_path / "embeddings"
    assert cache_bytes(root) <= 1 << 20
    assert len(survey(root)[0]) == 1

    again = Semantic(settings).static()
    assert np.array_equal(again.embed(texts[3000:]), expected[3000:])
    assert (again.cached, again.embedded) == (1500, 0)


def test_a_shard_larger_than_the_bound_is_not_written_and_evicts_nothing(tmp_path):
    shard = _shard_bytes(tmp_path)
    root = tmp_path / "embeddings"
    kept = _write(EmbeddingCache(root / "m", DIM), "kept")
    run = EmbeddingCache(root / "m", DIM, bound=CacheBound(root, 2 * shard))
    rows = 3 * ROWS
    run.store(text_keys(_shard_texts("huge", rows)), np.ones((rows, DIM)))
    assert list((root / "m").glob("*.keys.npy")) == [kept]
    assert not list((root / "m").glob("*.tmp"))


def test_a_reader_whose_shard_is_evicted_mid_run_misses_it_and_carries_on(tmp_path):
    shard = _shard_bytes(tmp_path)
    root = tmp_path / "embeddings"
    setup = EmbeddingCache(root / "m", DIM)
    for name in ("a", "b"):
        _age(_write(setup, name), 100)
    reader = EmbeddingCache(root / "m", DIM)
    found, _ = reader.lookup(text_keys(_shard_texts("a")[:1]))  # lists both shards
    assert found.all()

    other_run = EmbeddingCache(root / "m", DIM, bound=CacheBound(root, shard + shard // 2))
    _write(other_run, "c")  # evicts a and b
    assert len(survey(root)[0]) == 1

    found, vectors = reader.lookup(text_keys(_shard_texts("a") + _shard_texts("b")))
    assert not found.any()
    assert vectors.shape == (0, DIM)
    assert reader.misses == 2 * ROWS


def test_concurrent_writers_in_real_processes_leave_a_readable_cache_within_its_bound(tmp_path):
    shard = _shard_bytes(tmp_path)
    root = tmp_path / "embeddings"
    max_bytes = 4 * shard + shard // 2
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        import numpy as np
        from ftqa.semantic.cache import EmbeddingCache, text_keys
        from ftqa.semantic.eviction import CacheBound
        root, name = Path(sys.argv[1]), sys.argv[2]
        cache = EmbeddingCache(root / name, {DIM}, bound=CacheBound(root, {max_bytes}))
        rng = np.random.default_rng(0)
        for part in range(12):
            texts = [f"{{name}} {{part}} {{i}}" for i in range({ROWS})]
            cache.lookup(text_keys(texts[:5]))
            cache.store(text_keys(texts), rng.standard_normal(({ROWS}, {DIM})))
        """
    )
    writers = [
        subprocess.Popen([sys.executable, "-c", script, str(root), model])
        for model in ("model-a", "model-b")
    ]
    assert [writer.wait(timeout=120) for writer in writers] == [0, 0]
    shards, garbage = survey(root)
    assert sum(s.size for s in shards) <= max_bytes
    assert not garbage
    assert not list(root.glob("*/.*.tmp"))
    for model in ("model-a", "model-b"):
        cache = EmbeddingCache(root / model, DIM)
        for keys in (root / model).glob("*.keys.npy"):
            found, _ = cache.lookup(np.load(keys))
            assert found.all()


def test_compaction_keeps_the_last_use_of_the_shards_it_merges(tmp_path):
    """A merged shard was last used when its most recently used part was (not when it was
    merged), and it is the run's own only when every part was."""
    root = tmp_path / "embeddings"
    small = ROWS * DIM * 2 + 128  # one small shard's vector file
    cache = EmbeddingCache(root / "m", DIM)
    for index in range(MAX_SHARDS):
        _age(_write(cache, f"old {index}"), 1000 - index)
    parts = list((root / "m").glob("*.keys.npy"))
    last_used = max(path.stat().st_mtime_ns for path in parts)
    bound = CacheBound(root, 1 << 30)
    run = EmbeddingCache(root / "m", DIM, compact_bytes=MAX_SHARDS * small, bound=bound)
    rows = 20 * ROWS  # one shard too many, too large to be merged
    run.store(text_keys(_shard_texts("new", rows)), np.ones((rows, DIM)))
    (merged,) = (root / "m").glob("*-merged.keys.npy")
    (big,) = set((root / "m").glob("*.keys.npy")) - {merged}
    assert merged.stat().st_mtime_ns == last_used
    assert merged.name not in bound.written
    assert bound.written == {big.name}
    assert all(_found(root / "m", f"old {index}") for index in range(MAX_SHARDS))


def test_leftovers_of_a_killed_writer_are_deleted_once_stale(tmp_path):
    root = tmp_path / "embeddings"
    folder = root / "m"
    folder.mkdir(parents=True)
    stale_tmp = folder / ".123-4-aa.vecs.npy.99.tmp"
    stale_orphan = folder / "123-4-bb.vecs.npy"
    fresh_orphan = folder / "123-4-cc.vecs.npy"  # a writer that has not written its keys yet
    for path in (stale_tmp, stale_orphan, fresh_orphan):
        path.write_bytes(b"x" * 100)
    for path in (stale_tmp, stale_orphan):
        _age(path, 7200)
    evict(CacheBound(root, 1 << 20))
    assert not stale_tmp.exists()
    assert not stale_orphan.exists()
    assert fresh_orphan.exists()


# -- the setting ----------------------------------------------------------------------------


def test_the_bound_comes_from_the_environment_then_the_configuration(monkeypatch):
    monkeypatch.delenv("FTQA_EMBEDDING_CACHE_MAX_MB", raising=False)
    assert load_settings({}).globals.embedding_cache_max_mb == 2048
    monkeypatch.setenv("FTQA_EMBEDDING_CACHE_MAX_MB", "512")
    assert load_settings({}).globals.embedding_cache_max_mb == 512
    settings = load_settings({"embedding-cache-max-mb": 64})
    assert settings.globals.embedding_cache_max_mb == 64
    assert not settings.changes()  # the size of a cache changes no finding


def test_the_semantic_layer_reads_the_environment_when_no_bound_is_given(tmp_path, monkeypatch):
    monkeypatch.setenv("FTQA_EMBEDDING_CACHE_MAX_MB", "3")
    embedder = Semantic(SemanticSettings(cache_dir=str(tmp_path))).static()
    assert embedder.bound is not None
    assert embedder.bound.max_bytes == 3 << 20
    assert embedder.bound.root == tmp_path / "embeddings"
    configured = Semantic(SemanticSettings(cache_dir=str(tmp_path), cache_max_mb=7)).static()
    assert configured.bound is not None
    assert configured.bound.max_bytes == 7 << 20


@pytest.mark.parametrize("value", ["lots", "0", "-5", "1.5"])
def test_a_bad_environment_value_is_a_one_line_error(tmp_path, value):
    data = tmp_path / "data.jsonl"
    data.write_text('{"prompt": "a", "completion": "b"}\n', encoding="utf-8")
    env = {**os.environ, "FTQA_EMBEDDING_CACHE_MAX_MB": value}
    result = run_cli("check", str(data), "--no-config", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "FTQA_EMBEDDING_CACHE_MAX_MB: expected a whole number of megabytes" in lines[0]
    assert repr(value) in lines[0]


@pytest.mark.parametrize("value", ["0", '"big"'])
def test_a_bad_configuration_value_is_a_one_line_error(tmp_path, value):
    data = tmp_path / "data.jsonl"
    data.write_text('{"prompt": "a", "completion": "b"}\n', encoding="utf-8")
    (tmp_path / "ftqa.toml").write_text(f"embedding-cache-max-mb = {value}\n", encoding="utf-8")
    result = run_cli("check", str(data), cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "ftqa.toml" in lines[0]
    assert "`embedding-cache-max-mb`" in lines[0]
